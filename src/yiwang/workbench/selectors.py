"""Workbench reads: the staff queues, their counts, and which case a staff member may open.

Who sees what comes from `accounts.permissions` only: a queue is "cases of the organisations where the
user holds one of the queue's roles" (`scope_q` on the case's organisation; `organisation_scope_q` on a
review step's organisation for the parallel steps of a bundle). Counts are computed with the same
filters as the list, so a tab's number always matches its list. Counts stop at COUNT_CAP: a department
of a large province holds hundreds of thousands of cases, and counting them all on every page view cost
seconds at 1,000,000 cases (docs/benchmarks.md); each tab's count is one query that reads at most
COUNT_CAP index entries (a work queue needs "more than a hundred", not the exact number), and the tab shows "100+".

Indexes used: `case_org_queue` (organisation, status, due_on) serves every status queue ordered by its
deadline; `case_status_due_warn` the superuser's view; `case_org_order` / `case_order` the "all" tab in page
order; `case_org_warning` / `case_warning` the yellow and red tabs (partial: warned cases only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from yiwang.accounts import permissions
from yiwang.accounts.models import Role
from yiwang.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseStatus,
    CaseStep,
    Channel,
    StepStatus,
    SupplementRequest,
)
from yiwang.core.models import Organisation

COUNT_CAP = 100
CASE_ROLES = (Role.WINDOW, Role.REVIEWER, Role.APPROVER, Role.SUPERVISOR)
HANDLING_ROLES = (Role.WINDOW, Role.REVIEWER, Role.APPROVER)


@dataclass(frozen=True)
class Queue:
    key: str
    label: Any
    roles: tuple[str, ...]
    hint: Any


QUEUES: tuple[Queue, ...] = (
    Queue(
        "pre_review",
        _("待预审"),
        (Role.WINDOW,),
        _("网上提交、尚未预审的申请：核对材料，齐全则受理，不齐则一次性告知。"),
    ),
    Queue(
        "to_accept",
        _("待受理"),
        (Role.WINDOW,),
        _("窗口收件或补正后重新提交的申请：作出受理或不予受理决定。"),
    ),
    Queue(
        "my_steps", _("我的环节"), HANDLING_ROLES, _("已受理待开始审查的办件，以及本机构正在办理的审查环节。")
    ),
    Queue("to_decide", _("待决定"), (Role.APPROVER,), _("办理环节已全部完成，等待作出准予或不予决定。")),
    Queue("to_finish", _("待办结送达"), (Role.WINDOW, Role.APPROVER), _("已作出决定：办结并送达结果。")),
    Queue(
        "suspended", _("补正和特别程序中"), CASE_ROLES, _("等待申请人补正，或特别程序进行中（计时中止）。")
    ),
    Queue("due_soon", _("临近期限"), CASE_ROLES, _("已进入黄牌预警期的办件。")),
    Queue("overdue", _("已超期"), CASE_ROLES, _("已超过当前环节期限的办件（红牌）。")),
    Queue("all", _("全部办件"), CASE_ROLES, _("本人有权查看的全部已提交办件，可按编号查找。")),
)
QUEUE_BY_KEY = {queue.key: queue for queue in QUEUES}

_RETURNED_BEFORE = Exists(SupplementRequest.objects.filter(case=OuterRef("pk"), after_acceptance=False))
_OPEN_STEPS = Exists(CaseStep.objects.filter(case=OuterRef("pk")).exclude(status=StepStatus.DONE))


@dataclass(frozen=True)
class Filters:
    """The list filters of the queue page (kept in the querystring)."""

    organisation: int | None = None
    item: str = ""
    channel: str = ""
    number: str = ""

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> Filters:
        organisation = (params.get("org") or "").strip()
        channel = (params.get("channel") or "").strip()
        return cls(
            organisation=int(organisation) if organisation.isdigit() else None,
            item=(params.get("item") or "").strip()[:60],
            channel=channel if channel in Channel.values else "",
            number=(params.get("q") or "").strip()[:20],
        )

    def q(self) -> Q:
        condition = Q()
        if self.organisation is not None:
            condition &= Q(organisation_id=self.organisation)
        if self.item:
            condition &= Q(implementation__implementation_code=self.item) | Q(
                implementation__name__contains=self.item
            )
        if self.channel:
            condition &= Q(channel=self.channel)
        if self.number:
            condition &= Q(number__startswith=self.number)
        return condition


def _scope(user: Any, roles: tuple[str, ...], *, steps: bool = False) -> Q:
    """`permissions.scope_q` (cases) or `organisation_scope_q` (review steps), computed once per request:
    the user object carries the memo, so a page's nine queues read the memberships once each."""
    memo: dict[tuple[tuple[str, ...], bool], Q] = user.__dict__.setdefault("_workbench_scopes", {})
    if (roles, steps) not in memo:
        memo[(roles, steps)] = (
            permissions.organisation_scope_q(user, roles, prefix="organisation__")
            if steps
            else permissions.scope_q(user, roles)
        )
    return memo[(roles, steps)]


