"""The sweep's 补正 deadlines: only requests whose case still waits for the answer are examined."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.case_factories import Office, applicant, filed_case, publish
from yiwang.cases import services
from yiwang.cases import sweep as sweep_module
from yiwang.cases.models import Case, CaseStatus, SupplementRequest

pytestmark = pytest.mark.django_db

ITEMS = [{"material": "建筑工程施工许可申请表", "problem": "未签字"}]


def _status(case: Case) -> str:
    return Case.objects.values_list("status", flat=True).get(pk=case.pk)


def _lapsed(request: SupplementRequest) -> bool:
    return SupplementRequest.objects.get(pk=request.pk).lapsed_at is not None


def test_requests_of_cases_that_moved_on_are_not_reexamined_and_open_ones_still_lapse() -> None:
    office = Office()
    person = applicant()
    implementation = publish(office.organisation)
    # Returned, then not accepted by the window: the request stays unanswered for good.
    refused = filed_case(implementation, person)
    refused_request = services.return_for_supplement(refused, actor=office.window, items=ITEMS)
    services.not_accept(refused, actor=office.window, reason="申请事项不属于本机关职权范围")
    # Asked to supplement during review, then withdrawn by the applicant.
    withdrawn = filed_case(implementation, person)
    services.accept(withdrawn, actor=office.window)
    services.start_review(withdrawn, actor=office.reviewer)
    withdrawn_request = services.request_supplement(withdrawn, actor=office.reviewer, items=ITEMS)
    services.withdraw(withdrawn, actor=person)
    later = max(refused_request.deadline, withdrawn_request.deadline) + dt.timedelta(days=1)

    # Both requests are past their deadline and unanswered, yet the sweep only runs its selection: no
    # locked transaction and lookups per request (it used to repeat them on every sweep, for ever).
    result = sweep_module.SweepResult(today=later)
    with CaptureQueriesContext(connection) as queries:
        sweep_module._lapse_supplements(later, result)
    assert result.lapsed == 0
    assert len(queries.captured_queries) == 1

    # A returned case past its deadline in the same sweep is still deemed abandoned.
    waiting = filed_case(implementation, person)
    waiting_request = services.return_for_supplement(waiting, actor=office.window, items=ITEMS)
    today = max(later, waiting_request.deadline + dt.timedelta(days=1))
    result = sweep_module.sweep(today)
    assert result.lapsed == 1 and result.lapsed_numbers == [waiting.number]
    assert _status(waiting) == CaseStatus.WITHDRAWN and _lapsed(waiting_request)
    # The others are left as they were.
    assert _status(refused) == CaseStatus.NOT_ACCEPTED and not _lapsed(refused_request)
    assert _status(withdrawn) == CaseStatus.WITHDRAWN and not _lapsed(withdrawn_request)
    assert not Case.objects.get(pk=withdrawn.pk).events.filter(action="supplement_lapse").exists()


def test_supplementing_case_past_its_deadline_still_lapses_back_to_review() -> None:
    office = Office()
    person = applicant()
    case = filed_case(publish(office.organisation), person)
    services.accept(case, actor=office.window)
    services.start_review(case, actor=office.reviewer)
    request = services.request_supplement(case, actor=office.reviewer, items=ITEMS)
    result = sweep_module.sweep(request.deadline + dt.timedelta(days=1))
    assert result.lapsed == 1 and _lapsed(request)
    assert _status(case) == CaseStatus.IN_REVIEW
