"""Time limits in working days: holidays and 调休, suspension, extension, deemed acceptance, warnings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command

from cases.case_factories import Office, applicant, filed_case, publish, upload_required
from yiwang.cases import deadlines, services
from yiwang.cases.models import Case, CaseStatus, WarningLevel
from yiwang.cases.sweep import sweep
from yiwang.cases.tasks import sweep_deadlines
from yiwang.core.models import AuditEntry
from yiwang.core.workdays import add_working_days, working_days_between

pytestmark = pytest.mark.django_db

D = dt.date


def test_acceptance_deadline_runs_over_national_day_and_its_adjusted_saturday() -> None:
    # 2025 国庆/中秋: 1–8 Oct off; Sat 11 Oct is a working day (调休). 5 working days after Tue 30 Sep:
    # 9 Oct, 10 Oct, 11 Oct (Sat), 13 Oct, 14 Oct.
    assert add_working_days(D(2025, 9, 30), deadlines.ACCEPTANCE_DAYS) == D(2025, 10, 14)
    # Submitted on the adjusted Sunday 28 Sep: that day does not count, 29 and 30 Sep do.
    assert add_working_days(D(2025, 9, 28), 3) == D(2025, 10, 9)


def _case(**fields: Any) -> Case:
    values: dict[str, Any] = {
        "limit_days": 20,
        "acceptance_days": 5,
        "extension_days": 0,
        "suspended_days": 0,
    }
    values.update(fields)
    return Case(**values)


def test_decision_deadline_moves_with_suspension_and_extension() -> None:
    accepted = D(2025, 9, 30)
    plain = deadlines.clock_fields(_case(accepted_on=accepted), CaseStatus.IN_REVIEW, today=accepted)
    assert plain["decision_due"] == add_working_days(accepted, 20) == D(2025, 11, 4)
    suspended = deadlines.clock_fields(
        _case(accepted_on=accepted, suspended_days=3), CaseStatus.IN_REVIEW, today=accepted
    )
    assert suspended["decision_due"] == add_working_days(D(2025, 11, 4), 3)
    extended = deadlines.clock_fields(
        _case(accepted_on=accepted, suspended_days=3, extension_days=10), CaseStatus.IN_REVIEW, today=accepted
    )
    assert working_days_between(accepted, extended["decision_due"]) == 33
    stopped = deadlines.clock_fields(
        _case(accepted_on=accepted, suspended_since=D(2025, 10, 9)),
        CaseStatus.SPECIAL_PROCEDURE,
        today=accepted,
    )
    assert stopped["due_on"] is None and stopped["warn_on"] is None  # the clock stands still
    # Yellow from 80 % of the allowed time (16 of 20 working days), red after the deadline.
    assert plain["warn_on"] == add_working_days(accepted, 16)
    assert deadlines.level_on(plain["warn_on"], plain["due_on"], plain["warn_on"]) == WarningLevel.YELLOW
    assert deadlines.level_on(D(2025, 11, 5), plain["due_on"], plain["warn_on"]) == WarningLevel.RED


def test_special_procedure_not_counted_moves_the_case_deadline() -> None:
    office = Office()
    case = filed_case(publish(office.organisation), applicant())
    services.accept(case, actor=office.window)
    services.start_review(case, actor=office.reviewer)
    case.refresh_from_db()
    original_due = case.decision_due
    run = services.start_special_procedure(
        case, actor=office.reviewer, kind="专家评审", reason="需组织专家论证"
    )
    assert run.counts_toward_limit is False  # as the guide's special procedure says
    case.refresh_from_db()
    assert case.status == CaseStatus.SPECIAL_PROCEDURE and case.due_on is None
    # The procedure began four working days ago (set the recorded start back to simulate elapsed time).
    started = D.fromordinal(case.suspended_since.toordinal())  # type: ignore[union-attr]
    back = started
    while working_days_between(back, started) < 4:
        back -= dt.timedelta(days=1)
    Case.objects.filter(pk=case.pk).update(suspended_since=back)
    run = services.end_special_procedure(case, actor=office.reviewer, result="专家评审通过")
    case.refresh_from_db()
    assert run.suspended_days == 4 and case.suspended_days == 4
    assert case.decision_due == add_working_days(original_due, 4)  # type: ignore[arg-type]
    assert case.due_on == case.decision_due and case.status == CaseStatus.IN_REVIEW

    services.extend(case, actor=office.approver, days=10, reason="需补充现场勘验")
    case.refresh_from_db()
    assert case.decision_due == add_working_days(original_due, 14)  # type: ignore[arg-type]


def test_supplement_after_acceptance_stops_the_clock() -> None:
    office = Office()
    person = applicant()
    case = filed_case(publish(office.organisation), person)
    services.accept(case, actor=office.window)
    services.start_review(case, actor=office.reviewer)
    services.request_supplement(
        case, actor=office.reviewer, items=[{"material": "建筑工程施工许可申请表", "problem": "页码不全"}]
    )
    case.refresh_from_db()
    assert (
        case.status == CaseStatus.SUPPLEMENTING and case.suspended_since is not None and case.due_on is None
    )
    upload_required(case, person)
    services.supplement(case, actor=person)
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW and case.suspended_since is None and case.due_on is not None


def test_unanswered_application_is_deemed_accepted_and_says_so(
    sms_outbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    office = Office()
    person = applicant()
    implementation = publish(office.organisation)
    case = filed_case(implementation, person)
    returned = filed_case(implementation, applicant())
    assert case.acceptance_due is not None
    services.return_for_supplement(
        returned,
        actor=office.window,
        items=[{"material": "申请表", "problem": "未签字"}],
        deadline=add_working_days(case.acceptance_due, 10),  # still within its 补正 period at the sweep
    )

    on_due_day = sweep(case.acceptance_due)
    assert on_due_day.deemed_accepted == 0
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep(case.acceptance_due + dt.timedelta(days=1))
    assert result.deemed_accepted == 1 and result.deemed_numbers == [case.number]
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED and case.deemed_accepted
    assert case.accepted_on == case.submitted_on  # accepted from the day of receipt (第三十二条)
    assert case.decision_due == add_working_days(case.submitted_on, case.limit_days)  # type: ignore[arg-type]
    event = case.events.get(action="deemed_accept")
    assert "视为受理" in event.comment and event.to_status == CaseStatus.ACCEPTED
    assert Case.objects.get(pk=returned.pk).status == CaseStatus.RETURNED  # told to supplement in time
    assert AuditEntry.objects.filter(action="cases.sweep").exists()
    assert "视为" in sms_outbox.read_text(encoding="utf-8")


def test_deemed_acceptance_costs_the_same_statements_for_one_case_or_many(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Cases filed the same day under the same limit are one group: one UPDATE for all of them, and
    the event subscribers get them as one batch (the model's default ordering once made every case a
    group of its own, a query per case)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from yiwang.core import events

    office = Office()
    implementation = publish(office.organisation)
    first = filed_case(implementation, applicant())
    assert first.acceptance_due is not None
    day_after = first.acceptance_due + dt.timedelta(days=1)

    def swept(count: int) -> int:
        Case.objects.filter(status=CaseStatus.SUBMITTED).delete()
        for _ in range(count):
            filed_case(implementation, applicant())
        with CaptureQueriesContext(connection) as captured:
            assert sweep(day_after).deemed_accepted == count
        return len(captured)

    batches: list[int] = []
    events.subscribe(
        "case.accepted", lambda e, p: batches.append(1), batch=lambda e, ps: batches.append(len(ps))
    )
    try:
        assert swept(1) == swept(6)
        with django_capture_on_commit_callbacks(execute=True):
            filed_case(implementation, applicant()), filed_case(implementation, applicant())
            sweep(day_after)
    finally:
        events._handlers["case.accepted"].pop()
    assert batches[-1] == 2  # the last sweep's two acceptances reached the subscriber together


def test_sweep_raises_yellow_then_red_and_only_touches_running_clocks() -> None:
    office = Office()
    case = filed_case(publish(office.organisation), applicant())
    services.accept(case, actor=office.window)
    case.refresh_from_db()
    assert case.warn_on is not None and case.due_on is not None
    result = sweep(case.warn_on)
    assert (result.yellow, result.red) == (1, 0)
    assert Case.objects.get(pk=case.pk).warning_level == WarningLevel.YELLOW
    assert sweep(case.warn_on).yellow == 0  # not warned twice
    result = sweep(case.due_on + dt.timedelta(days=1))
    assert (result.yellow, result.red) == (0, 1)
    assert Case.objects.get(pk=case.pk).warning_level == WarningLevel.RED


def test_sweep_command_and_task(capsys: Any) -> None:
    call_command("cases", "sweep", "--date", "2026-03-02")
    assert "期限扫描" in capsys.readouterr().out
    assert sweep_deadlines.apply().get() == {
        "deemed_accepted": 0,
        "lapsed": 0,
        "yellow": 0,
        "red": 0,
        "step_yellow": 0,
        "step_red": 0,
    }
