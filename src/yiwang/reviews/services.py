"""好差评 writes: rate a completed case, follow a review up once (追评), and work a bad review's
rectification order through its table (reviews.transitions).

Each operation runs in one transaction, locks or guards the row it changes, writes an audit row, and
announces `review.*` events and notifications only after commit.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts import permissions
from yiwang.accounts.models import Role
from yiwang.cases import services as case_services
from yiwang.cases.models import Case, CaseStatus
from yiwang.cases.transitions import APPLICANT
from yiwang.core import audit, events
from yiwang.core.workdays import add_working_days, working_days_between

from . import notify, transitions
from .errors import Conflict, NotPermitted, ReviewError
from .models import (
    BAD_LEVELS,
    ONSITE_CHANNELS,
    RUNNING_STATUSES,
    Channel,
    Invitation,
    Level,
    Mode,
    OrderStatus,
    Review,
    ReviewLabel,
    WarningLevel,
    WorkOrder,
    WorkOrderEvent,
)

DEFAULT_RECTIFY_DAYS = 15  # 四川/成都: 不满意、非常不满意 15 个工作日内整改 (domain.md §3)
COMMENT_MAX = 1000
TEXT_MAX = 2000
RATABLE_STATUSES = (CaseStatus.COMPLETED, CaseStatus.DELIVERED)
DEPARTMENT_ROLES = [Role.WINDOW, Role.REVIEWER, Role.APPROVER, Role.ADMIN]
SUPERVISOR_ROLES = [Role.SUPERVISOR]


def rectify_days() -> int:
    """The rectification limit in working days: YIWANG_REVIEW_RECTIFY_DAYS (setting or environment)."""
    value = getattr(settings, "YIWANG_REVIEW_RECTIFY_DAYS", None) or os.environ.get(
        "YIWANG_REVIEW_RECTIFY_DAYS"
    )
    return int(value) if value else DEFAULT_RECTIFY_DAYS


def warning_share() -> float:
    """The share of the limit after which a yellow warning shows (the cases setting, default 0.8)."""
    return float(getattr(settings, "YIWANG_CASE_WARNING_SHARE", 0.8))


def _today() -> dt.date:
    return timezone.localdate()


# --- the clock --------------------------------------------------------------------------------------


def clock(opened_on: dt.date, limit_days: int, suspended_days: int, today: dt.date) -> dict[str, Any]:
    """Deadline columns of a running order: due after `limit_days` (+ days stood still), yellow from
    ceil(share × limit) working days in, red once the due day has passed."""
    due = add_working_days(opened_on, limit_days + suspended_days)
    warn = add_working_days(opened_on, math.ceil(limit_days * warning_share()) + suspended_days)
    level = WarningLevel.RED if due < today else WarningLevel.YELLOW if warn <= today else WarningLevel.NONE
    return {"due_on": due, "warn_on": warn, "warning_level": level}


# --- who may act ------------------------------------------------------------------------------------


def roles_of(actor: Any, order: WorkOrder) -> set[str]:
    if actor is case_services.SYSTEM:
        return {transitions.SYSTEM}
    organisation = order.organisation
    found: set[str] = set()
    if permissions.has_role(actor, DEPARTMENT_ROLES, organisation):
        found.add(transitions.DEPARTMENT)
    if permissions.has_role(actor, SUPERVISOR_ROLES, organisation):
        found.add(transitions.SUPERVISOR)
    return found


def may_rate(user: Any, case: Case) -> bool:
    return APPLICANT in case_services.roles_of(user, case)


# --- labels and invitations -------------------------------------------------------------------------


def labels_for(level: int) -> list[str]:
    return list(
        ReviewLabel.objects.filter(level=level, is_active=True)
        .order_by("order", "id")
        .values_list("text", flat=True)
    )


def invite(case: Case) -> Invitation | None:
    """Invite the applicant to rate a completed case, once (a repeated event does nothing)."""
    with transaction.atomic():
        invitation, created = Invitation.objects.get_or_create(
            case=case, rater=case.applicant, defaults={"sent_via": notify.channel()}
        )
        if not created:
            return None
        link = reverse("reviews:rate", args=[case.number])
        notify.person(
            case.applicant,
            title=_("请对办件 %(n)s 的服务作出评价") % {"n": case.number},
            body=_("您申请的“%(item)s”（办件编号 %(n)s）已办结。欢迎对%(org)s的服务作出评价：%(link)s")
            % {
                "item": case.implementation.name,
                "n": case.number,
                "org": case.organisation.name,
                "link": link,
            },
            link=link,
            case_number=case.number or "",
        )
        audit.record(
            actor=None,
            action="reviews.invite",
            object_type="cases.case",
            object_id=case.pk,
            summary=f"{case.number}：发送评价邀请（{invitation.sent_via}）",
        )
    return invitation


def on_case_completed(event: str, payload: dict[str, Any]) -> None:
    case = (
        Case.objects.select_related("applicant", "implementation", "organisation")
        .filter(pk=payload["case_id"])
        .first()
    )
    if case is not None and case.number:
        invite(case)


# --- rating -----------------------------------------------------------------------------------------


def _clean_labels(level: int, labels: Iterable[str]) -> list[str]:
    chosen = [str(text).strip() for text in labels if str(text).strip()]
    allowed = set(labels_for(level))
    unknown = [text for text in chosen if text not in allowed]
    if unknown:
        raise ReviewError(
            _("标签“%(t)s”不属于“%(l)s”可选的标签，请从页面列出的标签中选择。")
            % {"t": "、".join(unknown), "l": Level(level).label}
        )
    return list(dict.fromkeys(chosen))


def may_record_at_window(user: Any, case: Case) -> bool:
    """Window staff of the case's organisation run the hall rating terminal for it."""
    return permissions.has_role(user, [Role.WINDOW], case.organisation)


