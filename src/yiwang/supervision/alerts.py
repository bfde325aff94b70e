"""Yellow and red cards (黄牌/红牌, 电子监察): rules that raise alerts, and how an alert is closed.

Rules (domain.md §7 "电子监察/效能"; local practice, thresholds configurable):
- overdue_acceptance (yellow): the acceptance period ran out without a decision — the case is still
  waiting past acceptance_due, or the sweep had to deem it accepted (行政许可法 第三十二条).
- overdue_step (yellow): an active review step is past its own step deadline.
- overdue_decision (red): the decision deadline passed with no decision (running clock), or the decision
  came after the deadline.
- overdue_rectification (red): a bad-review rectification order is past its time limit (reviews app).
- unexplained_refusal (red): not accepted or refused with a reason shorter than
  YIWANG_SUPERVISION_MIN_REASON_CHARS (default 10) characters.

An alert is raised once per (rule, subject); raising is idempotent and set-based. The responsible
organisation's staff and the supervisors over it get one inbox message per run. Life of an alert:
open → acknowledged (签收) → explained (说明情况) → closed (销号, by a supervisor); every step is a guarded
update, an AlertAction row and an audit row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.accounts import permissions
from yiwang.accounts.models import Membership, Role
from yiwang.cases.models import Case, CaseStatus, CaseStep, StepStatus
from yiwang.core import audit, events
from yiwang.core.models import Organisation

from .models import Alert, AlertAction, AlertLevel, AlertRule, AlertStatus

ORGANISATION_ROLES = (Role.WINDOW, Role.REVIEWER, Role.APPROVER, Role.ADMIN)
_DECISION_PHASE = (CaseStatus.ACCEPTED, CaseStatus.IN_REVIEW)
_DECIDED = (CaseStatus.APPROVED, CaseStatus.REFUSED, CaseStatus.COMPLETED, CaseStatus.DELIVERED)

RULE_LEVELS = {
    AlertRule.OVERDUE_ACCEPTANCE: AlertLevel.YELLOW,
    AlertRule.OVERDUE_STEP: AlertLevel.YELLOW,
    AlertRule.OVERDUE_DECISION: AlertLevel.RED,
    AlertRule.OVERDUE_RECTIFICATION: AlertLevel.RED,
    AlertRule.UNEXPLAINED_REFUSAL: AlertLevel.RED,
}


class AlertError(Exception):
    """An alert action that cannot be done (message in Simplified Chinese)."""


class AlertNotPermitted(AlertError):
    pass


def min_reason_chars() -> int:
    return int(getattr(settings, "YIWANG_SUPERVISION_MIN_REASON_CHARS", 10))


@dataclass
class RaiseResult:
    today: dt.date
    raised: dict[str, int] = field(default_factory=dict)
    notified_users: int = 0

    @property
    def total(self) -> int:
        return sum(self.raised.values())

    def as_dict(self) -> dict[str, Any]:
        return {"today": self.today.isoformat(), "raised": dict(self.raised), "notified": self.notified_users}

    def describe(self) -> str:
        parts = "，".join(f"{AlertRule(rule).label} {n} 件" for rule, n in sorted(self.raised.items()) if n)
        return _("%(d)s 红黄牌扫描：新增预警 %(n)d 件%(p)s；通知 %(u)d 人。") % {
            "d": self.today.isoformat(),
            "n": self.total,
            "p": f"（{parts}）" if parts else "",
            "u": self.notified_users,
        }


@dataclass(frozen=True)
class Candidate:
    rule: str
    subject_key: str
    case_id: int | None
    organisation_id: int
    region_id: str
    description: str


# --- the rules ------------------------------------------------------------------------------------------


def _case_candidates(rule: str, cases: Any, describe: Any) -> list[Candidate]:
    rows = cases.values("pk", "number", "organisation_id", "region_id", "acceptance_due", "decision_due")
    return [
        Candidate(
            rule, f"case:{row['pk']}", row["pk"], row["organisation_id"], row["region_id"], describe(row)
        )
        for row in rows
    ]


def overdue_acceptance(today: dt.date) -> list[Candidate]:
    cases = Case.objects.filter(
        Q(status=CaseStatus.SUBMITTED, acceptance_due__lt=today) | Q(deemed_accepted=True)
    )
    return _case_candidates(
        AlertRule.OVERDUE_ACCEPTANCE,
        cases,
        lambda row: (
            _("办件 %(n)s 受理期限 %(d)s 届满前未作出受理决定或一次性告知补正。")
            % {"n": row["number"], "d": row["acceptance_due"]}
        ),
    )


def overdue_step(today: dt.date) -> list[Candidate]:
    steps = CaseStep.objects.filter(status=StepStatus.ACTIVE, due_on__lt=today).values(
        "pk", "name", "due_on", "case_id", "case__number", "organisation_id", "case__region_id"
    )
    return [
        Candidate(
            AlertRule.OVERDUE_STEP,
            f"step:{row['pk']}",
            row["case_id"],
            row["organisation_id"],
            row["case__region_id"],
            _("办件 %(n)s 的办理环节“%(s)s”已超过环节期限 %(d)s。")
            % {"n": row["case__number"], "s": row["name"], "d": row["due_on"]},
        )
        for row in steps
    ]


def overdue_decision(today: dt.date) -> list[Candidate]:
    running = Case.objects.filter(status__in=_DECISION_PHASE, due_on__lt=today)
    late = Case.objects.filter(status__in=_DECIDED, decided_on__gt=F("decision_due"))
    return _case_candidates(
        AlertRule.OVERDUE_DECISION,
        running | late,
        lambda row: (
            _("办件 %(n)s 超过办结期限 %(d)s 仍未作出决定或逾期作出决定。")
            % {"n": row["number"], "d": row["decision_due"]}
        ),
    )


def unexplained_refusal(today: dt.date) -> list[Candidate]:
    shortest = min_reason_chars()
    cases = Case.objects.annotate(
        not_accepted_len=Length("not_accepted_reason"), decision_len=Length("decision_reason")
    ).filter(
        Q(status=CaseStatus.NOT_ACCEPTED, not_accepted_len__lt=shortest)
        | Q(status=CaseStatus.REFUSED, decision_len__lt=shortest)
    )
    return _case_candidates(
        AlertRule.UNEXPLAINED_REFUSAL,
        cases,
        lambda row: (
            _("办件 %(n)s 不予受理或不予准予，但未充分说明理由（少于 %(c)d 个字）。")
            % {"n": row["number"], "c": shortest}
        ),
    )


def _value(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def overdue_rectification(today: dt.date) -> list[Candidate]:
    """Bad-review rectification orders past their limit, from the reviews app when it is installed
    (contract: `reviews.selectors.open_work_orders_overdue(today)` → work orders with organisation_id,
    region_id, due_on and review.case_id)."""
    try:
        from yiwang.reviews.selectors import open_work_orders_overdue
    except ImportError:  # pragma: no cover - reviews is part of the platform; tolerate a deployment without
        return []
    result: list[Candidate] = []
    regions: dict[int, str] | None = None
    for order in open_work_orders_overdue(today):
        organisation_id = _value(order, "organisation_id")
        if organisation_id is None:
            continue
        region_id = _value(order, "region_id")
        if not region_id:
            if regions is None:
                regions = dict(Organisation.objects.values_list("pk", "region_id"))
            region_id = regions.get(organisation_id, "")
        review = _value(order, "review")
        case_id = _value(order, "case_id") or (_value(review, "case_id") if review is not None else None)
        number = _value(order, "pk") or _value(order, "id")
        result.append(
            Candidate(
                AlertRule.OVERDUE_RECTIFICATION,
                f"workorder:{number}",
                case_id,
                organisation_id,
                region_id,
                _("差评整改工单 %(o)s 已超过整改期限 %(d)s 仍未办结。")
                % {"o": number, "d": _value(order, "due_on") or ""},
            )
        )
    return result


RULES = (overdue_acceptance, overdue_step, overdue_decision, overdue_rectification, unexplained_refusal)


# --- raising --------------------------------------------------------------------------------------------


def raise_alerts(today: dt.date | None = None) -> RaiseResult:
    """Run every rule, create the alerts not raised before, notify. Idempotent."""
    today = today or timezone.localdate()
    result = RaiseResult(today=today)
    created: list[Alert] = []
    with transaction.atomic():
        for rule in RULES:
            candidates = rule(today)
            if not candidates:
                continue
            rule_name = candidates[0].rule
            known = set(
                Alert.objects.filter(
                    rule=rule_name, subject_key__in=[c.subject_key for c in candidates]
                ).values_list("subject_key", flat=True)
            )
            fresh = {c.subject_key: c for c in candidates if c.subject_key not in known and c.region_id}
            rows = [
                Alert(
                    rule=c.rule,
                    level=RULE_LEVELS[AlertRule(c.rule)],
                    subject_key=c.subject_key,
                    case_id=c.case_id,
                    organisation_id=c.organisation_id,
                    region_id=c.region_id,
                    raised_on=today,
                    description=c.description,
                )
                for c in fresh.values()
            ]
            Alert.objects.bulk_create(rows, ignore_conflicts=True)
            created.extend(rows)
            result.raised[rule_name] = len(rows)
        if created:
            audit.record(
                actor=None,
                action="supervision.alerts_raised",
                object_type="supervision.alert",
                object_id=today.isoformat(),
                summary=result.describe(),
                data=result.as_dict(),
            )
            events.publish("supervision.alerts_raised", result.as_dict())
    if created:
        result.notified_users = notify(created)
    return result


def recipients(organisation_ids: Iterable[int]) -> dict[int, set[int]]:
    """For each organisation: its own staff (window, review, approval, admin) and the supervisors over it."""
    organisations = {o.pk: o for o in Organisation.objects.filter(pk__in=set(organisation_ids))}
    found: dict[int, set[int]] = defaultdict(set)
    for user_id, organisation_id in Membership.objects.filter(
        organisation_id__in=organisations, role__in=ORGANISATION_ROLES, user__is_active=True
    ).values_list("user_id", "organisation_id"):
        found[organisation_id].add(user_id)
    supervisors = Membership.objects.filter(role=Role.SUPERVISOR, user__is_active=True).select_related(
        "organisation__region"
    )
    for membership in supervisors:
        for organisation in organisations.values():
            if permissions.covers(membership, organisation.pk, organisation.region_id):
                found[organisation.pk].add(membership.user_id)
    return found


def notify(alerts: list[Alert]) -> int:
    """One inbox message per person, counting the new red and yellow cards of the organisations they see."""
    try:
        from yiwang.core import inbox
    except ImportError:  # pragma: no cover - the inbox is part of core
        return 0
    from yiwang.accounts.models import User

    by_org: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for alert in alerts:
        by_org[alert.organisation_id][alert.level] += 1
    per_user: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for organisation_id, user_ids in recipients(by_org).items():
        for user_id in user_ids:
            for level, n in by_org[organisation_id].items():
                per_user[user_id][level] += n
    users = User.objects.in_bulk(list(per_user))
    for user_id, counts in per_user.items():
        inbox.send(
            users[user_id],
            title=_("效能监督：新增红牌 %(r)d 件、黄牌 %(y)d 件")
            % {"r": counts.get(AlertLevel.RED, 0), "y": counts.get(AlertLevel.YELLOW, 0)},
            body=_("您负责或监督的机构有新的红黄牌预警，请及时签收、说明情况并整改。"),
            link="/supervision/alerts/?status=open",
            category="supervision",
        )
    return len(per_user)


# --- closing ----------------------------------------------------------------------------------------------


ACTIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    # action: (from statuses, to status, who: "organisation" staff or "supervisor")
    "acknowledge": ((AlertStatus.OPEN,), AlertStatus.ACKNOWLEDGED, "organisation"),
    "explain": ((AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED), AlertStatus.EXPLAINED, "organisation"),
    "close": (
        (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.EXPLAINED),
        AlertStatus.CLOSED,
        "supervisor",
    ),
}
ACTION_LABELS = {
    "acknowledge": gettext_lazy("签收"),
    "explain": gettext_lazy("说明情况"),
    "close": gettext_lazy("销号"),
}


def may_supervise(user: Any, alert: Alert) -> bool:
    return permissions.has_role_at(
        user, Role.SUPERVISOR, organisation_id=alert.organisation_id, region_code=alert.region_id
    )


def may_answer(user: Any, alert: Alert) -> bool:
    """Staff of the responsible organisation (or a supervisor over it) may acknowledge and explain."""
    return may_supervise(user, alert) or permissions.has_role_at(
        user, ORGANISATION_ROLES, organisation_id=alert.organisation_id, region_code=alert.region_id
    )


def allowed_actions(user: Any, alert: Alert) -> list[str]:
    allowed = []
    for action, (sources, _target, who) in ACTIONS.items():
        if alert.status not in sources:
            continue
        if (who == "supervisor" and may_supervise(user, alert)) or (
            who == "organisation" and may_answer(user, alert)
        ):
            allowed.append(action)
    return allowed


@transaction.atomic
def act(alert: Alert, action: str, *, actor: Any, note: str = "") -> Alert:
    """Acknowledge, explain or close an alert (guarded update, action row, audit row, event after commit)."""
    if action not in ACTIONS:
        raise AlertError(_("未知的预警操作“%(a)s”，应为签收、说明情况或销号。") % {"a": action})
    sources, target, who = ACTIONS[action]
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    permitted = may_supervise(actor, alert) if who == "supervisor" else may_answer(actor, alert)
    if not permitted:
        raise AlertNotPermitted(
            _("只有监督人员可以对预警销号。")
            if who == "supervisor"
            else _("只有责任部门的工作人员或监督人员可以处理该预警。")
        )
    if alert.status not in sources:
        raise AlertError(
            _("该预警当前为“%(s)s”，不能%(a)s。")
            % {"s": AlertStatus(alert.status).label, "a": ACTION_LABELS[action]}
        )
    note = (note or "").strip()
    if action == "explain" and len(note) < 5:
        raise AlertError(_("请填写情况说明（至少 5 个字），说明超期或问题的原因和整改措施。"))
    if action == "close" and len(note) < 2:
        raise AlertError(_("销号须填写销号意见，例如核实结论和整改结果。"))
    fields: dict[str, Any] = {"status": target, "version": F("version") + 1}
    if action == "explain":
        fields["explanation"] = note
    if action == "close":
        fields.update(close_note=note, closed_at=timezone.now(), closed_by=actor)
    before = alert.status
    if Alert.objects.filter(pk=alert.pk, status=before, version=alert.version).update(**fields) != 1:
        raise AlertError(_("该预警刚刚已被他人处理，请刷新后查看。"))  # pragma: no cover - row is locked
    AlertAction.objects.create(
        alert=alert, action=action, from_status=before, to_status=target, actor=actor, note=note
    )
    alert.refresh_from_db()
    audit.record(
        actor=actor,
        action=f"supervision.alert.{action}",
        object_type="supervision.alert",
        object_id=alert.pk,
        before={"status": before},
        after={"status": target},
        summary=f"{alert}：{ACTION_LABELS[action]}",
        data={"note": note[:200]},
    )
    events.publish(
        f"supervision.alert_{action}",
        {"alert_id": alert.pk, "rule": alert.rule, "case_id": alert.case_id, "to": target},
    )
    return alert
