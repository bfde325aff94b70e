"""好差评 reads: the disclosure figures (public, never naming a rater), the supervision engineer's
`review_stats` / `open_work_orders_overdue`, and the queues of staff pages.

Definitions (docs/apps/reviews.md):
- A review counts when its rating day (`rated_on`, Asia/Shanghai) lies in [start, end] (both inclusive)
  and it was not excluded by an upheld appeal (申诉复核认定误评或恶意差评).
- satisfaction_rate = counted reviews rated 非常满意, 满意 or 基本满意 (levels 1–3) ÷ counted reviews.
- bad_count = counted reviews rated 不满意 or 非常不满意 (levels 4–5).
- rectified_count = of those, the ones whose work order has fed the outcome (整改 or 解释说明) back to the
  rater, now (status fed_back, visited or closed).
- rectification_rate = rectified_count ÷ bad_count.
Rates are fractions in [0, 1] rounded to 4 decimal places, None when the denominator is 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from yiwang.accounts import permissions
from yiwang.core.models import Region

from .models import RECTIFIED_STATUSES, RUNNING_STATUSES, SATISFIED_LEVELS, OrderStatus, Review, WorkOrder
from .services import DEPARTMENT_ROLES, SUPERVISOR_ROLES

DIMENSIONS = {
    "organisation": ("organisation_id", "organisation__name"),
    "item": ("implementation_id", "implementation__name"),
    "region": ("region_id", "region__name"),
}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def region_prefix(region_code: str) -> str:
    region = Region.objects.filter(code=(region_code or "").strip()).first()
    if region is None:
        raise ValueError(_("行政区划代码 %(c)s 不存在，请从地区列表中选择。") % {"c": region_code})
    return region.subtree_prefix


def counted_reviews(
    *,
    start: dt.date,
    end: dt.date,
    organisation_ids: Iterable[int] | None = None,
    region_code: str | None = None,
    implementation_ids: Iterable[int] | None = None,
) -> QuerySet[Review]:
    if end < start:
        raise ValueError(
            _("统计期间的结束日期 %(e)s 早于开始日期 %(s)s，请调换后再试。") % {"s": start, "e": end}
        )
    queryset = Review.objects.filter(rated_on__gte=start, rated_on__lte=end, excluded=False)
    if organisation_ids is not None:
        queryset = queryset.filter(organisation_id__in=list(organisation_ids))
    if implementation_ids is not None:
        queryset = queryset.filter(implementation_id__in=list(implementation_ids))
    if region_code:
        queryset = queryset.filter(region__code__startswith=region_prefix(region_code))
    return queryset


_AGGREGATES = {
    "count": Count("id"),
    "satisfied_count": Count("id", filter=Q(level__in=SATISFIED_LEVELS)),
    "bad_count": Count("id", filter=Q(is_bad=True)),
    "rectified_count": Count("id", filter=Q(is_bad=True, work_order__status__in=RECTIFIED_STATUSES)),
}


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    count, bad = row.get("count") or 0, row.get("bad_count") or 0
    satisfied, rectified = row.get("satisfied_count") or 0, row.get("rectified_count") or 0
    return {
        "count": count,
        "satisfied_count": satisfied,
        "satisfaction_rate": _rate(satisfied, count),
        "bad_count": bad,
        "rectified_count": rectified,
        "rectification_rate": _rate(rectified, bad),
    }


def review_stats(
    *,
    organisation_ids: Iterable[int] | None = None,
    region_code: str | None = None,
    implementation_ids: Iterable[int] | None = None,
    start: dt.date,
    end: dt.date,
) -> dict[str, Any]:
    """count, satisfied_count, satisfaction_rate, bad_count, rectified_count, rectification_rate."""
    queryset = counted_reviews(
        start=start,
        end=end,
        organisation_ids=organisation_ids,
        region_code=region_code,
        implementation_ids=implementation_ids,
    )
    return _figures(queryset.aggregate(**_AGGREGATES))


def stats_by(
    dimension: str, *, start: dt.date, end: dt.date, region_code: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Disclosure rows per organisation, item or region (most reviews first)."""
    if dimension not in DIMENSIONS:
        raise ValueError(_("统计维度应为 organisation（机构）、item（事项）或 region（地区）。"))
    key, name = DIMENSIONS[dimension]
    queryset = counted_reviews(start=start, end=end, region_code=region_code)
    rows = queryset.values(key, name).annotate(**_AGGREGATES).order_by("-count", key)[:limit]
    return [{"id": row[key], "name": row[name], **_figures(row)} for row in rows]


def open_work_orders_overdue(today: dt.date) -> QuerySet[WorkOrder]:
    """Work orders whose rectification deadline passed before `today` and that are still running."""
    return (
        WorkOrder.objects.filter(status__in=RUNNING_STATUSES, due_on__lt=today)
        .select_related("organisation", "review__case")
        .order_by("due_on", "id")
    )


# --- people and staff -------------------------------------------------------------------------------


def my_reviews(user: Any) -> QuerySet[Review]:
    return (
        Review.objects.filter(rater=user)
        .select_related("case", "implementation", "organisation")
        .prefetch_related("work_order")
        .order_by("-rated_at")
    )


def my_review_of(user: Any, review_id: int) -> Review | None:
    return my_reviews(user).filter(pk=review_id).first()


def department_orders(user: Any, status: str | None = None) -> QuerySet[WorkOrder]:
    queryset = WorkOrder.objects.filter(
        permissions.scope_q(user, DEPARTMENT_ROLES) | permissions.scope_q(user, SUPERVISOR_ROLES)
    ).select_related("organisation", "review__case", "review__implementation")
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("due_on", "id")


def pending_appeals(user: Any) -> QuerySet[WorkOrder]:
    return (
        WorkOrder.objects.filter(permissions.scope_q(user, SUPERVISOR_ROLES), status=OrderStatus.APPEALING)
        .select_related("organisation", "review__case", "review__implementation")
        .order_by("appealed_at", "id")
    )


def awaiting_closure(user: Any) -> QuerySet[WorkOrder]:
    return (
        WorkOrder.objects.filter(permissions.scope_q(user, SUPERVISOR_ROLES), status=OrderStatus.VISITED)
        .select_related("organisation", "review__case", "review__implementation")
        .order_by("visited_at", "id")
    )


def visible_order(user: Any, order_id: int) -> WorkOrder | None:
    return department_orders(user).select_related("review__rater").filter(pk=order_id).first()
