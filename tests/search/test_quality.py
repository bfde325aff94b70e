"""The search quality test set over the demo catalogue: recall@3 ≥ 0.90 overall and for every kind of query."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction

from search.fixtures import load_demo_catalogue
from yiwang.search import evaluation, indexer, vocabulary

TARGET = 0.90


@pytest.fixture(scope="module")
def demo_catalogue(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[int]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            published = load_demo_catalogue()
            indexer.reindex_all()
            yield published
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            vocabulary.invalidate()


def test_the_set_is_large_and_covers_every_kind() -> None:
    cases = evaluation.load_cases()
    assert len(cases) >= 150
    counts = {kind: sum(case.kind == kind for case in cases) for kind in evaluation.KINDS}
    assert all(count >= 20 for count in counts.values()), counts


@pytest.mark.django_db
def test_recall_at_3_meets_the_target(demo_catalogue: int) -> None:
    assert demo_catalogue > 400
    report = evaluation.evaluate(evaluation.load_cases())
    failures = "\n".join(
        f"[{outcome.case.kind}] {outcome.case.query} → {outcome.case.expected}; got {', '.join(outcome.top)}"
        for outcome in report.failures()
    )
    overall = report.overall()
    assert overall.recall_at_3 >= TARGET, failures
    for kind, score in report.by_kind().items():
        assert score.recall_at_3 >= TARGET, f"{kind}: {score.recall_at_3:.3f}\n{failures}"
    assert overall.precision_at_1 >= 0.8, failures
