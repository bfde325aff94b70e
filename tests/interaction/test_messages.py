"""Consultations, complaints, suggestions and help requests: routing, reply deadlines per kind in working
days, attachments checked by content, transfer, extension, reply and the asker's satisfaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from accounts.identity_factories import make_person
from cases.case_factories import JPEG_BYTES, PDF_BYTES, publish
from catalog.factories import make_organisation
from interaction.interaction_factories import Desk, consultation
from yiwang.core.models import AuditEntry, InboxMessage
from yiwang.core.workdays import add_working_days, working_days_between
from yiwang.interaction import services
from yiwang.interaction.models import Kind, MessageEvent, Status, WarningLevel
from yiwang.interaction.services import InteractionError, NotPermitted
from yiwang.interaction.sweep import sweep

pytestmark = pytest.mark.django_db


def test_a_consultation_goes_to_the_chosen_organisation_with_a_working_day_deadline() -> None:
    desk = Desk()
    message = consultation(desk)
    today = timezone.localdate()
    assert message.number.startswith(f"ZX{today:%Y%m%d}")
    assert message.organisation == desk.organisation and message.status == Status.SUBMITTED
    assert message.limit_days == 5 and message.due_on == add_working_days(today, 5)
    assert MessageEvent.objects.filter(message=message, action="submit").exists()
    assert AuditEntry.objects.filter(action="interaction.submit", object_id=str(message.pk)).exists()


def test_reply_limits_are_configured_per_kind(settings: object) -> None:
    settings.YIWANG_INTERACTION_REPLY_DAYS = {"complaint": 7}  # type: ignore[attr-defined]
    desk = Desk()
    complaint = consultation(desk, kind=Kind.COMPLAINT, complained_about="某窗口工作人员")
    suggestion = consultation(desk, kind=Kind.SUGGESTION)
    assert complaint.limit_days == 7 and complaint.number.startswith("TS")
    assert suggestion.limit_days == 15  # the default for suggestions
    with pytest.raises(InteractionError, match="被投诉的单位或人员"):
        consultation(desk, kind=Kind.COMPLAINT)


def test_routed_by_item_to_the_organisation_that_carries_it() -> None:
    organisation = make_organisation()
    implementation = publish(organisation)
    message = services.submit(
        asker=make_person(),
        kind=Kind.HELP,
        title="求助",
        content="网上申报一直提示错误",
        implementation=implementation,
    )
    assert message.organisation == organisation and message.implementation == implementation
    with pytest.raises(InteractionError, match="请选择受理部门"):
        services.submit(asker=make_person(), kind=Kind.HELP, title="求助", content="没有部门")


def test_attachments_are_checked_by_content() -> None:
    desk = Desk()
    message = consultation(
        desk, files=[("户口本.pdf", "application/pdf", PDF_BYTES), ("照片.jpg", "image/jpeg", JPEG_BYTES)]
    )
    assert [a.content_type for a in message.attachments.all()] == ["application/pdf", "image/jpeg"]
    with pytest.raises(InteractionError, match="不是可接受的格式"):
        consultation(desk, files=[("病毒.pdf", "application/pdf", b"MZ\x90\x00 not a pdf")])
    with pytest.raises(InteractionError, match=r"扩展名 \.png 与内容"):
        consultation(desk, files=[("截图.png", "", PDF_BYTES)])


def test_transfer_to_the_competent_organisation_restarts_its_clock(
    django_capture_on_commit_callbacks: Any,
) -> None:
    first, competent = Desk(), Desk()
    asker = make_person()
    message = consultation(first, asker)
    with pytest.raises(NotPermitted):
        services.transfer(
            message, actor=competent.clerk, to_organisation=competent.organisation, reason="越权"
        )
    with pytest.raises(InteractionError, match="不能转给本单位"):
        services.transfer(message, actor=first.clerk, to_organisation=first.organisation, reason="自己")
    with django_capture_on_commit_callbacks(execute=True):
        services.transfer(
            message, actor=first.clerk, to_organisation=competent.organisation, reason="户籍归公安管理"
        )
    message.refresh_from_db()
    assert message.organisation == competent.organisation and message.transfer_count == 1
    assert message.region_id == competent.organisation.region_id
    event = MessageEvent.objects.get(message=message, action="transfer")
    assert event.from_organisation == first.organisation and event.to_organisation == competent.organisation
    assert InboxMessage.objects.filter(user=asker, title__contains="已转交").exists()
    with pytest.raises(NotPermitted):  # the first organisation no longer holds it
        services.reply(message, actor=first.clerk, text="答复")
    message = services.reply(message, actor=competent.clerk, text="请携带出生医学证明到派出所办理。")
    assert message.status == Status.REPLIED


def test_extension_once_with_a_reason_moves_the_deadline_by_working_days() -> None:
    desk = Desk()
    message = consultation(desk)
    due = message.due_on
    with pytest.raises(InteractionError, match="延期原因"):
        services.extend(message, actor=desk.clerk, days=3, reason=" ")
    with pytest.raises(InteractionError, match="1 到 5 个工作日"):
        services.extend(message, actor=desk.clerk, days=9, reason="需要会商")
    services.extend(message, actor=desk.clerk, days=3, reason="需要与卫健部门会商")
    message.refresh_from_db()
    assert message.extension_days == 3 and working_days_between(due, message.due_on) == 3
    with pytest.raises(InteractionError, match="已延期过一次"):
        services.extend(message, actor=desk.clerk, days=1, reason="再延")


def test_reply_and_the_askers_satisfaction_once(django_capture_on_commit_callbacks: Any) -> None:
    desk = Desk()
    asker = make_person()
    message = consultation(desk, asker)
    with pytest.raises(InteractionError, match="答复后才能评价"):
        services.rate_reply(message, asker=asker, satisfaction=1)
    with pytest.raises(NotPermitted):
        services.reply(message, actor=desk.supervisor, text="监督岗位不答复")
    with django_capture_on_commit_callbacks(execute=True):
        services.reply(message, actor=desk.clerk, text="可以网上办理，材料为出生医学证明和父母户口簿。")
    assert InboxMessage.objects.filter(user=asker, title__contains="已答复").exists()
    with pytest.raises(NotPermitted):
        services.rate_reply(message, asker=make_person(), satisfaction=1)
    services.rate_reply(message, asker=asker, satisfaction=2, comment="清楚")
    with pytest.raises(InteractionError, match="已评价过"):
        services.rate_reply(message, asker=asker, satisfaction=1)


def test_the_sweep_warns_then_marks_overdue_and_reply_records_overdue_days() -> None:
    desk = Desk()
    message = consultation(desk)
    result = sweep(message.warn_on)
    assert result.yellow == 1
    message.refresh_from_db()
    assert message.warning_level == WarningLevel.YELLOW
    late = message.due_on + dt.timedelta(days=1)
    assert sweep(late).red == 1
    message.refresh_from_db()
    assert message.warning_level == WarningLevel.RED


def test_the_operator_command_sweeps_and_syncs() -> None:
    from io import StringIO

    from django.core.management import call_command

    message = consultation(Desk())
    out = StringIO()
    call_command(
        "interaction", "sweep", "--date", (message.due_on + dt.timedelta(days=1)).isoformat(), stdout=out
    )
    assert "新增超期 1 件" in out.getvalue()
    out = StringIO()
    call_command("interaction", "sync-faq", stdout=out)
    assert "知识库" in out.getvalue()
