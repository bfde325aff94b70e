"""政民互动 writes: submit a message (to a chosen organisation or routed by item), transfer it to the
competent organisation, extend the reply deadline once with a reason, reply, the asker's satisfaction,
publication with the asker's consent (a published consultation joins the knowledge base), and the
hand-over from intelligent Q&A to a person.

Every change: one transaction, a guarded UPDATE (… WHERE id AND status AND version), a MessageEvent and
an audit row; events (`interaction.*`) and notices only after commit.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts import permissions
from yiwang.accounts.models import Role
from yiwang.cases.uploads import UploadRejected, inspect_upload
from yiwang.catalog.models import Implementation, PublicStatus
from yiwang.core import audit, events
from yiwang.core.models import Organisation
from yiwang.core.workdays import add_working_days, working_days_between

from . import knowledge, notify
from .models import NUMBER_PREFIX, Attachment, Kind, Message, MessageEvent, Satisfaction, Status, WarningLevel

DEFAULT_REPLY_DAYS = {Kind.CONSULTATION: 5, Kind.COMPLAINT: 10, Kind.SUGGESTION: 15, Kind.HELP: 5}
HANDLER_ROLES = [Role.WINDOW, Role.REVIEWER, Role.APPROVER, Role.ADMIN]
TITLE_MAX = 100
CONTENT_MAX = 5000
REPLY_MAX = 5000
MAX_ATTACHMENTS = 5

Upload = tuple[str, str, bytes]  # (file name, declared content type, bytes)


class InteractionError(Exception):
    """A refused operation; the message says in Chinese what is wrong and how to go on."""


class Conflict(InteractionError):
    """Someone else changed the message first."""


class NotPermitted(InteractionError, PermissionDenied):
    """The actor may not take this action."""


def reply_days(kind: str) -> int:
    """Working days to reply, per kind: YIWANG_INTERACTION_REPLY_DAYS as a setting (dict) or as the
    environment variable "consultation=5,complaint=10,…"; defaults DEFAULT_REPLY_DAYS."""
    configured: Mapping[str, Any] = getattr(settings, "YIWANG_INTERACTION_REPLY_DAYS", None) or {}
    if not configured and (raw := os.environ.get("YIWANG_INTERACTION_REPLY_DAYS", "")):
        configured = dict(part.split("=", 1) for part in raw.split(",") if "=" in part)
    value = configured.get(kind) or DEFAULT_REPLY_DAYS[Kind(kind)]
    return int(value)


def _today() -> dt.date:
    return timezone.localdate()


def clock(start: dt.date, days: int, today: dt.date) -> dict[str, Any]:
    due = add_working_days(start, days)
    share = float(getattr(settings, "YIWANG_CASE_WARNING_SHARE", 0.8))
    warn = add_working_days(start, min(days, max(1, math.ceil(days * share))))
    level = WarningLevel.RED if due < today else WarningLevel.YELLOW if warn <= today else WarningLevel.NONE
    return {"due_on": due, "warn_on": warn, "warning_level": level}


def may_handle(user: Any, message: Message) -> bool:
    return permissions.has_role(user, HANDLER_ROLES, message.organisation)


def _require_handler(actor: Any, message: Message) -> None:
    if not may_handle(actor, message):
        raise NotPermitted(
            _("您不是 %(org)s 的工作人员，无权办理该件。") % {"org": message.organisation.name}
        )


def _require_asker(actor: Any, message: Message) -> None:
    if getattr(actor, "pk", None) != message.asker_id:
        raise NotPermitted(_("只有提问人本人可以进行此操作。"))


def _record(message: Message, action: str, actor: Any, comment: str = "", **organisations: Any) -> None:
    user = actor if getattr(actor, "is_authenticated", False) else None
    MessageEvent.objects.create(
        message=message,
        action=action,
        actor=user,
        occurred_at=timezone.now(),
        comment=comment,
        **organisations,
    )
    audit.record(
        actor=user,
        action=f"interaction.{action}",
        object_type="interaction.message",
        object_id=message.pk,
        after={"status": message.status, "organisation": message.organisation_id},
        summary=f"{message.number}：{action}",
        data={"comment": comment[:200]},
    )
    events.publish(
        f"interaction.{action}",
        {
            "message_id": message.pk,
            "number": message.number,
            "kind": message.kind,
            "organisation_id": message.organisation_id,
        },
    )


def _guarded_update(message: Message, expected: str, /, **values: Any) -> None:
    changed = Message.objects.filter(pk=message.pk, status=expected, version=message.version).update(
        version=F("version") + 1, **values
    )
    if changed != 1:
        raise Conflict(_("%(n)s 刚刚已被他人处理，请刷新后查看最新状态。") % {"n": message.number})
    for name, value in values.items():
        setattr(message, name, value)
    message.version += 1


def _lock(message: Message) -> Message:
    return (
        Message.objects.select_for_update(of=("self",))
        .select_related("organisation", "asker")
        .get(pk=message.pk)
    )


# --- submitting -----------------------------------------------------------------------------------------


def _text(value: str, what: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise InteractionError(_("请填写%(w)s。") % {"w": what})
    if len(value) > limit:
        raise InteractionError(
            _("%(w)s最多 %(max)d 字，您写了 %(n)d 字。") % {"w": what, "max": limit, "n": len(value)}
        )
    return value


def route(organisation: Organisation | None, implementation: Implementation | None) -> Organisation:
    """The organisation a message goes to: the one chosen, else the one carrying the chosen item."""
    if organisation is not None:
        if not organisation.is_active:
            raise InteractionError(_("%(org)s 已撤销，请选择其他部门。") % {"org": organisation.name})
        return organisation
    if implementation is not None:
        if implementation.public_status != PublicStatus.PUBLISHED:
            raise InteractionError(_("所选事项目前未发布，请选择部门或其他事项。"))
        return implementation.organisation
    raise InteractionError(_("请选择受理部门，或选择相关事项由系统转给实施机构。"))


def submit(
    *,
    asker: Any,
    kind: str,
    title: str,
    content: str,
    organisation: Organisation | None = None,
    implementation: Implementation | None = None,
    contact_phone: str = "",
    complained_about: str = "",
    publish_consent: bool = False,
    files: Sequence[Upload] = (),
) -> Message:
    if not getattr(asker, "is_authenticated", False):
        raise NotPermitted(_("请先登录再提交。"))
    if kind not in Kind.values:
        raise InteractionError(_("类别应为咨询、投诉、建议或求助。"))
    title = _text(title, _("标题"), TITLE_MAX)
    content = _text(content, _("内容"), CONTENT_MAX)
    if kind == Kind.COMPLAINT and not complained_about.strip():
        raise InteractionError(_("投诉请填写被投诉的单位或人员。"))
    if len(files) > MAX_ATTACHMENTS:
        raise InteractionError(_("附件最多 %(n)d 个。") % {"n": MAX_ATTACHMENTS})
    inspected = []
    for name, declared, data in files:
        try:
            inspected.append((name, data, inspect_upload(name, declared, data)))
        except UploadRejected as exc:
            raise InteractionError(str(exc)) from None
    target = route(organisation, implementation)
    today = _today()
    limit = reply_days(kind)
    with transaction.atomic():
        message = Message.objects.create(
            kind=kind,
            title=title,
            content=content,
            asker=asker,
            contact_phone=(contact_phone or getattr(asker, "phone", "") or "").strip()[:20],
            organisation=target,
            region_id=target.region_id,
            implementation=implementation,
            complained_about=complained_about.strip()[:200],
            publish_consent=bool(publish_consent),
            clock_started_on=today,
            limit_days=limit,
            **clock(today, limit, today),
        )
        # 编号: kind prefix + date + the row id (unique without a counter table).
        message.number = f"{NUMBER_PREFIX[Kind(kind)]}{today:%Y%m%d}{message.pk:08d}"
        Message.objects.filter(pk=message.pk).update(number=message.number)
        for name, data, info in inspected:
            Attachment.objects.create(
                message=message,
                file=ContentFile(data, name=name),
                original_name=name[:200],
                content_type=info.content_type,
                size=info.size,
                sm3=info.sm3,
            )
        _record(message, "submit", asker, to_organisation=target)
        notify.staff(
            [target.pk],
            HANDLER_ROLES,
            {
                target.pk: _("【一网】收到%(k)s %(n)s，请于 %(d)s 前答复。")
                % {"k": Kind(kind).label, "n": message.number, "d": message.due_on}
            },
        )
    return message


def hand_over(
    question: str, *, asker: Any, organisation: Organisation | None = None, publish_consent: bool = False
) -> Message:
    """智能问答转人工: file the question as a consultation, routed to the chosen organisation or to the
    one carrying the item the question is most likely about."""
    question = _text(question, _("问题"), CONTENT_MAX)
    implementation = None if organisation is not None else knowledge.implementation_for(question)
    if organisation is None and implementation is None:
        raise InteractionError(_("没能判断该问题由哪个部门答复，请选择受理部门。"))
    title = question if len(question) <= TITLE_MAX else question[: TITLE_MAX - 1] + "…"
    return submit(
        asker=asker,
        kind=Kind.CONSULTATION,
        title=title,
        content=question,
        organisation=organisation,
        implementation=implementation,
        publish_consent=publish_consent,
    )


# --- handling ------------------------------------------------------------------------------------------


@transaction.atomic
def transfer(message: Message, *, actor: Any, to_organisation: Organisation, reason: str) -> Message:
    """转办: not ours — send it to the competent organisation; its reply clock starts afresh."""
    message = _lock(message)
    _require_handler(actor, message)
    reason = _text(reason, _("转办理由"), 300)
    if message.status != Status.SUBMITTED:
        raise InteractionError(_("%(n)s 已答复，不能再转办。") % {"n": message.number})
    if to_organisation.pk == message.organisation_id:
        raise InteractionError(_("不能转给本单位，请选择有权处理的其他单位。"))
    if not to_organisation.is_active:
        raise InteractionError(_("%(org)s 已撤销，请选择其他单位。") % {"org": to_organisation.name})
    source = message.organisation
    today = _today()
    _guarded_update(
        message,
        Status.SUBMITTED,
        organisation=to_organisation,
        region_id=to_organisation.region_id,
        clock_started_on=today,
        extension_days=0,
        extension_reason="",
        transfer_count=message.transfer_count + 1,
        **clock(today, message.limit_days, today),
    )
    _record(message, "transfer", actor, reason, from_organisation=source, to_organisation=to_organisation)
    notify.staff(
        [to_organisation.pk],
        HANDLER_ROLES,
        {
            to_organisation.pk: _("【一网】%(src)s 转来 %(n)s，请于 %(d)s 前答复。")
            % {"src": source.name, "n": message.number, "d": message.due_on}
        },
    )
    notify.person(
        message.asker,
        title=_("您的%(k)s %(n)s 已转交 %(org)s 办理")
        % {"k": message.get_kind_display(), "n": message.number, "org": to_organisation.name},
        body=_("转办理由：%(r)s。答复期限 %(d)s。") % {"r": reason, "d": message.due_on},
        link=reverse("interaction:detail", args=[message.number]),
    )
    return message


@transaction.atomic
def extend(message: Message, *, actor: Any, days: int, reason: str) -> Message:
    """延期: once, with a reason, by at most the kind's own limit; the asker is told."""
    message = _lock(message)
    _require_handler(actor, message)
    reason = _text(reason, _("延期原因"), 300)
    if message.status != Status.SUBMITTED:
        raise InteractionError(_("%(n)s 已答复，无需延期。") % {"n": message.number})
    if message.extension_days:
        raise InteractionError(_("%(n)s 已延期过一次，不能再次延期。") % {"n": message.number})
    if not 1 <= days <= message.limit_days:
        raise InteractionError(_("延期天数应为 1 到 %(max)d 个工作日。") % {"max": message.limit_days})
    today = _today()
    _guarded_update(
        message,
        Status.SUBMITTED,
        extension_days=days,
        extension_reason=reason,
        **clock(message.clock_started_on, message.limit_days + days, today),
    )
    _record(message, "extend", actor, reason)
    notify.person(
        message.asker,
        title=_("您的%(k)s %(n)s 答复期限延长 %(d)d 个工作日")
        % {"k": message.get_kind_display(), "n": message.number, "d": days},
        body=_("延期原因：%(r)s。新的答复期限 %(due)s。") % {"r": reason, "due": message.due_on},
        link=reverse("interaction:detail", args=[message.number]),
    )
    return message


