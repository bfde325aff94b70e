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

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import BooleanField, Exists, F, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from yiwang.accounts import permissions
from yiwang.accounts.models import Membership, Role
from yiwang.cases.models import (
    CASE_NUMBER_LENGTH,
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

    def q(self, prefix: str = "") -> Q:
        """The filters on cases (`prefix` "case__" applies them through a review step)."""
        condition = Q()
        if self.organisation is not None:
            condition &= Q(**{f"{prefix}organisation_id": self.organisation})
        if self.item:
            condition &= Q(**{f"{prefix}implementation__implementation_code": self.item}) | Q(
                **{f"{prefix}implementation__name__contains": self.item}
            )
        if self.channel:
            condition &= Q(**{f"{prefix}channel": self.channel})
        if self.number:
            # 办件编号 are 20 digits (region, date, sequence): a prefix is the range of numbers it starts,
            # which the unique index answers (a LIKE prefix would need its own index on every collation).
            if self.number.isdigit() and self.number.isascii():
                low, high = (
                    self.number.ljust(CASE_NUMBER_LENGTH, "0"),
                    self.number.ljust(CASE_NUMBER_LENGTH, "9"),
                )
                condition &= Q(**{f"{prefix}number__gte": low, f"{prefix}number__lte": high})
            else:
                condition &= Q(pk__in=[])  # no number has anything but digits
        return condition


@dataclass(frozen=True)
class StaffScope:
    """The user's case-role memberships, read in one query per request and kept on the user object.

    A queue page needs the scope of four role sets (cases and review steps), the queues the user may see,
    whether they work at a window and the organisation filter; asking `accounts.permissions` for each
    read the memberships about ten times a request. The filters built here are exactly those of
    `permissions.scope_q` / `organisation_scope_q` (the tests compare them), from the same membership
    query (`permissions.memberships`, active users only). Nothing is kept across requests, so a revoked
    membership takes effect on the next page."""

    superuser: bool
    memberships: tuple[Membership, ...]

    @classmethod
    def of(cls, user: Any) -> StaffScope:
        scope = user.__dict__.get("_workbench_scope")
        if scope is None:
            scope = cls(
                superuser=permissions.is_superuser(user),
                memberships=tuple(permissions.memberships(user, CASE_ROLES)),
            )
            user.__dict__["_workbench_scope"] = scope
        return scope

    def holds(self, roles: tuple[str, ...]) -> bool:
        """Whether the user holds one of `roles` somewhere (a superuser holds every role)."""
        return self.superuser or any(m.role in roles for m in self.memberships)

    def cases_q(self, roles: tuple[str, ...]) -> Q:
        """`permissions.scope_q(user, roles)`: cases by their organisation and region."""
        if self.superuser:
            return Q()
        scope = Q(pk__in=[])
        for membership in self._of(roles):
            scope |= Q(organisation_id=membership.organisation_id)
            if membership.covers_region_subtree:
                scope |= Q(region__code__startswith=membership.organisation.region.subtree_prefix)
        return scope

    def organisations_q(self, roles: tuple[str, ...], prefix: str = "") -> Q:
        """`permissions.organisation_scope_q(user, roles, prefix)`: organisations (or rows through one)."""
        if self.superuser:
            return Q()
        scope = Q(pk__in=[])
        for membership in self._of(roles):
            scope |= Q(**{f"{prefix}pk": membership.organisation_id})
            if membership.covers_region_subtree:
                prefix_q = {
                    f"{prefix}region__code__startswith": membership.organisation.region.subtree_prefix
                }
                scope |= Q(**prefix_q)
        return scope

    def _of(self, roles: tuple[str, ...]) -> list[Membership]:
        if not set(roles) <= set(CASE_ROLES):  # only case roles were read
            raise ValueError(roles)
        return [m for m in self.memberships if m.role in roles]


def _scope(user: Any, roles: tuple[str, ...], *, steps: bool = False) -> Q:
    """The case scope of `roles` (or, with `steps`, the scope of review steps by their organisation)."""
    scope = StaffScope.of(user)
    return scope.organisations_q(roles, prefix="organisation__") if steps else scope.cases_q(roles)


def _queue_q(user: Any, key: str) -> Q:
    """The condition of one queue for `user` (status, role scope, and the queue's own rule)."""
    queue = QUEUE_BY_KEY[key]
    scope = _scope(user, queue.roles)
    if key == "pre_review":
        return scope & Q(status=CaseStatus.SUBMITTED) & ~Q(channel=Channel.WINDOW) & ~Q(_RETURNED_BEFORE)
    if key == "to_accept":
        return scope & Q(status=CaseStatus.SUBMITTED) & (Q(channel=Channel.WINDOW) | Q(_RETURNED_BEFORE))
    if key == "my_steps":
        if StaffScope.of(user).superuser:
            return Q(status=CaseStatus.ACCEPTED) | (Q(status=CaseStatus.IN_REVIEW) & Q(_on_an_active_step()))
        # Driven from the steps (their department's index), not by probing every case in review: a small
        # department's steps are few, and its cases in review could sit anywhere in the page order.
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


def _on_an_active_step() -> RawSQL | Exists:
    """EXISTS an active step of the case, probed per case as the page walks its order.

    Every department's steps (the superuser's 我的环节): `pk IN (active steps)`, or a plain EXISTS that
    PostgreSQL turns into the same thing under an OR, hashed all 42,000 active steps at 1,000,000 cases
    before the first row (25-45 ms); probing each case stops after a page (about 1 ms). `OFFSET 0` is
    what keeps the planner from converting the EXISTS into a hashed subplan. The outer table is the
    queryset's base table (no self-join in these queries)."""
    database = connections[Case.objects.db]
    if database.vendor != "postgresql":
        return Exists(CaseStep.objects.filter(case=OuterRef("pk"), status=StepStatus.ACTIVE))
    case_table, step_table = (
        database.ops.quote_name(Case._meta.db_table),
        database.ops.quote_name(CaseStep._meta.db_table),
    )
    return RawSQL(  # noqa: S611 - table names from the models, the one value a bound parameter
        f"EXISTS (SELECT 1 FROM {step_table} s WHERE s.case_id = {case_table}.id "  # noqa: S608 - our tables
        "AND s.status = %s OFFSET 0)",
        (StepStatus.ACTIVE.value,),
        output_field=BooleanField(),
    )


def queues_for(user: Any) -> list[Queue]:
    """The queues whose roles the user holds somewhere (a superuser sees them all)."""
    scope = StaffScope.of(user)
    return [queue for queue in QUEUES if scope.holds(queue.roles)]


def queue_counts(user: Any, queues: list[Queue], filters: Filters) -> dict[str, int]:
    """Every queue's count, with the same conditions as `queue_cases`, each stopping at COUNT_CAP.

    One statement for all tabs, `SELECT (SELECT COUNT(*) FROM (<part> LIMIT cap)), (…), …`: the
    database runs the same capped scans as one query per tab would, without nine round trips. A tab
    whose list is the union of disjoint parts counts each part (capped) and adds them up."""
    parts: list[str] = []
    params: list[Any] = []
    owners: list[str] = []
    for queue in queues:
        for capped in _count_parts(user, queue.key, filters):
            query = capped[:COUNT_CAP].query
            try:
                sql, query_params = query.get_compiler(using=capped.db).as_sql()
            except EmptyResultSet:  # a part that can match nothing (no membership for its roles)
                continue
            # The ORM compiled `sql`; every value stays a bound parameter.
            parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped_{len(parts)})")  # noqa: S608
            params.extend(query_params)
            owners.append(queue.key)
    counts = {queue.key: 0 for queue in queues}
    if parts:
        with connections[Case.objects.db].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts), params)
            row = cursor.fetchone()
        for key, n in zip(owners, row, strict=True):
            counts[key] += int(n)
    return {key: min(n, COUNT_CAP) for key, n in counts.items()}