def _check_rating(
    case: Case, rater: Any, level: int, channel: str, comment: str, recorded_by: Any = None
) -> None:
    if case.status not in RATABLE_STATUSES:
        raise ReviewError(
            _("办件 %(n)s 尚未办结（当前状态：%(s)s），办结后才能评价。")
            % {"n": case.number or case.pk, "s": CaseStatus(case.status).label}
        )
    if recorded_by is not None:
        if not may_record_at_window(recorded_by, case):
            raise NotPermitted(
                _("只有办理机构的窗口人员可以在现场评价终端上为办件 %(n)s 启动评价。") % {"n": case.number}
            )
        if channel not in ONSITE_CHANNELS:
            raise ReviewError(_("现场评价须使用政务大厅平板电脑或其他终端渠道。"))
        if getattr(rater, "pk", None) != case.applicant_id:
            raise ReviewError(_("现场评价的评价人应为办件申请人本人。"))
    elif not may_rate(rater, case):
        raise NotPermitted(_("只有办件 %(n)s 的申请人（或其授权经办人）可以评价。") % {"n": case.number})
    if level not in Level.values:
        raise ReviewError(_("请选择满意度：1 非常满意、2 满意、3 基本满意、4 不满意、5 非常不满意。"))
    if channel not in Channel.values:
        raise ReviewError(
            _("评价渠道“%(c)s”无效，应为以下之一：%(all)s。")
            % {"c": channel, "all": "、".join(f"{v} {label}" for v, label in Channel.choices)}
        )
    if len(comment) > COMMENT_MAX:
        raise ReviewError(
            _("文字评价最多 %(max)d 字，您写了 %(n)d 字。") % {"max": COMMENT_MAX, "n": len(comment)}
        )
    if level in BAD_LEVELS and not comment.strip():
        raise ReviewError(_("差评请写明不满意的原因，以便办理部门核实整改。"))