@transaction.atomic
def reply(message: Message, *, actor: Any, text: str) -> Message:
    message = _lock(message)
    _require_handler(actor, message)
    text = _text(text, _("答复意见"), REPLY_MAX)
    if message.status != Status.SUBMITTED:
        raise InteractionError(_("%(n)s 已答复过。") % {"n": message.number})
    today = _today()
    overdue = max(0, working_days_between(message.due_on, today)) if message.due_on else 0
    _guarded_update(
        message,
        Status.SUBMITTED,
        status=Status.REPLIED,
        reply=text,
        replied_at=timezone.now(),
        replied_by=actor,
        overdue_days=overdue,
        due_on=None,
        warn_on=None,
        warning_level=WarningLevel.NONE,
    )
    _record(message, "reply", actor, text[:200])
    notify.person(
        message.asker,
        title=_("您的%(k)s %(n)s 已答复") % {"k": message.get_kind_display(), "n": message.number},
        body=text,
        link=reverse("interaction:detail", args=[message.number]),
    )
    return message


@transaction.atomic
def rate_reply(message: Message, *, asker: Any, satisfaction: int, comment: str = "") -> Message:
    """The asker's satisfaction with the reply (once)."""
    message = _lock(message)
    _require_asker(asker, message)
    if message.status != Status.REPLIED:
        raise InteractionError(_("答复后才能评价。"))
    if satisfaction not in Satisfaction.values:
        raise InteractionError(_("请选择满意度：1 非常满意 至 5 非常不满意。"))
    comment = (comment or "").strip()
    if len(comment) > 300:
        raise InteractionError(_("满意度说明最多 300 字。"))
    changed = Message.objects.filter(pk=message.pk, satisfaction__isnull=True).update(
        satisfaction=satisfaction, satisfaction_comment=comment, rated_at=timezone.now()
    )
    if changed != 1:
        raise InteractionError(_("您已评价过该答复。"))
    message.satisfaction, message.satisfaction_comment = satisfaction, comment
    _record(message, "rate", asker, f"{Satisfaction(satisfaction).label} {comment}".strip())
    return message


