"""Concurrency on PostgreSQL: two runs of one round started at once get distinct numbers and identical
results; two publications of one round, exactly one wins."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from yiwang.assessment import services
from yiwang.assessment.models import Round, Run

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row-level races need PostgreSQL; SQLite has one writer"
    ),
]


def race(*calls: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _round() -> Round:
    round_, _ = services.import_scores(
        "竞争轮",
        [["region", "name", "total"], ["110000", "北京市", "90"], ["120000", "天津市", "80"]],
        actor=None,
    )
    return round_


def test_concurrent_runs_get_distinct_numbers_and_the_same_numbers() -> None:
    round_ = _round()
    outcomes = race(
        lambda: services.run_round(round_, actor=None), lambda: services.run_round(round_, actor=None)
    )
    assert all(isinstance(o, Run) for o in outcomes), outcomes
    assert sorted(o.number for o in outcomes) == [1, 2]
    assert outcomes[0].results_digest == outcomes[1].results_digest


def test_two_publications_exactly_one_wins() -> None:
    round_ = _round()
    services.run_round(round_, actor=None)
    outcomes = race(
        lambda: services.publish_round(round_, actor=None), lambda: services.publish_round(round_, actor=None)
    )
    assert sum(isinstance(o, Round) for o in outcomes) == 1
    assert sum(isinstance(o, services.AssessmentError) for o in outcomes) == 1
