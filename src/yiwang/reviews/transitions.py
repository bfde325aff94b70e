"""The rectification work order's life cycle as one table: (from, action) → to, and who may act.

    open ─verify→ verified ─rectify→ rectified ─┐
                     │      ─explain→ explained ─┴feedback→ fed_back ─return_visit→ visited ─close→ closed
                     └─appeal→ appealing ─uphold_appeal→ upheld (final; the review leaves the statistics)
                                        └─reject_appeal→ verified (no second appeal)

The department that handled the case (谁办理、谁负责: its window, reviewer, approver or admin staff) does
the work; a supervisor over that organisation decides appeals and closes the order after the return visit.
No status is assigned anywhere but `services._move`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import ReviewError
from .models import OrderStatus, WorkOrder

DEPARTMENT = "department"
SUPERVISOR = "supervisor"
SYSTEM = "system"

Guard = Callable[[WorkOrder], str | None]


def _not_appealed_before(order: WorkOrder) -> str | None:
    if order.appealed_at is not None:
        return _("该差评已申诉过一次且复核未予支持，不能再次申诉，请整改或解释说明。")
    return None


@dataclass(frozen=True)
class Transition:
    source: str
    action: str
    target: str
    who: frozenset[str]
    guard: Guard | None = None


def _t(source: str, action: str, target: str, *who: str, guard: Guard | None = None) -> Transition:
    return Transition(source, action, target, frozenset(who), guard)


S = OrderStatus
TABLE: tuple[Transition, ...] = (
    _t(S.OPEN, "verify", S.VERIFIED, DEPARTMENT),
    _t(S.VERIFIED, "rectify", S.RECTIFIED, DEPARTMENT),
    _t(S.VERIFIED, "explain", S.EXPLAINED, DEPARTMENT),
    _t(S.VERIFIED, "appeal", S.APPEALING, DEPARTMENT, guard=_not_appealed_before),
    _t(S.APPEALING, "uphold_appeal", S.APPEAL_UPHELD, SUPERVISOR),
    _t(S.APPEALING, "reject_appeal", S.VERIFIED, SUPERVISOR),
    _t(S.RECTIFIED, "feedback", S.FED_BACK, DEPARTMENT),
    _t(S.EXPLAINED, "feedback", S.FED_BACK, DEPARTMENT),
    _t(S.FED_BACK, "return_visit", S.VISITED, DEPARTMENT),
    _t(S.VISITED, "close", S.CLOSED, SUPERVISOR),
)
TRANSITIONS: dict[tuple[str, str], Transition] = {(t.source, t.action): t for t in TABLE}

ACTION_LABELS: dict[str, Any] = {
    "open": gettext_lazy("差评立单"),
    "verify": gettext_lazy("回访核实"),
    "rectify": gettext_lazy("整改"),
    "explain": gettext_lazy("解释说明"),
    "appeal": gettext_lazy("申诉复核"),
    "uphold_appeal": gettext_lazy("申诉成立"),
    "reject_appeal": gettext_lazy("申诉不成立"),
    "feedback": gettext_lazy("反馈评价人"),
    "return_visit": gettext_lazy("回访"),
    "close": gettext_lazy("办结"),
}


def label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def allowed_actions(status: str) -> list[str]:
    return [t.action for t in TABLE if t.source == status]


def find(order: WorkOrder, action: str) -> Transition:
    transition = TRANSITIONS.get((order.status, action))
    if transition is None:
        raise ReviewError(
            _("工单当前状态为“%(s)s”，不能执行“%(a)s”。")
            % {"s": OrderStatus(order.status).label, "a": label(action)}
        )
    return transition
