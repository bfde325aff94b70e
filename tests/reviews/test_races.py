"""Races on PostgreSQL: one review per case and rater, 追评 once, one department action per state."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from cases.case_factories import applicant
from reviews.reviews_factories import Department, completed_case, rated
from yiwang.reviews import services
from yiwang.reviews.errors import ReviewError
from yiwang.reviews.models import Review, WorkOrder, WorkOrderEvent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row-level races need PostgreSQL"),
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


def test_two_ratings_of_the_same_case_store_one() -> None:
    office = Department()
    person = applicant()
    case = completed_case(office, person)
    outcomes = race(
        lambda: services.rate(case, rater=person, level=1, channel="pc"),
        lambda: services.rate(case, rater=person, level=5, channel="mobile", comment="差"),
    )
    assert sum(isinstance(o, Review) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, ReviewError) for o in outcomes) == 1, outcomes
    assert Review.objects.filter(case=case).count() == 1


def test_two_follow_ups_store_one() -> None:
    office = Department()
    person = applicant()
    review = rated(office, 2, dt.date(2025, 6, 2), person=person)
    outcomes = race(
        lambda: services.follow_up(review, rater=person, text="甲"),
        lambda: services.follow_up(review, rater=person, text="乙"),
    )
    assert sum(isinstance(o, Review) for o in outcomes) == 1, outcomes
    assert Review.objects.get(pk=review.pk).follow_up in ("甲", "乙")


def test_two_clerks_verifying_the_same_order_record_one() -> None:
    office = Department()
    order = WorkOrder.objects.get(review=rated(office, 4, dt.date(2025, 6, 2)))
    outcomes = race(
        lambda: services.verify(order, actor=office.window, note="甲核实"),
        lambda: services.verify(order, actor=office.reviewer, note="乙核实"),
    )
    assert sum(isinstance(o, WorkOrder) for o in outcomes) == 1, outcomes
    assert WorkOrderEvent.objects.filter(order=order, action="verify").count() == 1
