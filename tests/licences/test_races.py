"""Concurrency on PostgreSQL: two officials acting on one licence, two renewals of one version, two
issuances for one case (event handler and catch-up job), and serial numbers under concurrent issuance."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from accounts.identity_factories import make_person
from cases.case_factories import Office, applicant, filed_case, publish
from licences.licence_factories import approve_case, approver, issue_to, make_type
from yiwang.licences import services
from yiwang.licences.errors import LicenceError
from yiwang.licences.models import Licence, LicenceEvent, LicenceStatus

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


def test_revoke_and_suspend_at_once_exactly_one_wins() -> None:
    licence = issue_to()
    official, colleague = approver(licence.issuer), approver(licence.issuer)
    outcomes = race(
        lambda: services.change_status(licence, "revoke", actor=official, reason="撤销"),
        lambda: services.change_status(licence, "cancel", actor=colleague, reason="注销"),
    )
    assert sum(isinstance(o, Licence) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, LicenceError) for o in outcomes) == 1, outcomes
    assert LicenceEvent.objects.filter(licence=licence).exclude(action="issue").count() == 1


def test_two_renewals_of_one_version_exactly_one_wins() -> None:
    person = make_person()
    licence_type = make_type()
    first = issue_to(person, licence_type)
    official = approver(first.issuer)
    outcomes = race(
        lambda: issue_to(person, licence_type, actor=official, previous=first),
        lambda: issue_to(person, licence_type, actor=official, previous=first),
    )
    assert sum(isinstance(o, Licence) for o in outcomes) == 1, outcomes
    assert Licence.objects.filter(previous=first).count() == 1
    assert Licence.objects.get(pk=first.pk).status == LicenceStatus.SUPERSEDED


def test_event_and_catch_up_issue_one_licence_per_case() -> None:
    office = Office()
    make_type(office.organisation)
    case = approve_case(filed_case(publish(office.organisation), applicant()), office)
    Licence.objects.filter(case=case).delete()  # as if the event had been lost
    outcomes = race(lambda: services.issue_for_case(case.pk), lambda: services.issue_for_case(case.pk))
    assert Licence.objects.filter(case=case).count() == 1
    assert all(isinstance(o, Licence) for o in outcomes), outcomes


def test_concurrent_issuance_gets_distinct_serials() -> None:
    licence_type = make_type()
    issuer = licence_type.issuers.get()
    official = approver(issuer)
    people = [make_person() for _ in range(4)]
    outcomes = race(*[lambda p=p: issue_to(p, licence_type, actor=official) for p in people])
    assert all(isinstance(o, Licence) for o in outcomes), outcomes
    assert len({o.serial for o in outcomes}) == 4
    assert issuer.pk  # the issuer's first key was generated once
    assert licence_type.issuers.get().signing_keys.count() == 1