@transaction.atomic
def set_consent(message: Message, *, asker: Any, consent: bool) -> Message:
    """The asker agrees to publication, or withdraws agreement (which takes a published reply down)."""
    message = _lock(message)
    _require_asker(asker, message)
    values: dict[str, Any] = {"publish_consent": bool(consent)}
    if not consent and message.published_at is not None:
        values["published_at"] = None
    Message.objects.filter(pk=message.pk).update(version=F("version") + 1, **values)
    for name, value in values.items():
        setattr(message, name, value)
    message.version += 1
    if not consent:
        from .models import FaqEntry

        FaqEntry.objects.filter(message=message).update(is_active=False)
    _record(message, "consent" if consent else "withdraw_consent", asker)
    return message


@transaction.atomic
def publish(message: Message, *, actor: Any) -> Message:
    """Publish a reply the asker agreed to publish; a consultation also joins the knowledge base."""
    message = _lock(message)
    _require_handler(actor, message)
    if message.status != Status.REPLIED:
        raise InteractionError(_("答复后才能公开。"))
    if not message.publish_consent:
        raise InteractionError(_("提问人未同意公开，不能公开该件。"))
    if message.published_at is not None:
        return message
    _guarded_update(message, Status.REPLIED, published_at=timezone.now())
    if message.kind == Kind.CONSULTATION:
        knowledge.add_from_message(message)
    _record(message, "publish", actor)
    return message


@transaction.atomic
def unpublish(message: Message, *, actor: Any) -> Message:
    message = _lock(message)
    _require_handler(actor, message)
    if message.published_at is None:
        return message
    _guarded_update(message, Status.REPLIED, published_at=None)
    from .models import FaqEntry

    FaqEntry.objects.filter(message=message).update(is_active=False)
    _record(message, "unpublish", actor)
    return message
