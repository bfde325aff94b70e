"""Concurrency on PostgreSQL: two clerks accepting the same case, and two identical submissions racing.

SQLite serialises writers on one database lock, so these races cannot happen there; the tests run on the
PostgreSQL pass (DATABASE_URL=postgres://…)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from cases.case_factories import Office, applicant, filed_case, form_for, publish, upload_required
from yiwang.cases import services
from yiwang.cases.errors import TransitionRefused
from yiwang.cases.models import Case, CaseEvent, CaseStatus

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


def test_two_clerks_accepting_the_same_case_exactly_one_wins() -> None:
    office = Office()
    second_clerk = Office(office.organisation).window
    case = filed_case(publish(office.organisation), applicant())
    outcomes = race(
        lambda: services.accept(case, actor=office.window),
        lambda: services.accept(case, actor=second_clerk),
    )
    won = [o for o in outcomes if isinstance(o, Case)]
    refused = [o for o in outcomes if isinstance(o, TransitionRefused)]
    assert len(won) == 1 and len(refused) == 1, outcomes
    assert CaseEvent.objects.filter(case=case, action="accept").count() == 1
    assert Case.objects.get(pk=case.pk).status == CaseStatus.ACCEPTED


def test_a_decision_cannot_race_a_withdrawal() -> None:
    office = Office()
    person = applicant()
    case = filed_case(publish(office.organisation), person)
    services.accept(case, actor=office.window)
    services.start_review(case, actor=office.reviewer)
    outcomes = race(
        lambda: services.refuse(case, actor=office.approver, reason="不符合条件"),
        lambda: services.withdraw(case, actor=person),
    )
    assert sum(isinstance(o, Case) for o in outcomes) == 1, outcomes
    final = Case.objects.get(pk=case.pk).status
    assert final in (CaseStatus.REFUSED, CaseStatus.WITHDRAWN)
    assert CaseEvent.objects.filter(case=case, action__in=["refuse", "withdraw"]).count() == 1


def test_racing_identical_submissions_file_one_case() -> None:
    person = applicant()
    implementation = publish()
    draft = services.create_draft(implementation, applicant=person, form_data=form_for(person))
    upload_required(draft, person)
    outcomes = race(*(lambda: services.submit(draft, actor=person, idempotency_key="same") for _ in range(4)))
    assert all(isinstance(o, Case) for o in outcomes), outcomes
    assert len({o.number for o in outcomes}) == 1
    # An item whose only material is shared (nothing to upload) can be filed in one API call.
    shared_only = publish(
        materials=[
            {"name": "居民身份证", "obtainable_by": "licence", "obtainable_source": "居民身份证电子证照"}
        ]
    )
    filed = race(
        *(
            lambda: services.file_application(
                shared_only, applicant=person, form_data=form_for(person), idempotency_key="api-1"
            )
            for _ in range(4)
        )
    )
    assert all(isinstance(o, Case) for o in filed), filed
    assert len({o.pk for o in filed}) == 1
    assert Case.objects.filter(applicant=person).count() == 2


def test_a_clerks_acceptance_and_the_sweeps_deemed_acceptance_record_one_acceptance() -> None:
    """Whichever wins, the case is accepted once: one event, and no "deemed accepted" for a case the
    clerk took (the sweep locks the rows it is about to accept)."""
    import datetime as dt

    from yiwang.cases.sweep import sweep

    office = Office()
    for _round in range(3):
        case = filed_case(publish(office.organisation), applicant())
        assert case.acceptance_due is not None
        day_after = case.acceptance_due + dt.timedelta(days=1)
        outcomes = race(lambda c=case: services.accept(c, actor=office.window), lambda d=day_after: sweep(d))
        events = list(CaseEvent.objects.filter(case=case, action__in=["accept", "deemed_accept"]))
        assert len(events) == 1, (outcomes, events)
        deemed = [o for o in outcomes if not isinstance(o, (Case, Exception))]
        assert (case.number in deemed[0].deemed_numbers) == (events[0].action == "deemed_accept"), outcomes
        assert Case.objects.get(pk=case.pk).status == CaseStatus.ACCEPTED
