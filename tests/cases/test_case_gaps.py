"""Issue 5 gaps in the case core: situation-specific materials, notices to inbox + SMS + e-mail, the
受理通知书 of a deemed acceptance, review-step warnings, the 补正 deadline, and the delivery gate."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from cases.case_factories import NO_FEE, Office, applicant, filed_case, form_for, publish, upload_required
from yiwang.cases import gates, services
from yiwang.cases.errors import CaseError, NotPermitted, TransitionRefused
from yiwang.cases.models import Case, CaseStatus, DocumentKind, StepStatus, WarningLevel
from yiwang.cases.sweep import sweep
from yiwang.catalog.models import Material, Situation
from yiwang.core import inbox
from yiwang.core.models import InboxMessage
from yiwang.core.workdays import add_working_days, working_days_between

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture(autouse=True)
def eager_tasks() -> Any:
    """The 受理通知书 of a deemed acceptance is a task: run it inline on the PostgreSQL + Redis pass too."""
    from yiwang.core.tasks import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def _sms(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


# --- 办理情形 ------------------------------------------------------------------------------------------


def _with_situations() -> tuple[Any, Situation, Situation]:
    implementation = publish()
    guide = implementation.published_version
    moved = Situation.objects.create(guide=guide, name="跨区迁入", order=1)
    agent = Situation.objects.create(guide=guide, name="委托代理人办理", order=2)
    Material.objects.create(guide=guide, situation=moved, name="原户籍地迁出证明", order=10)
    Material.objects.create(guide=guide, situation=agent, name="授权委托书", order=11)
    return implementation, moved, agent


def test_choose_situations_rebuilds_the_material_list_and_keeps_uploads() -> None:
    implementation, moved, agent = _with_situations()
    person = applicant()
    case = services.create_draft(implementation, applicant=person, form_data=form_for(person))
    common = set(case.materials.values_list("name", flat=True))
    assert "授权委托书" not in common
    upload_required(case, person)  # the common application form now has a file

    services.choose_situations(case, actor=person, situation_ids=[agent.pk, moved.pk, agent.pk])
    names = set(case.materials.values_list("name", flat=True))
    assert names == common | {"原户籍地迁出证明", "授权委托书"}
    assert set(case.situations.values_list("pk", flat=True)) == {moved.pk, agent.pk}
    form = case.materials.get(name="建筑工程施工许可申请表")
    assert form.files.count() == 1  # survives the rebuild

    services.choose_situations(case, actor=person, situation_ids=[moved.pk])
    assert set(case.materials.values_list("name", flat=True)) == common | {"原户籍地迁出证明"}
    assert case.materials.get(name="建筑工程施工许可申请表").files.count() == 1
    with pytest.raises(CaseError, match="原户籍地迁出证明"):
        services.submit(case, actor=person)  # the situation's material is required now
    assert case.events.filter(action="choose_situations").count() == 2

    services.choose_situations(case, actor=person, situation_ids=[])
    assert set(case.materials.values_list("name", flat=True)) == common


def test_choose_situations_refuses_foreign_ids_other_people_and_filed_cases() -> None:
    implementation, moved, _agent = _with_situations()
    _other_impl, foreign, _ = _with_situations()
    person = applicant()
    case = services.create_draft(implementation, applicant=person, form_data=form_for(person))
    with pytest.raises(CaseError, match="不属于该事项"):
        services.choose_situations(case, actor=person, situation_ids=[foreign.pk])
    with pytest.raises(NotPermitted):
        services.choose_situations(case, actor=applicant(), situation_ids=[moved.pk])
    filed = filed_case(implementation, person)
    with pytest.raises(TransitionRefused, match="不能再更改办理情形"):
        services.choose_situations(filed, actor=person, situation_ids=[moved.pk])


# --- notices: inbox + SMS + e-mail ----------------------------------------------------------------------


def test_applicant_notices_go_to_inbox_sms_and_email(
    sms_outbox: Path, django_capture_on_commit_callbacks: Any
) -> None:
    office = Office()
    person = applicant()
    person.email = "zhang@example.org"
    person.save(update_fields=["email"])
    no_mail = applicant()
    implementation = publish(office.organisation)
    with django_capture_on_commit_callbacks(execute=True):
        case = filed_case(implementation, person)
        other = filed_case(implementation, no_mail)
        services.accept(case, actor=office.window)
    titles = list(inbox.messages_for(person).values_list("title", flat=True))
    assert any("已受理" in t for t in titles) and any("已提交" in t for t in titles)
    message = inbox.messages_for(person).first()
    assert message is not None and message.case_number == case.number and case.number in message.link
    assert inbox.unread_count(no_mail) == 1 and other.number in inbox.messages_for(no_mail)[0].body
    assert {m.to[0] for m in mail.outbox} == {"zhang@example.org"}  # only who has an address
    assert any(case.number in m.body for m in mail.outbox if "已受理" in m.subject)
    assert any(case.number in line["message"] for line in _sms(sms_outbox) if line["phone"] == person.phone)


def test_nothing_is_sent_when_the_change_rolls_back(django_capture_on_commit_callbacks: Any) -> None:
    office = Office()
    case = filed_case(publish(office.organisation), applicant())
    before = InboxMessage.objects.count()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(TransitionRefused):
        services.approve(case, actor=office.approver)  # not in review: refused, nothing committed
    assert InboxMessage.objects.count() == before


# --- deemed acceptance issues its 受理通知书 -------------------------------------------------------------


def test_deemed_acceptance_issues_the_acceptance_notice(django_capture_on_commit_callbacks: Any) -> None:
    person = applicant()
    case = filed_case(publish(), person)
    assert case.acceptance_due is not None
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep(case.acceptance_due + dt.timedelta(days=1))
    assert result.deemed_accepted == 1
    document = Case.objects.get(pk=case.pk).documents.get(kind=DocumentKind.ACCEPTANCE)
    assert document.event.action == "deemed_accept" and document.file.read().startswith(b"%PDF")
    assert services.issue_acceptance_notice(case.pk) is False  # idempotent
    assert any("视为受理" in t for t in inbox.messages_for(person).values_list("title", flat=True))


# --- review-step deadlines -----------------------------------------------------------------------------


def test_step_deadlines_warn_yellow_then_red_and_tell_the_department(
    django_capture_on_commit_callbacks: Any,
) -> None:
    office = Office()
    case = filed_case(publish(office.organisation), applicant())
    services.accept(case, actor=office.window)
    services.start_review(case, actor=office.reviewer)
    step = case.steps.get(status=StepStatus.ACTIVE)
    assert step.name == "受理" and step.time_limit == 1
    assert step.due_on == add_working_days(timezone.localdate(step.started_at), 1)
    assert step.warn_on == step.due_on  # ceil(0.8 × 1) = 1 working day
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep(step.warn_on)
    assert result.step_yellow == 1 and result.step_red == 0
    step.refresh_from_db()
    assert step.warning_level == WarningLevel.YELLOW
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep(step.due_on + dt.timedelta(days=1))  # type: ignore[operator]
    assert result.step_red == 1 and sweep(step.due_on + dt.timedelta(days=1)).step_red == 0  # type: ignore[operator]
    step.refresh_from_db()
    assert step.warning_level == WarningLevel.RED
    staff_messages = inbox.messages_for(office.window).values_list("body", flat=True)
    assert any("环节超时 1 个" in body for body in staff_messages)
    # A finished step leaves the sweep alone.
    services.complete_step(case, step, actor=office.window)
    nxt = case.steps.get(status=StepStatus.ACTIVE)
    assert nxt.name == "审查" and nxt.warning_level == WarningLevel.NONE


# --- the 补正 deadline ---------------------------------------------------------------------------------


def test_returned_case_not_supplemented_in_time_is_deemed_abandoned(
    django_capture_on_commit_callbacks: Any,
) -> None:
    office = Office()
    person = applicant()
    case = filed_case(publish(office.organisation), person)
    request = services.return_for_supplement(
        case, actor=office.window, items=[{"material": "建筑工程施工许可申请表", "problem": "未签字"}]
    )
    assert sweep(request.deadline).lapsed == 0  # the deadline day itself is still in time
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep(request.deadline + dt.timedelta(days=1))
    assert result.lapsed == 1 and result.lapsed_numbers == [case.number]
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN
    event = case.events.get(action="lapse")
    assert "视为放弃申请" in event.comment and event.actor is None
    request.refresh_from_db()
    assert request.lapsed_at is not None
    assert any("视为放弃申请" in m.body for m in inbox.messages_for(person))
    assert sweep(request.deadline + dt.timedelta(days=2)).lapsed == 0  # handled once


def test_answered_supplement_is_not_lapsed() -> None:
    office = Office()
    person = applicant()
    case = filed_case(publish(office.organisation), person)
    request = services.return_for_supplement(
        case, actor=office.window, items=[{"material": "建筑工程施工许可申请表", "problem": "未签字"}]
    )
    upload_required(case, person)
    services.resubmit(case, actor=person)
    assert sweep(request.deadline + dt.timedelta(days=1)).lapsed == 0
    assert Case.objects.get(pk=case.pk).status != CaseStatus.WITHDRAWN


def test_supplement_after_acceptance_lapses_back_to_review_with_clock_counted_to_the_deadline() -> None:
    office = Office()
    person = applicant()
    case = filed_case(publish(office.organisation), person)
    services.accept(case, actor=office.window)
    services.start_review(case, actor=office.reviewer)
    request = services.request_supplement(
        case, actor=office.reviewer, items=[{"material": "施工合同", "problem": "缺少盖章页"}]
    )
    case.refresh_from_db()
    since = case.suspended_since
    assert since is not None and case.status == CaseStatus.SUPPLEMENTING
    later = request.deadline + dt.timedelta(days=9)
    result = sweep(later)
    assert result.lapsed == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW and case.suspended_since is None
    # The clock stood still only until the deadline, not until the (late) sweep.
    assert case.suspended_days == working_days_between(since, request.deadline)
    assert case.due_on is not None and case.events.filter(action="supplement_lapse").exists()
    # The applicant can no longer answer this request; review goes on and can decide.
    with pytest.raises(TransitionRefused):
        services.supplement(case, actor=person)


def test_the_system_alone_may_lapse_a_supplement() -> None:
    office = Office()
    case = filed_case(publish(office.organisation), applicant())
    services.return_for_supplement(case, actor=office.window, items=[{"material": "申请表", "problem": "缺"}])
    case.refresh_from_db()
    with pytest.raises(NotPermitted):
        services._move(services._lock(case), "lapse", actor=office.window)


# --- the delivery gate ---------------------------------------------------------------------------------


def test_delivery_gate_holds_back_delivery_until_it_opens() -> None:
    office = Office()
    case = filed_case(publish(office.organisation, **NO_FEE), applicant())
    services.accept(case, actor=office.window)
    services.start_review(case, actor=office.reviewer)
    for step in list(case.steps.order_by("lane", "order")):
        services.complete_step(case, step, actor=office.reviewer)
    services.approve(case, actor=office.approver)
    services.complete(case, actor=office.approver)
    held = {"open": False}
    gates.register_delivery_gate("test-gate", lambda c: None if held["open"] else "须先缴费后才能送达。")
    try:
        with pytest.raises(TransitionRefused, match="须先缴费"):
            services.deliver(case, actor=office.window, method="electronic")
        assert Case.objects.get(pk=case.pk).status == CaseStatus.COMPLETED
        held["open"] = True
        services.deliver(case, actor=office.window, method="electronic")
        assert Case.objects.get(pk=case.pk).status == CaseStatus.DELIVERED
    finally:
        gates.unregister_delivery_gate("test-gate")


def test_lapsed_supplement_counts_working_days_across_national_day_and_its_saturday() -> None:
    # 2025 国庆/中秋: 1–8 Oct off, Sat 11 Oct a make-up working day (调休). Suspended from Mon 29 Sep with a
    # deadline of Sat 11 Oct: the working days in (29 Sep, 11 Oct] are 30 Sep, 9, 10 and 11 Oct = 4.
    office = Office()
    person = applicant()
    case = filed_case(publish(office.organisation), person)
    services.accept(case, actor=office.window)
    services.start_review(case, actor=office.reviewer)
    request = services.request_supplement(
        case, actor=office.reviewer, items=[{"material": "施工合同", "problem": "缺少盖章页"}]
    )
    Case.objects.filter(pk=case.pk).update(suspended_since=D(2025, 9, 29))
    type(request).objects.filter(pk=request.pk).update(deadline=D(2025, 10, 11))
    assert sweep(D(2025, 10, 11)).lapsed == 0  # the make-up Saturday is still within the period
    assert sweep(D(2025, 10, 13)).lapsed == 1
    case.refresh_from_db()
    assert case.suspended_days == 4 and case.status == CaseStatus.IN_REVIEW


def test_deadlines_on_a_provisional_year_are_recomputed_once_it_is_official() -> None:
    from yiwang.core import workdays
    from yiwang.core.models import CalendarYear, CalendarYearStatus

    office = Office()
    case = filed_case(publish(office.organisation), applicant())
    services.accept(case, actor=office.window)
    services.start_review(case, actor=office.reviewer)
    assert workdays.year_status(2027) == CalendarYearStatus.PROVISIONAL
    accepted = D(2026, 12, 28)  # five working days later is in January 2027
    due = add_working_days(accepted, case.limit_days)
    Case.objects.filter(pk=case.pk).update(
        accepted_on=accepted, decision_due=due, due_on=due, deadline_provisional=True
    )
    assert sweep(D(2026, 12, 29)).recomputed == 0  # 2027 still provisional: nothing to recompute with
    CalendarYear.objects.filter(year=2027).update(status=CalendarYearStatus.OFFICIAL)
    workdays.clear_cache()
    assert sweep(D(2026, 12, 29)).recomputed == 1
    case.refresh_from_db()
    assert not case.deadline_provisional and case.due_on == add_working_days(accepted, case.limit_days)
    assert sweep(D(2026, 12, 29)).recomputed == 0