def rate(
    case: Case,
    *,
    rater: Any,
    level: int,
    channel: str,
    labels: Iterable[str] = (),
    comment: str = "",
    rated_at: dt.datetime | None = None,
    recorded_by: Any = None,
) -> Review:
    """Record one rating of a completed case by its applicant; a bad one opens a work order.

    `rated_at` is the time a hall device recorded a rating it hands over later (default: now).
    `recorded_by` is the window clerk whose hall terminal the applicant rated on (一次一评)."""
    comment = (comment or "").strip()
    now = timezone.now()
    rated_at = rated_at or now
    if rated_at > now + dt.timedelta(minutes=5):
        raise ReviewError(_("评价时间不能晚于当前时间，请检查评价终端的时钟。"))
    level = int(level)
    _check_rating(case, rater, level, channel, comment, recorded_by)
    rated_on = timezone.localdate(rated_at)
    if case.completed_on and rated_on < case.completed_on:
        raise ReviewError(_("评价时间早于办结日期 %(d)s，不能受理该评价。") % {"d": case.completed_on})
    if Review.objects.filter(case=case, rater=rater).exists():
        raise ReviewError(_("您已评价过办件 %(n)s（一事一评），如需补充请使用“追评”。") % {"n": case.number})
    chosen = _clean_labels(level, labels)
    try:
        with transaction.atomic():
            review = Review.objects.create(
                case=case,
                rater=rater,
                organisation_id=case.organisation_id,
                implementation_id=case.implementation_id,
                region_id=case.region_id,
                level=level,
                channel=channel,
                mode=Mode.ONSITE if channel in ONSITE_CHANNELS else Mode.ONLINE,
                labels=chosen,
                comment=comment,
                rated_at=rated_at,
                rated_on=rated_on,
                is_bad=level in BAD_LEVELS,
                recorded_by=recorded_by if getattr(recorded_by, "is_authenticated", False) else None,
            )
            audit.record(
                actor=recorded_by or rater,
                action="reviews.rate",
                object_type="reviews.review",
                object_id=review.pk,
                after={"case": case.number, "level": level, "channel": channel},
                summary=f"{case.number}：评价 {Level(level).label}",
            )
            order = _open_work_order(review) if review.is_bad else None
    except IntegrityError:
        raise ReviewError(
            _("您已评价过办件 %(n)s（一事一评），如需补充请使用“追评”。") % {"n": case.number}
        ) from None
    events.publish(
        "review.rated",
        {
            "review_id": review.pk,
            "case_id": case.pk,
            "number": case.number,
            "level": level,
            "is_bad": review.is_bad,
            "organisation_id": case.organisation_id,
            "implementation_id": case.implementation_id,
        },
    )
    if order is not None:
        events.publish(
            "review.work_order_opened",
            {"order_id": order.pk, "review_id": review.pk, "organisation_id": order.organisation_id},
        )
    return review


def _open_work_order(review: Review) -> WorkOrder:
    limit = rectify_days()
    order = WorkOrder.objects.create(
        review=review,
        organisation_id=review.organisation_id,
        region_id=review.region_id,
        opened_on=review.rated_on,
        limit_days=limit,
        # Escalation is the sweep's job; at opening the order is judged on its own first day.
        **clock(review.rated_on, limit, 0, review.rated_on),
    )
    WorkOrderEvent.objects.create(
        order=order,
        action="open",
        to_status=OrderStatus.OPEN,
        occurred_at=timezone.now(),
        comment=review.comment,
    )
    audit.record(
        actor=None,
        action="reviews.open",
        object_type="reviews.workorder",
        object_id=order.pk,
        after={"status": order.status, "due_on": order.due_on.isoformat() if order.due_on else None},
        summary=f"{review.case.number}：差评立单，整改期限 {order.due_on}",
    )
    notify.staff(
        [order.organisation_id],
        DEPARTMENT_ROLES,
        {
            order.organisation_id: _(
                "【一网】收到差评（办件 %(n)s，%(l)s），请即回访核实，并于 %(d)s 前完成整改和反馈。"
            )
            % {"n": review.case.number, "l": Level(review.level).label, "d": order.due_on}
        },
    )
    return order


