"""The case life cycle as one explicit table: (from status, action) → to status, who may, guard.

    draft ─submit→ submitted ─accept / deemed_accept→ accepted ─start_review→ in_review
                      │  ↑                                                   │ ↕ complete_step, extend
      return_for_supplement  resubmit                 request_supplement ↔ supplement (supplementing)
                      ↓  │                           start_special ↔ end_special (special)
                    returned                                                 │
    submitted/returned ─not_accept→ not_accepted        in_review ─approve / refuse→ approved / refused
    submitted ─transfer→ transferred                    approved / refused ─complete→ completed ─deliver→ delivered
    any status before a decision ─withdraw→ withdrawn (by the applicant)     (deliver passes cases.gates)
    returned ─lapse→ withdrawn; supplementing ─supplement_lapse→ in_review (the sweep, 补正 deadline passed)

No status is assigned anywhere but `services._move`, which looks the pair up here, checks the actor's
role and the guard, and makes a guarded UPDATE (… WHERE id = … AND status = from).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import gates
from .errors import TransitionRefused
from .models import Case, CaseStatus, MaterialStatus, StepStatus

# Who may act: the applicant (or whoever may act for the applying enterprise), staff roles of the case's
# organisation (accounts.models.Role values), or the system itself (sweep, 秒批 rule).
APPLICANT = "applicant"
WINDOW = "window"
REVIEWER = "reviewer"
APPROVER = "approver"
SYSTEM = "system"

Guard = Callable[[Case], str | None]


def _steps_done(case: Case) -> str | None:
    open_steps = list(case.steps.exclude(status=StepStatus.DONE).values_list("name", flat=True))
    if open_steps:
        return _("还有未完成的办理环节：%(s)s。请先完成这些环节再作出准予决定。") % {
            "s": "、".join(open_steps)
        }
    return None


def _no_outstanding_deferred(case: Case) -> str | None:
    if case.status != CaseStatus.APPROVED:
        return None
    deferred = list(case.materials.filter(status=MaterialStatus.DEFERRED).values_list("name", flat=True))
    if deferred:
        return _("容缺受理的材料尚未补交：%(s)s。补交前不能办结和发放结果。") % {"s": "、".join(deferred)}
    return None


def _immediate(case: Case) -> str | None:
    if not case.is_immediate:
        return _("该事项不是即办件，须由审批（决定）岗位作出决定。")
    return None


def _immediate_and_steps_done(case: Case) -> str | None:
    return _immediate(case) or _steps_done(case)


def _not_extended(case: Case) -> str | None:
    if case.extension_days:
        return _("该办件已延长过一次办结期限（%(n)d 个工作日），依法不能再次延长。") % {
            "n": case.extension_days
        }
    return None


def _delivery_allowed(case: Case) -> str | None:
    problems = gates.delivery_problems(case)
    return "；".join(problems) if problems else None


@dataclass(frozen=True)
class Transition:
    source: str
    action: str
    target: str
    who: frozenset[str]
    guard: Guard | None = None


def _t(source: str, action: str, target: str, *who: str, guard: Guard | None = None) -> Transition:
    return Transition(source, action, target, frozenset(who), guard)


S = CaseStatus
_BEFORE_DECISION = (S.SUBMITTED, S.RETURNED, S.ACCEPTED, S.IN_REVIEW, S.SUPPLEMENTING, S.SPECIAL_PROCEDURE)

TABLE: tuple[Transition, ...] = (
    _t(S.DRAFT, "submit", S.SUBMITTED, APPLICANT, WINDOW),
    _t(S.SUBMITTED, "return_for_supplement", S.RETURNED, WINDOW),
    _t(S.RETURNED, "resubmit", S.SUBMITTED, APPLICANT, WINDOW),
    _t(S.SUBMITTED, "accept", S.ACCEPTED, WINDOW, SYSTEM),
    _t(S.SUBMITTED, "deemed_accept", S.ACCEPTED, SYSTEM),
    _t(S.SUBMITTED, "not_accept", S.NOT_ACCEPTED, WINDOW),
    _t(S.RETURNED, "not_accept", S.NOT_ACCEPTED, WINDOW),
    _t(S.SUBMITTED, "transfer", S.TRANSFERRED, WINDOW),
    _t(S.ACCEPTED, "start_review", S.IN_REVIEW, WINDOW, REVIEWER, APPROVER, SYSTEM),
    _t(S.IN_REVIEW, "complete_step", S.IN_REVIEW, WINDOW, REVIEWER, APPROVER, SYSTEM),
    _t(S.IN_REVIEW, "request_supplement", S.SUPPLEMENTING, REVIEWER, APPROVER),
    _t(S.SUPPLEMENTING, "supplement", S.IN_REVIEW, APPLICANT, WINDOW),
    _t(S.IN_REVIEW, "start_special", S.SPECIAL_PROCEDURE, REVIEWER, APPROVER),
    _t(S.SPECIAL_PROCEDURE, "end_special", S.IN_REVIEW, REVIEWER, APPROVER),
    _t(S.IN_REVIEW, "extend", S.IN_REVIEW, APPROVER, guard=_not_extended),
    _t(S.IN_REVIEW, "approve", S.APPROVED, APPROVER, SYSTEM, guard=_steps_done),
    _t(S.IN_REVIEW, "refuse", S.REFUSED, APPROVER),
    # 即办件: the window decides at once (services.handle_immediately runs the whole flow).
    _t(S.IN_REVIEW, "approve_immediately", S.APPROVED, WINDOW, APPROVER, guard=_immediate_and_steps_done),
    _t(S.IN_REVIEW, "refuse_immediately", S.REFUSED, WINDOW, APPROVER, guard=_immediate),
    _t(S.APPROVED, "complete", S.COMPLETED, WINDOW, APPROVER, SYSTEM, guard=_no_outstanding_deferred),
    _t(S.REFUSED, "complete", S.COMPLETED, WINDOW, APPROVER, SYSTEM),
    _t(S.COMPLETED, "deliver", S.DELIVERED, WINDOW, SYSTEM, guard=_delivery_allowed),
    # 补正 deadline passed unanswered (sweep): before acceptance the application is deemed abandoned
    # (视为放弃申请, as the 一次性告知书 says); after acceptance the clock resumes and review goes on.
    _t(S.RETURNED, "lapse", S.WITHDRAWN, SYSTEM),
    _t(S.SUPPLEMENTING, "supplement_lapse", S.IN_REVIEW, SYSTEM),
    _t(S.DRAFT, "withdraw", S.WITHDRAWN, APPLICANT),
    *(_t(source, "withdraw", S.WITHDRAWN, APPLICANT) for source in _BEFORE_DECISION),
)

TRANSITIONS: dict[tuple[str, str], Transition] = {(t.source, t.action): t for t in TABLE}

ACTION_LABELS: dict[str, Any] = {
    "create": gettext_lazy("创建草稿"),
    "update_draft": gettext_lazy("保存草稿"),
    "submit": gettext_lazy("提交申请"),
    "return_for_supplement": gettext_lazy("一次性告知补正"),
    "resubmit": gettext_lazy("补正后重新提交"),
    "accept": gettext_lazy("受理"),
    "deemed_accept": gettext_lazy("逾期未告知，视为受理"),
    "not_accept": gettext_lazy("不予受理"),
    "transfer": gettext_lazy("移送有权机关"),
    "start_review": gettext_lazy("开始审查"),
    "complete_step": gettext_lazy("完成办理环节"),
    "request_supplement": gettext_lazy("审查中告知补正"),
    "supplement": gettext_lazy("补正材料"),
    "start_special": gettext_lazy("启动特别程序"),
    "end_special": gettext_lazy("结束特别程序"),
    "extend": gettext_lazy("延长办结期限"),
    "approve": gettext_lazy("准予"),
    "refuse": gettext_lazy("不予准予"),
    "approve_immediately": gettext_lazy("即办：准予"),
    "refuse_immediately": gettext_lazy("即办：不予准予"),
    "complete": gettext_lazy("办结"),
    "deliver": gettext_lazy("送达结果"),
    "withdraw": gettext_lazy("申请人撤回"),
    "lapse": gettext_lazy("逾期未补正，视为放弃申请"),
    "supplement_lapse": gettext_lazy("补正期限届满，恢复计时继续审查"),
    "choose_situations": gettext_lazy("选择办理情形"),
    "upload": gettext_lazy("上传材料"),
    "defer_material": gettext_lazy("容缺承诺"),
    "auto_approve": gettext_lazy("秒批：按规则自动审批"),
}


def label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def allowed_actions(status: str) -> list[str]:
    """Actions the table allows from `status` (for pages that offer buttons)."""
    return [t.action for t in TABLE if t.source == status]


def find(case: Case, action: str) -> Transition:
    """The transition for `action` from the case's status, or TransitionRefused with a Chinese reason."""
    transition = TRANSITIONS.get((case.status, action))
    if transition is None:
        status = CaseStatus(case.status).label
        if action == "withdraw" and case.status in (S.APPROVED, S.REFUSED, S.COMPLETED, S.DELIVERED):
            raise TransitionRefused(
                _("该办件已作出决定（%(s)s），不能再撤回。如对决定不服，可依法申请行政复议或者提起行政诉讼。")
                % {"s": status}
            )
        raise TransitionRefused(
            _("办件当前状态为“%(s)s”，不能执行“%(a)s”。") % {"s": status, "a": label(action)}
        )
    return transition
