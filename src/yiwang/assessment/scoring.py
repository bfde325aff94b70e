"""Scoring: raw value → 0–100 per leaf, weighted aggregation, unmeasured-leaf policy, peer-relative mode.

Pure functions over plain data, so the same inputs give the same numbers bit for bit. All arithmetic is
`decimal.Decimal` in a local context (28 significant digits, ROUND_HALF_UP); rounding is done at fixed
points and nowhere else:

- leaf scores and parent scores are kept to 4 decimal places (`SCORE_PLACES`);
- an index (total) is rounded to 2 decimal places (`TOTAL_PLACES`), and the grade is read from the
  rounded index, so a region shown as 90.00 is always 非常高;
- shares are percentages rounded to 2 decimal places (21 of 32 → 65.63).

Unmeasured leaves: policy "zero" (default) scores them 0 with their full weight, as the national rubrics
treat absence as failure; policy "redistribute" leaves them out, so their weight falls on the measured
siblings (a parent with no measured child is itself unmeasured). Either way coverage reports the share of
the tree's weight that was measured.

Peer-relative mode rescales each leaf across the regions of one run, min–max, before aggregation (as the
UN OSI does): best measured region 100, worst 0; if all measured regions tie, each gets 100.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any

from yiwang.assessment.tree import Node, Rule, Tree

SCORE_PLACES = Decimal("0.0001")
TOTAL_PLACES = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)
CONTEXT = Context(prec=28, rounding=ROUND_HALF_UP)

POLICY_ZERO = "zero"
POLICY_REDISTRIBUTE = "redistribute"
MODE_ABSOLUTE = "absolute"
MODE_RELATIVE = "relative"


def dec(value: Any) -> Decimal:
    """A Decimal from a JSON-able value (str, int, float via its repr); refuses bools and None."""
    if isinstance(value, Decimal):
        return value
    if value is None or isinstance(value, bool):
        raise ValueError("不是数值")
    return Decimal(str(value).strip())


def q4(value: Decimal) -> Decimal:
    return value.quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)


def q2(value: Decimal) -> Decimal:
    return value.quantize(TOTAL_PLACES, rounding=ROUND_HALF_UP)


def _clamp(value: Decimal) -> Decimal:
    return min(max(value, ZERO), Decimal(1))


def score_value(rule: Rule, raw: Decimal) -> Decimal:
    """Map one raw value to 0–100 under `rule` (4 decimal places)."""
    with localcontext(CONTEXT):
        if rule.kind in ("ratio", "checklist"):
            fraction = _clamp(raw)
        elif rule.kind == "binary":
            fraction = Decimal(1) if raw != 0 else ZERO
        elif rule.kind == "linear":
            assert rule.low is not None and rule.high is not None
            fraction = _clamp((raw - rule.low) / (rule.high - rule.low))
        elif rule.kind == "inverse":
            assert rule.low is not None and rule.high is not None
            fraction = _clamp((rule.high - raw) / (rule.high - rule.low))
        else:  # pragma: no cover - Rule.parse admits no other kind
            raise ValueError(rule.kind)
        return q4(fraction * HUNDRED)


@dataclass
class LeafScore:
    id: str
    source: str
    raw: Decimal | None
    score: Decimal | None  # None = unmeasured
    reason: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def measured(self) -> bool:
        return self.score is not None


@dataclass
class SubjectScore:
    region: str
    name: str
    total: Decimal
    grade: str
    coverage: Decimal  # percent of the tree's weight measured, 2 places
    nodes: dict[str, Decimal | None]  # every non-leaf node id → score (4 places) or None
    leaves: dict[str, LeafScore]
    overridden: list[str] = field(default_factory=list)


def score_leaf(node: Node, entry: Mapping[str, Any] | None) -> LeafScore:
    """One leaf from its collected entry: {"raw": …} scored by the rule, or {"score": …} given directly."""
    if not entry:
        return LeafScore(node.id, node.source, None, None, "未采集")
    evidence = dict(entry.get("evidence") or {})
    reason = str(entry.get("reason") or "")
    raw = dec(entry["raw"]) if entry.get("raw") is not None else None
    if entry.get("score") is not None:
        score = min(max(dec(entry["score"]), ZERO), HUNDRED)
        return LeafScore(node.id, str(entry.get("source") or node.source), raw, q4(score), reason, evidence)
    if raw is None:
        return LeafScore(
            node.id, str(entry.get("source") or node.source), None, None, reason or "未测得", evidence
        )
    assert node.rule is not None
    return LeafScore(
        node.id, str(entry.get("source") or node.source), raw, score_value(node.rule, raw), reason, evidence
    )


def rescale_relative(leaf_sets: list[dict[str, LeafScore]], leaf_ids: Iterable[str]) -> None:
    """Peer-relative mode: replace each leaf's score by its min–max position among the measured regions."""
    with localcontext(CONTEXT):
        for leaf_id in leaf_ids:
            measured = [leaves[leaf_id] for leaves in leaf_sets if leaves[leaf_id].score is not None]
            if not measured:
                continue
            values = [leaf.score for leaf in measured if leaf.score is not None]
            low, high = min(values), max(values)
            for leaf in measured:
                assert leaf.score is not None
                absolute = leaf.score
                leaf.score = HUNDRED if high == low else q4((absolute - low) / (high - low) * HUNDRED)
                leaf.evidence = {**leaf.evidence, "absolute_score": str(absolute)}