def _count_parts(user: Any, key: str, filters: Filters) -> list[QuerySet[Any]]:
    """Disjoint querysets whose rows together are the queue's cases, unordered (so a scan stops at the cap).

    "My steps" is accepted cases of the user's departments or cases in review with an active step there.
    Counted as one OR, PostgreSQL hashed every active step of the department and scanned cases in review
    until the cap (20–30 ms for a department with 9,000 active steps at 1,000,000 cases); the second part
    counted from the steps' side (distinct cases, so a case with two active steps there counts once)
    walks the steps and stops at the cap (about 4 ms)."""
    if key != "my_steps":
        return [Case.objects.filter(_queue_q(user, key) & filters.q()).order_by().values("pk")]
    accepted = Case.objects.filter(
        _scope(user, HANDLING_ROLES) & Q(status=CaseStatus.ACCEPTED) & filters.q()
    ).order_by()
    in_review = CaseStep.objects.filter(
        _scope(user, HANDLING_ROLES, steps=True)
        & Q(status=StepStatus.ACTIVE, case__status=CaseStatus.IN_REVIEW)
        & filters.q(prefix="case__")
    ).order_by()
    return [accepted.values("pk"), in_review.values("case_id").distinct()]


# What a queue line shows: the case's own columns and the names it joins (not the form data, the item's
# texts or the applicant's account columns).
PAGE_FIELDS = (
    "number",
    "status",
    "channel",
    "due_on",
    "warning_level",
    "implementation__name",
    "organisation__name",
    "applicant__username",
    "applicant__display_name",
    "enterprise__name",
)


def queue_cases(user: Any, key: str, filters: Filters) -> QuerySet[Case]:
    """One queue's cases, the most urgent deadline first (cases without a running clock last)."""
    return (
        Case.objects.filter(_queue_q(user, key) & filters.q())
        .select_related("implementation", "organisation", "applicant", "enterprise")
        .only(*PAGE_FIELDS)
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
        Organisation.objects.filter(StaffScope.of(user).organisations_q(CASE_ROLES), is_active=True)
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
