"""Double clicks that arrive at the same instant, through the pages (PostgreSQL: real row locks).

Two POSTs of "开始申请" with one key make one draft; two POSTs of "提交申请" file one case with one number,
and both answer with its confirmation."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from cases.case_factories import Office, applicant, form_for, publish, upload_required
from yiwang.cases import services
from yiwang.cases.models import Case, CaseEvent, CaseStatus
from yiwang.core import calendar_data, workdays

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row-level races need PostgreSQL; SQLite has one writer"
    ),
]


@pytest.fixture(autouse=True)
def _calendar_and_files(settings: Any, tmp_path: Any) -> None:
    calendar_data.seed_calendar([2025, 2026, 2027])
    workdays.clear_cache()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.YIWANG_SMS_GATEWAY = "file"
    settings.YIWANG_SMS_OUTBOX = str(tmp_path / "sms.log")


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


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_two_simultaneous_starts_make_one_draft() -> None:
    item = publish(Office().organisation)
    person = applicant()
    first, second = signed_in(person), signed_in(person)
    url = f"/apply/{item.implementation_code}/start"
    outcomes = race(
        lambda: first.post(url, {"key": "race-start-key-1"}),
        lambda: second.post(url, {"key": "race-start-key-1"}),
    )
    assert [o.status_code for o in outcomes] == [302, 302], outcomes
    assert outcomes[0]["Location"] == outcomes[1]["Location"]
    assert Case.objects.filter(applicant=person).count() == 1


def test_two_simultaneous_submits_file_one_case() -> None:
    item = publish(Office().organisation)
    person = applicant()
    case = services.create_draft(item, applicant=person, idempotency_key="race-submit-key-1")
    services.update_draft(case, actor=person, form_data=form_for(person))
    upload_required(case, person)
    first, second = signed_in(person), signed_in(person)
    url = f"/apply/drafts/{case.pk}/check"
    outcomes = race(lambda: first.post(url), lambda: second.post(url))
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.number
    assert [o.status_code for o in outcomes] == [302, 302], outcomes
    assert {o["Location"] for o in outcomes} == {f"/my-cases/{case.number}/submitted"}
    assert CaseEvent.objects.filter(case=case, action="submit").count() == 1
    assert Case.objects.filter(applicant=person).count() == 1
