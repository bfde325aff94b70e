"""Tree validation, scoring rules at their boundaries, aggregation, unmeasured-leaf policies, peer-relative
mode, grades and statistics on hand-computed fixtures (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from yiwang.assessment import scoring, statistics
from yiwang.assessment.tree import Rule, TreeError, load_default_tree, parse_tree

D = Decimal

SMALL = """
model: {name: 小树, version: "1", grades: [{name: 非常高, min: 90}, {name: 高, min: 80}, {name: 中, min: 65}, {name: 低, min: 0}]}
indicators:
- id: X
  name: 维度X
  weight: 60
  children:
  - {id: X.1, name: 甲, weight: 40, source: questionnaire, scoring: ratio}
  - {id: X.2, name: 乙, weight: 20, source: import, scoring: "inverse[0,10]"}
- id: Y
  name: 维度Y
  weight: 40
  children:
  - {id: Y.1, name: 丙, weight: 40, source: questionnaire, scoring: binary}
"""


def test_default_tree_is_5_17_78_and_sums_to_100() -> None:
    tree = load_default_tree()
    assert (len(tree.level(1)), len(tree.level(2)), len(tree.leaves())) == (5, 17, 78)
    assert tree.total_weight == 100
    assert [g.name for g in tree.grades] == ["非常高", "高", "中", "低"]


def test_validation_reports_every_problem_precisely() -> None:
    bad = (
        SMALL.replace("weight: 20, source: import", "weight: 25, source: nowhere")
        .replace("scoring: binary", "scoring: cubic")
        .replace("id: Y.1", "id: X.1")
    )
    with pytest.raises(TreeError) as caught:
        parse_tree(bad)
    problems = caught.value.problems
    assert any("“X”的权重为 60，但其下级权重之和为 65" in p for p in problems)
    assert any("来源“nowhere”无效" in p for p in problems)
    assert any("未知的评分规则“cubic”" in p for p in problems)
    assert any("指标 id“X.1”重复" in p for p in problems)


def test_a_platform_leaf_without_a_collector_is_refused() -> None:
    text = SMALL.replace("source: questionnaire, scoring: binary", "source: platform, scoring: binary")
    with pytest.raises(TreeError, match="没有对应的采集器"):
        parse_tree(text)


def test_range_rule_needs_low_below_high() -> None:
    with pytest.raises(ValueError, match="下限必须小于上限"):
        Rule.parse("linear[5,5]")


@pytest.mark.parametrize(
    ("rule", "raw", "expected"),
    [
        ("ratio", "0", "0"),
        ("ratio", "1", "100"),
        ("ratio", "1.2", "100"),
        ("ratio", "0.33333", "33.333"),
        ("binary", "0", "0"),
        ("binary", "1", "100"),
        ("checklist", "0.75", "75"),
        ("linear[0.95,1.0]", "0.95", "0"),
        ("linear[0.95,1.0]", "0.975", "50"),
        ("linear[0.95,1.0]", "1.0", "100"),
        ("linear[0.95,1.0]", "0.5", "0"),
        ("inverse[2,10]", "2", "100"),
        ("inverse[2,10]", "10", "0"),
        ("inverse[2,10]", "6", "50"),
        ("inverse[2,10]", "1", "100"),
        ("inverse[2,10]", "11", "0"),
        ("inverse[0,0.05]", "0.01", "80"),
    ],
)
def test_scoring_rules_at_boundaries(rule: str, raw: str, expected: str) -> None:
    assert scoring.score_value(Rule.parse(rule), D(raw)) == D(expected)


def _inputs(subjects: list[dict], **options: str) -> dict:
    return {"options": options, "subjects": subjects}


def test_weighted_aggregation_and_zero_policy() -> None:
    tree = parse_tree(SMALL)
    subjects = [
        {
            "region": "110000",
            "name": "甲地",
            "leaves": {"X.1": {"raw": "0.5"}, "X.2": {"raw": "5"}, "Y.1": {"raw": "1"}},
        },
        {"region": "120000", "name": "乙地", "leaves": {"X.1": {"raw": "1"}}},
    ]
    first, second = scoring.compute(tree, _inputs(subjects))
    # X = (40·50 + 20·50)/60 = 50; Y = 100; total = (60·50 + 40·100)/100 = 70
    assert first.nodes == {"X": D("50.0000"), "Y": D("100.0000")}
    assert (first.total, first.grade, first.coverage) == (D("70.00"), "中", D("100.00"))
    # zero policy: X = 40·100/60 = 66.6667, Y = 0, total = 60·66.6667/100 = 40.00
    assert second.nodes["X"] == D("66.6667")
    assert (second.total, second.grade, second.coverage) == (D("40.00"), "低", D("40.00"))
    assert second.leaves["Y.1"].score is None and second.leaves["Y.1"].reason == "未采集"


def test_redistribute_policy_spreads_weight_over_measured_siblings() -> None:
    tree = parse_tree(SMALL)
    subjects = [{"region": "120000", "name": "乙地", "leaves": {"X.1": {"raw": "1"}}}]
    (only,) = scoring.compute(tree, _inputs(subjects, unmeasured="redistribute"))
    # X.2 unmeasured → X = 100; Y has nothing measured → left out of the total → total 100
    assert only.nodes == {"X": D("100.0000"), "Y": None}
    assert (only.total, only.coverage) == (D("100.00"), D("40.00"))


def test_imported_scores_override_dimensions_and_total() -> None:
    tree = parse_tree(SMALL)
    subjects = [
        {"region": "110000", "name": "甲", "leaves": {"X.1": {"raw": "0"}}, "overrides": {"Y": "90"}},
        {"region": "120000", "name": "乙", "leaves": {}, "overrides": {"total": "88.456"}},
    ]
    first, second = scoring.compute(tree, _inputs(subjects))
    assert first.nodes["Y"] == D("90.0000") and first.total == D("36.00")
    assert (second.total, second.grade, second.coverage) == (D("88.46"), "高", D("100.00"))


def test_peer_relative_mode_rescales_min_to_max() -> None:
    tree = parse_tree(SMALL)
    subjects = [
        {
            "region": "110000",
            "name": "甲",
            "leaves": {"X.1": {"raw": "0.2"}, "X.2": {"raw": "4"}, "Y.1": {"raw": "1"}},
        },
        {
            "region": "120000",
            "name": "乙",
            "leaves": {"X.1": {"raw": "0.6"}, "X.2": {"raw": "4"}, "Y.1": {"raw": "1"}},
        },
        {"region": "130000", "name": "丙", "leaves": {"X.1": {"raw": "0.4"}, "Y.1": {"raw": "0"}}},
    ]
    a, b, c = scoring.compute(tree, _inputs(subjects, mode="relative"))
    assert [s.leaves["X.1"].score for s in (a, b, c)] == [D(0), D(100), D("50.0000")]
    assert a.leaves["X.1"].evidence["absolute_score"] == "20.0000"
    # all measured regions tie on X.2 → 100 each; 丙 unmeasured stays unmeasured
    assert (a.leaves["X.2"].score, c.leaves["X.2"].score) == (D(100), None)
    assert (a.leaves["Y.1"].score, c.leaves["Y.1"].score) == (D(100), D(0))


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        ("90.00", "非常高"),
        ("89.99", "高"),
        ("80.00", "高"),
        ("79.99", "中"),
        ("65.00", "中"),
        ("64.99", "低"),
        ("0", "低"),
    ],
)
def test_grade_boundaries_belong_to_the_higher_grade(total: str, grade: str) -> None:
    assert load_default_tree().grade_of(D(total)) == grade


def test_an_index_rounding_to_90_is_非常高() -> None:
    tree = parse_tree(SMALL)
    (only,) = scoring.compute(
        tree, _inputs([{"region": "110000", "name": "甲", "leaves": {}, "overrides": {"total": "89.995"}}])
    )
    assert (only.total, only.grade) == (D("90.00"), "非常高")


def test_statistics_shares_and_ties_on_a_hand_computed_fixture() -> None:
    tree = parse_tree(SMALL)
    totals = ["95.00", "90.00", "85.50", "85.50", "70.00", "60.00"]
    subjects = [
        {
            "region": f"{11 + i}0000",
            "name": f"地{i}",
            "total": D(t),
            "grade": tree.grade_of(D(t)),
            "nodes": {"X": D(t), "Y": None},
        }
        for i, t in enumerate(totals)
    ]
    stats = statistics.round_statistics(tree, subjects)
    # mean = 486/6 = 81.00 exactly; above: 95, 90, 85.5, 85.5 → 4 of 6 = 66.67%
    assert stats["mean"] == D("81.00")
    assert stats["above_mean"] == {"count": 4, "share": D("66.67")}
    assert {k: (v["count"], v["share"]) for k, v in stats["grades"].items()} == {
        "非常高": (2, D("33.33")),
        "高": (2, D("33.33")),
        "中": (1, D("16.67")),
        "低": (1, D("16.67")),
    }
    assert [(r.region, r.rank) for r in stats["ranking"]] == [
        ("110000", 1), ("120000", 2), ("130000", 3), ("140000", 3), ("150000", 5), ("160000", 6),
    ]  # fmt: skip
    assert stats["indicators"]["X"]["mean"] == D("81.00")
    assert stats["indicators"]["Y"]["count"] == 0
    json_form = statistics.as_json(stats)
    assert json_form["above_mean"] == {"count": 4, "share": 66.67}
    assert json_form["ranking"][3] == {
        "region": "140000",
        "name": "地3",
        "total": 85.5,
        "grade": "高",
        "rank": 3,
    }


def test_21_of_32_is_65_63_percent() -> None:
    assert statistics.share(21, 32) == D("65.63")
    assert statistics.share(1, 3) == D("33.33")
    assert statistics.share(2, 3) == D("66.67")


def test_change_against_previous_round_and_narrative() -> None:
    tree = parse_tree(SMALL)

    def rows(values: list[str]) -> list[dict]:
        return [
            {
                "region": f"{11 + i}0000",
                "name": f"地{i}",
                "total": D(v),
                "grade": tree.grade_of(D(v)),
                "nodes": {"X": D(v), "Y": D(50)},
            }
            for i, v in enumerate(values)
        ]

    stats = statistics.round_statistics(tree, rows(["80", "70"]), previous=rows(["75", "71"]))
    assert stats["change"]["mean"] == D("2.00")
    assert stats["change"]["regions"] == {"110000": D("5.00"), "120000": D("-1.00")}
    text = "".join(statistics.narrative(tree, stats, subject_kind="province"))
    assert "本轮评估共覆盖2个省级政府，平均指数为75.00，1个省级政府的指数超过平均值，占比为50.00%。" in text
    assert "平均指数提高了2.00（上一轮为73.00）" in text


def test_same_inputs_same_numbers() -> None:
    tree = load_default_tree()
    leaves = {leaf.id: {"raw": str(D(i % 7) / 7)} for i, leaf in enumerate(tree.leaves())}
    inputs = _inputs([{"region": "110000", "name": "甲", "leaves": leaves}])
    first = scoring.compute(tree, inputs)[0]
    second = scoring.compute(tree, inputs)[0]
    assert (first.total, first.nodes) == (second.total, second.nodes)