@transaction.atomic
def follow_up(review: Review, *, rater: Any, text: str) -> Review:
    """追评: the rater adds to their review once."""
    text = (text or "").strip()
    if review.rater_id != getattr(rater, "pk", None):
        raise NotPermitted(_("只有评价人本人可以追评。"))
    if not text:
        raise ReviewError(_("请填写追评内容。"))
    if len(text) > COMMENT_MAX:
        raise ReviewError(_("追评最多 %(max)d 字，您写了 %(n)d 字。") % {"max": COMMENT_MAX, "n": len(text)})
    now = timezone.now()
    changed = Review.objects.filter(pk=review.pk, follow_up_at__isnull=True).update(
        follow_up=text, follow_up_at=now
    )
    if changed != 1:
        raise ReviewError(_("每条评价只能追评一次，您已追评过。"))
    review.follow_up, review.follow_up_at = text, now
    audit.record(
        actor=rater,
        action="reviews.follow_up",
        object_type="reviews.review",
        object_id=review.pk,
        summary=f"{review.case.number}：追评",
    )
    events.publish("review.followed_up", {"review_id": review.pk, "case_id": review.case_id})
    return review


# --- the work order ---------------------------------------------------------------------------------


def _lock(order: WorkOrder | int) -> WorkOrder:
    pk = order if isinstance(order, int) else order.pk
    return (
        WorkOrder.objects.select_for_update(of=("self",))
        .select_related("review__case", "review__rater", "organisation__region")
        .get(pk=pk)
    )


def _move(
    order: WorkOrder,
    action: str,
    *,
    actor: Any,
    comment: str = "",
    fields: Mapping[str, Any] | None = None,
) -> WorkOrder:
    transition = transitions.find(order, action)
    if actor is None or not roles_of(actor, order) & transition.who:
        raise NotPermitted(_("您无权对该整改工单执行“%(a)s”。") % {"a": transitions.label(action)})
    if transition.guard is not None and (problem := transition.guard(order)):
        raise ReviewError(problem)
    values: dict[str, Any] = dict(fields or {})
    values["status"] = transition.target
    if transition.target not in RUNNING_STATUSES:
        values.update(due_on=None, warn_on=None, warning_level=WarningLevel.NONE)
    changed = WorkOrder.objects.filter(pk=order.pk, status=transition.source, version=order.version).update(
        version=F("version") + 1, updated_at=timezone.now(), **values
    )
    if changed != 1:
        raise Conflict(_("该工单刚刚已被他人处理，请刷新后查看最新状态。"))
    for name, value in values.items():
        setattr(order, name, value)
    order.version += 1
    user = actor if getattr(actor, "is_authenticated", False) else None
    WorkOrderEvent.objects.create(
        order=order,
        action=action,
        from_status=transition.source,
        to_status=transition.target,
        actor=user,
        occurred_at=timezone.now(),
        comment=comment,
    )
    audit.record(
        actor=user,
        action=f"reviews.{action}",
        object_type="reviews.workorder",
        object_id=order.pk,
        before={"status": transition.source},
        after={"status": transition.target},
        summary=f"{order.review.case.number}：{transitions.label(action)}",
        data={"comment": comment[:200]},
    )
    events.publish(
        f"review.work_order_{action}",
        {
            "order_id": order.pk,
            "review_id": order.review_id,
            "organisation_id": order.organisation_id,
            "action": action,
            "from": transition.source,
            "to": transition.target,
        },
    )
    return order


def _text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ReviewError(_("请填写%(w)s。") % {"w": what})
    if len(value) > TEXT_MAX:
        raise ReviewError(
            _("%(w)s最多 %(max)d 字，您写了 %(n)d 字。") % {"w": what, "max": TEXT_MAX, "n": len(value)}
        )
    return value


@transaction.atomic
def verify(order: WorkOrder, *, actor: Any, note: str) -> WorkOrder:
    """回访核实: the department has called the rater back and checked what happened."""
    note = _text(note, _("回访核实情况"))
    return _move(
        _lock(order),
        "verify",
        actor=actor,
        comment=note,
        fields={"verification": note, "verified_at": timezone.now()},
    )


