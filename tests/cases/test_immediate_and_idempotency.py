"""即办件, 秒批 by rule, and submissions that never create two cases."""

from __future__ import annotations

import pytest

from cases.case_factories import Office, applicant, filed_case, form_for, publish, upload_required
from yiwang.accounts.models import RealNameLevel
from yiwang.cases import services
from yiwang.cases.errors import CaseError
from yiwang.cases.models import AutoApprovalRule, Case, CaseStatus
from yiwang.catalog import codes

pytestmark = pytest.mark.django_db

IMMEDIATE = {
    "case_type": codes.CaseType.IMMEDIATE,
    "promised_limit": 0,
    "promised_limit_unit": codes.TimeUnit.IMMEDIATE,
    "steps": [
        {"name": "受理", "role": "窗口受理人员", "time_limit": 0},
        {"name": "审核决定", "role": "窗口受理人员", "time_limit": 0, "result": "当场办结"},
    ],
}


def test_immediate_item_is_accepted_and_decided_at_once_at_the_window() -> None:
    office = Office()
    case = filed_case(publish(office.organisation, **IMMEDIATE), applicant())
    assert case.is_immediate and case.acceptance_due == case.submitted_on  # the same day
    case = services.handle_immediately(case, actor=office.window, approve_it=True)
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    assert case.accepted_on == case.decided_on == case.submitted_on
    assert list(case.events.values_list("action", flat=True))[-3:] == [
        "complete_step",
        "complete_step",
        "approve_immediately",
    ]
    assert {d.kind for d in case.documents.all()} == {"acceptance", "decision"}


def test_promised_items_are_not_decided_at_the_window() -> None:
    office = Office()
    case = filed_case(publish(office.organisation), applicant())
    with pytest.raises(CaseError, match="不是即办件"):
        services.handle_immediately(case, actor=office.window, approve_it=True)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED


def test_auto_approval_decides_by_rule_and_records_it() -> None:
    implementation = publish()
    AutoApprovalRule.objects.create(implementation=implementation, description="材料齐全且人口库核验通过")
    case = filed_case(implementation, applicant(level=RealNameLevel.L2))
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED and case.auto_decided
    approve = case.events.get(action="approve")
    assert approve.actor is None and approve.data["auto"] is True
    assert "秒批" in case.decision_reason


def test_auto_approval_rule_not_met_leaves_the_case_to_people() -> None:
    implementation = publish()
    AutoApprovalRule.objects.create(implementation=implementation)
    case = filed_case(implementation, applicant(level=RealNameLevel.L1))
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and not case.auto_decided
    note = case.events.get(action="auto_approve")
    assert note.data["passed"] is False and "实名等级" in note.comment


def test_the_same_idempotency_key_never_creates_a_second_case() -> None:
    person = applicant()
    implementation = publish()
    first = services.create_draft(
        implementation, applicant=person, form_data=form_for(person), idempotency_key="k-1"
    )
    again = services.create_draft(
        implementation, applicant=person, form_data=form_for(person), idempotency_key="k-1"
    )
    assert again.pk == first.pk
    upload_required(first, person)
    filed = services.submit(first, actor=person, idempotency_key="k-1")
    retried = services.submit(first, actor=person, idempotency_key="k-1")  # a double click
    assert retried.pk == filed.pk and retried.number == filed.number
    assert (
        services.file_application(
            implementation, applicant=person, form_data=form_for(person), idempotency_key="k-1"
        ).pk
        == filed.pk
    )
    assert Case.objects.filter(applicant=person).count() == 1
    # Another person may use the same key: keys are per applicant.
    other = applicant()
    draft = services.create_draft(
        implementation, applicant=other, form_data=form_for(other), idempotency_key="k-1"
    )
    assert draft.pk != filed.pk


def test_case_numbers_count_per_region_and_day() -> None:
    implementation = publish()
    numbers = [filed_case(implementation, applicant()).number or "" for _ in range(3)]
    assert [n[-6:] for n in numbers] == ["000001", "000002", "000003"]
    assert len({n[:14] for n in numbers}) == 1 and all(len(n) == 20 for n in numbers)
