"""Reads of the assessment app: rounds, runs, the report of a run, a leaf's evidence."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from yiwang.assessment import statistics
from yiwang.assessment.models import LeafInput, LeafResult, Round, RoundStatus, Run, RunStatus, SubjectResult
from yiwang.assessment.tree import Node, Tree, parse_tree


def rounds(*, include_drafts: bool) -> QuerySet[Round]:
    queryset = Round.objects.select_related("tree").filter(is_self_assessment=False)
    if not include_drafts:
        queryset = queryset.filter(status=RoundStatus.PUBLISHED)
    return queryset.order_by("-created_at")


def current_run(round_: Round) -> Run | None:
    return Run.objects.filter(round=round_, status=RunStatus.DONE).order_by("-number").first()


def inputs_changed_since(round_: Round, run: Run) -> bool:
    """Whether a subject or a collected value changed after the run started (the report would be stale)."""
    newer = LeafInput.objects.filter(subject__round=round_, collected_at__gt=run.started_at).exists()
    count = round_.subjects.count() != run.results.count()
    return newer or count


@dataclass
class Report:
    round: Round
    run: Run
    tree: Tree
    results: list[SubjectResult]
    stats: dict[str, Any]
    narrative: list[str]

    @property
    def dimensions(self) -> list[Node]:
        return self.tree.level(1)

    @property
    def second_level(self) -> list[Node]:
        return self.tree.level(2)

    def radar_values(self, result: SubjectResult) -> list[tuple[str, float]]:
        return [(node.name, float(result.nodes.get(node.id) or 0)) for node in self.dimensions]

    def dimension_means(self) -> list[float]:
        """The round's mean score of each dimension (the radars' 本轮平均 line)."""
        indicators = self.stats.get("indicators") or {}
        return [float((indicators.get(node.id) or {}).get("mean") or 0) for node in self.dimensions]

    def dimension_best(self) -> list[float]:
        """The best region's score of each dimension (the radars' 本轮最高 line)."""
        return [
            max((float(r.nodes.get(node.id) or 0) for r in self.results), default=0.0)
            for node in self.dimensions
        ]


def subject_dicts(results: list[SubjectResult]) -> list[dict[str, Any]]:
    return [
        {
            "region": r.region_code,
            "name": r.name,
            "total": Decimal(str(r.total)),
            "grade": r.grade,
            "nodes": {k: (Decimal(v) if v is not None else None) for k, v in r.nodes.items()},
        }
        for r in results
    ]


def previous_run(round_: Round) -> Run | None:
    if round_.previous_id is None:
        return None
    return Run.objects.filter(round_id=round_.previous_id, status=RunStatus.DONE).order_by("-number").first()


def report(run: Run) -> Report:
    tree = parse_tree(run.inputs["tree"]["text"])
    results = list(run.results.order_by("rank", "region_code"))
    before = previous_run(run.round)
    previous = subject_dicts(list(before.results.all())) if before else None
    stats = statistics.round_statistics(tree, subject_dicts(results), previous)
    return Report(
        run.round,
        run,
        tree,
        results,
        stats,
        statistics.narrative(tree, stats, subject_kind=run.round.subject_kind),
    )


def subject_result(run: Run, region_code: str) -> SubjectResult | None:
    return run.results.filter(region_code=region_code).first()


def leaf_results(result: SubjectResult) -> QuerySet[LeafResult]:
    return result.leaves.order_by("indicator")


def leaf_result(result: SubjectResult, indicator: str) -> LeafResult | None:
    return result.leaves.filter(indicator=indicator).first()


def costliest_leaves(tree: Tree, leaves: list[LeafResult]) -> list[dict[str, Any]]:
    """Leaves ordered by the index points they cost: weight × (100 − score) / total weight."""
    rows: list[dict[str, Any]] = []
    total = tree.total_weight
    for leaf in leaves:
        node = tree.by_id.get(leaf.indicator)
        if node is None:
            continue
        score = Decimal(leaf.score) if leaf.score is not None else Decimal(0)
        lost = (node.weight * (Decimal(100) - score) / total).quantize(Decimal("0.01"))
        rows.append({"node": node, "leaf": leaf, "lost": lost, "score": leaf.score})
    rows.sort(key=lambda r: (-r["lost"], r["node"].id))
    return rows
