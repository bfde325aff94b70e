"""Concurrent refreshes on PostgreSQL: two cases landing in the same summary cells at the same moment are
both counted (F() increments; a lost insert race retries as an update). SQLite has one writer."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from supervision.supervision_factories import d, make_case, make_item
from yiwang.supervision import summary
from yiwang.supervision.models import FiledSummary

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"),
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


@pytest.mark.parametrize("rounds", [3])
def test_refreshes_of_cases_in_the_same_cells_all_count(rounds: int) -> None:
    item = make_item()
    for _ in range(rounds):
        first = make_case(item, submitted_on=d("2026-11-02"))
        second = make_case(item, submitted_on=d("2026-11-02"))
        outcomes = race(
            lambda a=first.pk: summary.refresh_cases([a]),  # type: ignore[misc]
            lambda b=second.pk: summary.refresh_cases([b]),  # type: ignore[misc]
        )
        assert outcomes == [1, 1], outcomes
    assert FiledSummary.objects.get(grain="m").cases == 2 * rounds
    assert summary.stored_rows() == summary.expected_rows()