def _aggregate(
    node: Node,
    leaves: Mapping[str, LeafScore],
    overrides: Mapping[str, Decimal],
    policy: str,
    out: dict[str, Decimal | None],
) -> tuple[Decimal | None, Decimal]:
    """Score of `node` and the weight measured under it."""
    if node.is_leaf:
        leaf = leaves[node.id]
        return leaf.score, (node.weight if leaf.score is not None else ZERO)
    results = [(child, *_aggregate(child, leaves, overrides, policy, out)) for child in node.children]
    measured_weight = sum((mw for _, _, mw in results), ZERO)
    if node.id in overrides:
        out[node.id] = overrides[node.id]
        return overrides[node.id], node.weight
    with localcontext(CONTEXT):
        if policy == POLICY_REDISTRIBUTE:
            counted = [(child.weight, score) for child, score, _ in results if score is not None]
        else:
            counted = [(child.weight, score if score is not None else ZERO) for child, score, _ in results]
        if not counted:
            out[node.id] = None
            return None, measured_weight
        score = q4(sum((w * s for w, s in counted), ZERO) / sum((w for w, _ in counted), ZERO))
    out[node.id] = score
    return score, measured_weight


def score_subject(
    tree: Tree,
    region: str,
    name: str,
    leaves: dict[str, LeafScore],
    overrides: Mapping[str, Any] | None = None,
    *,
    policy: str = POLICY_ZERO,
) -> SubjectScore:
    """Aggregate leaf scores up the tree into one region's index, grade and coverage."""
    given = {key: q4(min(max(dec(value), ZERO), HUNDRED)) for key, value in (overrides or {}).items()}
    nodes: dict[str, Decimal | None] = {}
    results = [(root, *_aggregate(root, leaves, given, policy, nodes)) for root in tree.roots]
    measured = sum((mw for _, _, mw in results), ZERO)
    with localcontext(CONTEXT):
        if "total" in given:
            total = q2(given["total"])
            measured = tree.total_weight
        else:
            if policy == POLICY_REDISTRIBUTE:
                counted = [(root.weight, s) for root, s, _ in results if s is not None]
            else:
                counted = [(root.weight, s if s is not None else ZERO) for root, s, _ in results]
            weight = sum((w for w, _ in counted), ZERO)
            total = q2(sum((w * s for w, s in counted), ZERO) / weight) if weight else q2(ZERO)
        coverage = q2(measured / tree.total_weight * HUNDRED)
    return SubjectScore(
        region=region,
        name=name,
        total=total,
        grade=tree.grade_of(total),
        coverage=coverage,
        nodes=nodes,
        leaves=leaves,
        overridden=sorted(given),
    )


def compute(tree: Tree, inputs: Mapping[str, Any]) -> list[SubjectScore]:
    """Score every subject of a run from its input snapshot (see services.snapshot_inputs)."""
    options = inputs.get("options") or {}
    policy = options.get("unmeasured", POLICY_ZERO)
    mode = options.get("mode", MODE_ABSOLUTE)
    if policy not in (POLICY_ZERO, POLICY_REDISTRIBUTE):
        raise ValueError(f"未知的未测指标处理方式：{policy}")
    if mode not in (MODE_ABSOLUTE, MODE_RELATIVE):
        raise ValueError(f"未知的评分模式：{mode}")
    tree_leaves = tree.leaves()
    leaf_sets: list[dict[str, LeafScore]] = []
    for subject in inputs["subjects"]:
        entries = subject.get("leaves") or {}
        leaf_sets.append({leaf.id: score_leaf(leaf, entries.get(leaf.id)) for leaf in tree_leaves})
    if mode == MODE_RELATIVE:
        rescale_relative(leaf_sets, [leaf.id for leaf in tree_leaves])
    return [
        score_subject(
            tree, subject["region"], subject["name"], leaves, subject.get("overrides"), policy=policy
        )
        for subject, leaves in zip(inputs["subjects"], leaf_sets, strict=True)
    ]