@transaction.atomic
def rectify(order: WorkOrder, *, actor: Any, text: str) -> WorkOrder:
    """立行立改 / 限期整改: what was fixed."""
    text = _text(text, _("整改措施"))
    fields = {"resolution": "rectify", "resolution_text": text, "resolved_at": timezone.now()}
    return _move(_lock(order), "rectify", actor=actor, comment=text, fields=fields)


@transaction.atomic
def explain(order: WorkOrder, *, actor: Any, text: str) -> WorkOrder:
    """解释说明: the request lacks a legal basis; explain why."""
    text = _text(text, _("解释说明"))
    fields = {"resolution": "explain", "resolution_text": text, "resolved_at": timezone.now()}
    return _move(_lock(order), "explain", actor=actor, comment=text, fields=fields)


@transaction.atomic
def appeal(order: WorkOrder, *, actor: Any, reason: str) -> WorkOrder:
    """申诉复核: the department holds the review mistaken or malicious; the clock stops until decided."""
    reason = _text(reason, _("申诉理由"))
    fields = {"appeal_reason": reason, "appealed_at": timezone.now(), "clock_stopped_on": _today()}
    order = _move(_lock(order), "appeal", actor=actor, comment=reason, fields=fields)
    notify.staff(
        [order.organisation_id],
        SUPERVISOR_ROLES,
        {
            order.organisation_id: _("【一网】%(org)s对一条差评提出申诉复核，请及时审核。")
            % {"org": order.organisation.name}
        },
    )
    return order


@transaction.atomic
def decide_appeal(order: WorkOrder, *, actor: Any, upheld: bool, reason: str) -> WorkOrder:
    """A supervisor decides an appeal. Upheld: the review is excluded from the statistics and the order
    ends. Rejected: the clock resumes (the days it stood still are added) and the department must rectify
    or explain."""
    reason = _text(reason, _("复核意见"))
    order = _lock(order)
    now = timezone.now()
    fields: dict[str, Any] = {
        "appeal_upheld": upheld,
        "appeal_decision": reason,
        "appeal_decided_at": now,
        "appeal_decided_by": actor if getattr(actor, "is_authenticated", False) else None,
        "clock_stopped_on": None,
    }
    if upheld:
        order = _move(order, "uphold_appeal", actor=actor, comment=reason, fields=fields)
        Review.objects.filter(pk=order.review_id).update(excluded=True)
        order.review.excluded = True
    else:
        stopped = order.clock_stopped_on or _today()
        suspended = order.suspended_days + max(0, working_days_between(stopped, _today()))
        fields["suspended_days"] = suspended
        fields.update(clock(order.opened_on, order.limit_days, suspended, _today()))
        order = _move(order, "reject_appeal", actor=actor, comment=reason, fields=fields)
    return order


@transaction.atomic
def give_feedback(order: WorkOrder, *, actor: Any, text: str) -> WorkOrder:
    """Tell the rater what was done (件件有整改、有反馈); the rectification clock stops here."""
    text = _text(text, _("反馈内容"))
    order = _move(
        _lock(order),
        "feedback",
        actor=actor,
        comment=text,
        fields={"feedback": text, "fed_back_at": timezone.now()},
    )
    case = order.review.case
    notify.person(
        order.review.rater,
        title=_("您对办件 %(n)s 的评价已有处理结果") % {"n": case.number},
        body=text,
        link=reverse("reviews:mine"),
        case_number=case.number or "",
    )
    return order


@transaction.atomic
def record_return_visit(order: WorkOrder, *, actor: Any, note: str, satisfied: bool | None) -> WorkOrder:
    """回访: ask the rater whether the outcome satisfies them."""
    note = _text(note, _("回访情况"))
    fields = {"return_visit": note, "rater_satisfied": satisfied, "visited_at": timezone.now()}
    return _move(_lock(order), "return_visit", actor=actor, comment=note, fields=fields)


@transaction.atomic
def close(order: WorkOrder, *, actor: Any, comment: str = "") -> WorkOrder:
    """A supervisor checks the record (核实、整改、反馈、回访) and closes the order."""
    return _move(
        _lock(order),
        "close",
        actor=actor,
        comment=(comment or "").strip(),
        fields={"closed_at": timezone.now()},
    )
