"""The published statistics of a round, as the national report gives them, and its Chinese narrative.

- mean index (2 places); count and share of regions strictly above the (unrounded) mean;
- count and share per grade (grades read from each region's rounded index);
- the same per first- and second-level indicator (the indicator's 0–100 score graded on the same scale);
- change against the previous round (mean and per region);
- ranking by index, ties sharing a rank ("1, 2, 2, 4"), tied regions listed by region code.

Shares are percentages with two decimals, ROUND_HALF_UP (21 of 32 → 65.63).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from yiwang.assessment.scoring import CONTEXT, HUNDRED, ZERO, q2
from yiwang.assessment.tree import Grade, Tree


@dataclass(frozen=True)
class Ranked:
    region: str
    name: str
    total: Decimal
    grade: str
    rank: int


def share(count: int, of: int) -> Decimal:
    if not of:
        return q2(ZERO)
    with localcontext(CONTEXT):
        return q2(Decimal(count) * HUNDRED / Decimal(of))


def rank(rows: Sequence[tuple[str, str, Decimal, str]]) -> list[Ranked]:
    """Competition ranking of (region, name, total, grade): equal totals share the better rank."""
    ordered = sorted(rows, key=lambda row: (-row[2], row[0]))
    ranked: list[Ranked] = []
    for position, (region, name, total, grade) in enumerate(ordered, start=1):
        place = ranked[-1].rank if ranked and ranked[-1].total == total else position
        ranked.append(Ranked(region, name, total, grade, place))
    return ranked


def distribution(values: Sequence[Decimal], grades: Sequence[Grade], grade_of: Any) -> dict[str, Any]:
    """Mean, above-mean and grade counts of a list of scores."""
    n = len(values)
    with localcontext(CONTEXT):
        exact_mean = sum(values, ZERO) / n if n else ZERO
    above = sum(1 for value in values if value > exact_mean)
    counts = {grade.name: 0 for grade in grades}
    for value in values:
        counts[grade_of(q2(value))] += 1
    return {
        "count": n,
        "mean": q2(exact_mean),
        "above_mean": {"count": above, "share": share(above, n)},
        "grades": {name: {"count": c, "share": share(c, n)} for name, c in counts.items()},
        "max": q2(max(values)) if values else None,
        "min": q2(min(values)) if values else None,
    }


def round_statistics(
    tree: Tree,
    subjects: Sequence[Mapping[str, Any]],
    previous: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """`subjects`: dicts with region, name, total (Decimal), grade, nodes {id: Decimal|None}.

    `previous`: the same for the previous round (matched by region code), or None."""
    totals = [s["total"] for s in subjects]
    stats = distribution(totals, tree.grades, tree.grade_of)
    stats["ranking"] = rank([(s["region"], s["name"], s["total"], s["grade"]) for s in subjects])
    indicators: dict[str, Any] = {}
    for depth in (1, 2):
        for node in tree.level(depth):
            values = [s["nodes"][node.id] for s in subjects if s["nodes"].get(node.id) is not None]
            entry = distribution(values, tree.grades, tree.grade_of)
            entry.update(id=node.id, name=node.name, weight=node.weight, depth=depth)
            indicators[node.id] = entry
    stats["indicators"] = indicators
    stats["change"] = None
    if previous:
        before = {p["region"]: p for p in previous}
        previous_mean = distribution([p["total"] for p in previous], tree.grades, tree.grade_of)["mean"]
        per_region = {
            s["region"]: q2(s["total"] - before[s["region"]]["total"])
            for s in subjects
            if s["region"] in before
        }
        stats["change"] = {
            "previous_mean": previous_mean,
            "mean": q2(stats["mean"] - previous_mean),
            "regions": per_region,
        }
    return stats


SUBJECT_NOUNS = {"province": "省级政府", "city": "重点城市", "county": "县级政府"}


def _signed(value: Decimal) -> str:
    if value > 0:
        return f"提高了{value}"
    if value < 0:
        return f"下降了{-value}"
    return "持平"


def narrative(tree: Tree, stats: Mapping[str, Any], *, subject_kind: str = "province") -> list[str]:
    """Paragraphs in the national report's style, built only from the numbers."""
    noun = SUBJECT_NOUNS.get(subject_kind, "地区")
    n = stats["count"]
    if not n:
        return ["本轮评估尚无评估对象。"]
    above = stats["above_mean"]
    paragraphs = [
        f"本轮评估共覆盖{n}个{noun}，平均指数为{stats['mean']}，"
        f"{above['count']}个{noun}的指数超过平均值，占比为{above['share']}%。"
    ]
    parts = [
        f"指数为“{name}”的有{entry['count']}个，占比{entry['share']}%"
        for name, entry in stats["grades"].items()
    ]
    paragraphs.append("从等级分布看，" + "；".join(parts) + "。")
    ranking: list[Ranked] = stats["ranking"]
    top = [r for r in ranking if r.rank <= 3]
    if top:
        names = "、".join(f"{r.name}（{r.total}）" for r in top)
        paragraphs.append(
            f"指数最高的是{names}；指数最低的是{ranking[-1].name}（{ranking[-1].total}），"
            f"最高与最低相差{q2(ranking[0].total - ranking[-1].total)}。"
        )
    dimensions = [stats["indicators"][node.id] for node in tree.level(1)]
    rated = [d for d in dimensions if d["count"]]
    if rated:
        best = max(rated, key=lambda d: d["mean"])
        worst = min(rated, key=lambda d: d["mean"])
        paragraphs.append(
            f"{len(dimensions)}项一级指标中，平均得分最高的是“{best['name']}”（{best['mean']}），"
            f"最低的是“{worst['name']}”（{worst['mean']}）。"
        )
    change = stats.get("change")
    if change:
        paragraphs.append(
            f"与上一轮相比，平均指数{_signed(change['mean'])}（上一轮为{change['previous_mean']}）。"
        )
    return paragraphs


def as_json(stats: Mapping[str, Any]) -> dict[str, Any]:
    """The `report --format json` object: numbers as JSON numbers with two decimals."""
    return {
        "mean": float(stats["mean"]),
        "above_mean": {
            "count": stats["above_mean"]["count"],
            "share": float(stats["above_mean"]["share"]),
        },
        "grades": {
            name: {"count": entry["count"], "share": float(entry["share"])}
            for name, entry in stats["grades"].items()
        },
        "ranking": [
            {"region": r.region, "name": r.name, "total": float(r.total), "grade": r.grade, "rank": r.rank}
            for r in stats["ranking"]
        ],
    }
