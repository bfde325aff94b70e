"""The whole life cycle through the services, and every refusal on the way."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from cases.case_factories import (
    NO_FEE,
    Office,
    applicant,
    filed_case,
    form_for,
    material,
    publish,
    upload_required,
)
from yiwang.cases import services
from yiwang.cases.errors import CaseError, NotPermitted, TransitionRefused
from yiwang.cases.models import Case, CaseEvent, CaseStatus, MaterialStatus, StepStatus
from yiwang.core import events
from yiwang.core.models import AuditEntry
from yiwang.core.workdays import add_working_days

pytestmark = pytest.mark.django_db


def sms_lines(path: Path) -> list[dict[str, Any]]:
    return (
        [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    )


def test_full_life_cycle_with_supplement(sms_outbox: Path, django_capture_on_commit_callbacks: Any) -> None:
    office = Office()
    implementation = publish(office.organisation, **NO_FEE)  # delivery of a fee item waits for payment
    person = applicant()
    published: list[str] = []
    for name in ("case.filed", "case.accepted", "case.approved", "case.completed", "case.delivered"):
        events.subscribe(name, lambda event, payload: published.append(event))

    with django_capture_on_commit_callbacks(execute=True):
        case = services.create_draft(implementation, applicant=person, form_data=form_for(person))
    assert case.status == CaseStatus.DRAFT and case.number is None
    assert case.guide_id == implementation.published_version_id
    statuses = dict(case.materials.values_list("name", "status"))
    assert statuses == {
        "建筑工程施工许可申请表": MaterialStatus.MISSING,
        "营业执照": MaterialStatus.TO_BE_FETCHED,  # obtainable by licence: marked, not dropped
        "建设工程规划许可证": MaterialStatus.TO_BE_FETCHED,
        "施工合同": MaterialStatus.MISSING,  # deferrable, not required for submission
    }
    with pytest.raises(CaseError, match="建筑工程施工许可申请表"):
        services.submit(case, actor=person)

    upload_required(case, person)
    with django_capture_on_commit_callbacks(execute=True):
        case = services.submit(case, actor=person)
    assert case.status == CaseStatus.SUBMITTED
    assert re.fullmatch(rf"{implementation.region_id}\d{{8}}000001", case.number or "")
    assert case.acceptance_due == add_working_days(case.submitted_on, 5)  # type: ignore[arg-type]
    assert case.due_on == case.acceptance_due

    with django_capture_on_commit_callbacks(execute=True):
        request = services.return_for_supplement(
            case,
            actor=office.window,
            items=[
                {"material": "建筑工程施工许可申请表", "problem": "缺少法定代表人签字"},
                {"material": "申请表第3栏", "problem": "建设地址与规划许可证不一致"},
            ],
        )
    case.refresh_from_db()
    assert case.status == CaseStatus.RETURNED and case.due_on is None
    assert len(request.items) == 2
    assert material(case, "建筑工程施工许可申请表").status == MaterialStatus.MISSING
    notice = case.documents.get(kind="supplement")
    assert notice.file.read().startswith(b"%PDF")
    with pytest.raises(CaseError, match="仍需补正"):
        services.resubmit(case, actor=person)
    upload_required(case, person)
    case = services.resubmit(case, actor=person)
    assert case.status == CaseStatus.SUBMITTED
    assert request.__class__.objects.get(pk=request.pk).answered_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        case = services.accept(case, actor=office.window)
    assert case.status == CaseStatus.ACCEPTED
    assert case.decision_due == add_working_days(case.accepted_on, 5)  # type: ignore[arg-type]
    assert case.documents.filter(kind="acceptance").count() == 1

    case = services.start_review(case, actor=office.reviewer)
    steps = list(case.steps.order_by("order"))
    assert [s.name for s in steps] == ["受理", "审查", "决定", "制证送达"]
    assert [s.status for s in steps] == ["active", "pending", "pending", "pending"]
    with pytest.raises(TransitionRefused, match="未完成的办理环节"):
        services.approve(case, actor=office.approver)
    with pytest.raises(TransitionRefused, match="不能办理"):
        services.complete_step(case, steps[1], actor=office.reviewer)
    for step in steps:
        services.complete_step(case, step, actor=office.reviewer, opinion="符合条件")
    assert set(case.steps.values_list("status", flat=True)) == {StepStatus.DONE}

    with pytest.raises(NotPermitted):
        services.approve(case, actor=office.reviewer)  # reviewers do not decide
    with django_capture_on_commit_callbacks(execute=True):
        case = services.approve(case, actor=office.approver, reason="材料齐全，符合施工许可条件")
    assert case.status == CaseStatus.APPROVED
    assert case.delivery_due == add_working_days(case.decided_on, 10)  # type: ignore[arg-type]
    assert case.documents.filter(kind="decision").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        case = services.complete(case, actor=office.approver)
    with pytest.raises(CaseError, match="快递单号"):
        services.deliver(case, actor=office.window, method="post")
    with django_capture_on_commit_callbacks(execute=True):
        case = services.deliver(case, actor=office.window, method="post", tracking_number="SF1234567890")
    assert case.status == CaseStatus.DELIVERED and case.due_on is None

    actions = list(case.events.values_list("action", flat=True))
    assert actions[:2] == ["create", "upload"]
    assert {
        "submit",
        "return_for_supplement",
        "resubmit",
        "accept",
        "start_review",
        "approve",
        "deliver",
    } <= set(actions)
    supplement_event = case.events.get(action="return_for_supplement")
    assert supplement_event.actor == office.window
    assert supplement_event.documents.count() == 1
    # One audit row per case event (other apps may audit their own actions on the case too).
    case_audits = AuditEntry.objects.filter(
        object_type="cases.case", object_id=str(case.pk), action__startswith="cases."
    )
    assert case_audits.count() == len(actions)
    assert published == ["case.filed", "case.accepted", "case.approved", "case.completed", "case.delivered"]
    messages = [line["message"] for line in sms_lines(sms_outbox) if line["phone"] == person.phone]
    assert any(case.number in m and "已提交" in m for m in messages)
    assert any("补正" in m for m in messages)
    assert any("SF1234567890" in m for m in messages)


def test_illegal_transitions_are_refused_with_a_reason() -> None:
    office = Office()
    implementation = publish(office.organisation)
    person = applicant()
    draft = services.create_draft(implementation, applicant=person, form_data=form_for(person))
    with pytest.raises(TransitionRefused, match="当前状态为“草稿”，不能执行“受理”"):
        services.accept(draft, actor=office.window)

    case = filed_case(implementation, person)
    with pytest.raises(NotPermitted):
        services.accept(case, actor=person)  # the applicant cannot accept their own case
    stranger = Office()
    with pytest.raises(NotPermitted):
        services.accept(case, actor=stranger.window)  # another department's clerk
    with pytest.raises(NotPermitted):
        services.accept(case, actor=None)
    with pytest.raises(CaseError, match="理由"):
        services.not_accept(case, actor=office.window, reason="  ")
    with pytest.raises(CaseError, match="全部内容"):
        services.return_for_supplement(case, actor=office.window, items=[])
    with pytest.raises(TransitionRefused, match="不能执行“开始审查”"):
        services.start_review(case, actor=office.reviewer)

    services.accept(case, actor=office.window)
    services.start_review(case, actor=office.reviewer)
    with pytest.raises(CaseError, match="1 到 10"):
        services.extend(case, actor=office.approver, days=11, reason="需现场核查")
    services.extend(case, actor=office.approver, days=10, reason="需现场核查")
    with pytest.raises(TransitionRefused, match="已延长过一次"):
        services.extend(case, actor=office.approver, days=1, reason="再延")
    with pytest.raises(CaseError, match="说明理由"):
        services.refuse(case, actor=office.approver, reason="")
    services.refuse(case, actor=office.approver, reason="不符合施工许可条件：施工场地不具备施工条件")
    with pytest.raises(TransitionRefused, match="已作出决定"):
        services.withdraw(case, actor=person)
    with pytest.raises(TransitionRefused):
        services.update_draft(case, actor=person, form_data=form_for(person))
    assert Case.objects.get(pk=case.pk).status == CaseStatus.REFUSED


def test_not_accepted_with_reason_and_competent_body() -> None:
    office = Office()
    case = filed_case(publish(office.organisation), applicant())
    services.not_accept(
        case, actor=office.window, reason="不属于本机关职权范围", competent_body="西湖区住建局"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.NOT_ACCEPTED and case.competent_body == "西湖区住建局"
    document = case.documents.get(kind="non_acceptance")
    assert document.event.action == "not_accept" and len(document.sm3) == 64


def test_transfer_to_the_competent_organisation() -> None:
    office, other = Office(), Office()
    case = filed_case(publish(office.organisation), applicant())
    services.transfer(case, actor=office.window, to_organisation=other.organisation, reason="属地管辖")
    case.refresh_from_db()
    assert case.status == CaseStatus.TRANSFERRED and case.transferred_to == other.organisation


def test_applicant_withdraws_during_review() -> None:
    office = Office()
    person = applicant()
    case = filed_case(publish(office.organisation), person)
    services.accept(case, actor=office.window)
    services.start_review(case, actor=office.reviewer)
    with pytest.raises(NotPermitted):
        services.withdraw(case, actor=applicant())
    services.withdraw(case, actor=person, reason="项目取消")
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN and case.due_on is None
    assert CaseEvent.objects.filter(case=case, action="withdraw", actor=person).exists()


def test_deferred_material_holds_back_the_result_until_provided() -> None:
    office = Office()
    person = applicant()
    implementation = publish(office.organisation)
    case = services.create_draft(implementation, applicant=person, form_data=form_for(person))
    contract = material(case, "施工合同")
    with pytest.raises(CaseError, match="不是可容缺"):
        services.defer_material(
            case,
            material(case, "建筑工程施工许可申请表"),
            actor=person,
            promise_text="x",
            promise_due=case.created_at.date(),
        )
    due = add_working_days(case.created_at.date(), 3)
    services.defer_material(
        case, contract, actor=person, promise_text="本人承诺三日内补交施工合同。", promise_due=due
    )
    upload_required(case, person)
    case = services.submit(case, actor=person)
    services.accept(case, actor=office.window)
    assert material(case, "施工合同").status == MaterialStatus.DEFERRED
    services.start_review(case, actor=office.reviewer)
    for step in case.steps.order_by("order"):
        services.complete_step(case, step, actor=office.reviewer)
    services.approve(case, actor=office.approver)
    with pytest.raises(TransitionRefused, match="容缺受理的材料尚未补交：施工合同"):
        services.complete(case, actor=office.approver)
    services.upload_material(
        case,
        material(case, "施工合同"),
        actor=person,
        name="合同.pdf",
        content_type="application/pdf",
        data=b"%PDF-1.7\n",
    )
    services.complete(case, actor=office.approver)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.COMPLETED