def _queue_q(user: Any, key: str) -> Q:
    """The condition of one queue for `user` (status, role scope, and the queue's own rule)."""
    queue = QUEUE_BY_KEY[key]
    scope = _scope(user, queue.roles)
    if key == "pre_review":
        return scope & Q(status=CaseStatus.SUBMITTED) & ~Q(channel=Channel.WINDOW) & ~Q(_RETURNED_BEFORE)
    if key == "to_accept":
        return scope & Q(status=CaseStatus.SUBMITTED) & (Q(channel=Channel.WINDOW) | Q(_RETURNED_BEFORE))
    if key == "my_steps":
        # Driven from the steps (their department's index), not by probing every case in review.
        active_steps = CaseStep.objects.filter(
            _scope(user, HANDLING_ROLES, steps=True), status=StepStatus.ACTIVE
        ).values("case_id")
        return (scope & Q(status=CaseStatus.ACCEPTED)) | Q(status=CaseStatus.IN_REVIEW, pk__in=active_steps)
    if key == "to_decide":
        return scope & Q(status=CaseStatus.IN_REVIEW) & ~Q(_OPEN_STEPS)
    if key == "to_finish":
        return scope & Q(status__in=[CaseStatus.APPROVED, CaseStatus.REFUSED, CaseStatus.COMPLETED])
    if key == "suspended":
        return scope & Q(
            status__in=[CaseStatus.RETURNED, CaseStatus.SUPPLEMENTING, CaseStatus.SPECIAL_PROCEDURE]
        )
    if key == "due_soon":
        return scope & Q(warning_level="yellow", status__in=OPEN_STATUSES)
    if key == "overdue":
        return scope & Q(warning_level="red", status__in=OPEN_STATUSES)
    return scope & ~Q(status=CaseStatus.DRAFT)


def queues_for(user: Any) -> list[Queue]:
    """The queues whose roles the user holds somewhere (a superuser sees them all)."""
    if permissions.is_superuser(user):
        return list(QUEUES)
    held = set(permissions.memberships(user, CASE_ROLES).values_list("role", flat=True))
    return [queue for queue in QUEUES if held & set(queue.roles)]


def queue_counts(user: Any, queues: list[Queue], filters: Filters) -> dict[str, int]:
    """Every queue's count, with the same conditions as `queue_cases`, each stopping at COUNT_CAP."""
    return {
        # order_by(): no sort (the model orders by created_at), so the scan stops at COUNT_CAP rows.
        queue.key: Case.objects.filter(_queue_q(user, queue.key) & filters.q())
        .order_by()
        .values("pk")[:COUNT_CAP]
        .count()
        for queue in queues
    }


def queue_cases(user: Any, key: str, filters: Filters) -> QuerySet[Case]:
    """One queue's cases, the most urgent deadline first (cases without a running clock last)."""
    return (
        Case.objects.filter(_queue_q(user, key) & filters.q())
        .select_related("implementation", "organisation", "applicant", "enterprise")
        .order_by(*_page_order(key))
    )


def _page_order(key: str) -> tuple[Any, ...]:
    if key == "to_finish":
        # Decided cases have no running clock (due_on is empty), so the deadline order is the filing order;
        # saying so keeps PostgreSQL off the deadline index, where they all sit at the far end.
        return ("submitted_at", "id")
    return (F("due_on").asc(nulls_last=True), "submitted_at", "id")


def organisations_for(user: Any) -> QuerySet[Organisation]:
    """Organisations the user handles or supervises cases of (for the organisation filter)."""
    return (
        Organisation.objects.filter(permissions.organisation_scope_q(user, CASE_ROLES), is_active=True)
        .only("id", "name", "short_name")
        .order_by("region_id", "name")
    )


def visible_case(user: Any, pk: int) -> Case | None:
    """A case the user may open: a case role at its organisation, or at one of its steps' organisations
    (the departments of a bundle). Drafts only when filed at a window, and only for window staff."""
    step_scope = permissions.organisation_scope_q(user, CASE_ROLES, prefix="organisation__")
    on_a_step = Exists(CaseStep.objects.filter(step_scope, case=OuterRef("pk")))
    condition = permissions.scope_q(user, CASE_ROLES) | Q(on_a_step)
    case = (
        Case.objects.filter(condition, pk=pk)
        .select_related("implementation", "guide", "organisation", "applicant", "enterprise", "bundle")
        .first()
    )
    if case is None:
        return None
    if case.status == CaseStatus.DRAFT and (
        case.channel != Channel.WINDOW or not permissions.has_role(user, Role.WINDOW, case.organisation)
    ):
        return None  # an online draft is the applicant's unfinished work; staff see it once filed
    return case


def window_drafts(user: Any) -> QuerySet[Case]:
    """Applications being filed at a window of the user's organisations and not yet submitted."""
    return (
        Case.objects.filter(
            permissions.scope_q(user, (Role.WINDOW,)), status=CaseStatus.DRAFT, channel=Channel.WINDOW
        )
        .select_related("implementation", "applicant")
        .order_by("-created_at")[:20]
    )
