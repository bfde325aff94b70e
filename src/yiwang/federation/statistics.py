"""National statistics: each node reports per-region, per-day figures to the hub (`stats.report`).

A node counts, for each day of the period, per region of its cases: applications filed, cases completed
(and of those, on time by the deciding node's own deadline), open cases past their deadline (counted on
the day of the report), cross-province applications received from other nodes, and — when the reviews app
is installed — reviews and satisfied reviews. A report replaces the hub's rows for the same (node, region,
day), so reporting the last few days again every night corrects late changes without double counting.
The hub shows the national page and serves the same rows as JSON for the assessment engine's collector.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from yiwang.federation import identity, inbox, outbox
from yiwang.federation.catalogue import _prefix
from yiwang.federation.cross_models import ForwardedCase, NodeStatistic
from yiwang.federation.models import Peer

FIGURES = (
    "filed",
    "completed",
    "completed_on_time",
    "overdue_open",
    "cross_province",
    "reviews",
    "reviews_satisfied",
)
MAX_DAYS = 400


def _rows(queryset: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in queryset]


def _case_figures(start: dt.date, end: dt.date) -> dict[tuple[str, dt.date], dict[str, int]]:
    from yiwang.cases.models import OPEN_STATUSES, Case

    rows: dict[tuple[str, dt.date], dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for row in _rows(
        Case.objects.filter(submitted_on__gte=start, submitted_on__lte=end)
        .values("region_id", "submitted_on")
        .annotate(n=Count("id"))
    ):
        rows[(row["region_id"], row["submitted_on"])]["filed"] = row["n"]
    for row in _rows(
        Case.objects.filter(completed_on__gte=start, completed_on__lte=end)
        .values("region_id", "completed_on")
        .annotate(
            n=Count("id"),
            on_time=Count("id", filter=Q(decision_due__isnull=True) | Q(completed_on__lte=F("decision_due"))),
        )
    ):
        figures = rows[(row["region_id"], row["completed_on"])]
        figures["completed"] = row["n"]
        figures["completed_on_time"] = row["on_time"]
    today = timezone.localdate()
    if start <= today <= end:
        for row in _rows(
            Case.objects.filter(status__in=OPEN_STATUSES, decision_due__lt=today)
            .values("region_id")
            .annotate(n=Count("id"))
        ):
            rows[(row["region_id"], today)]["overdue_open"] = row["n"]
    for row in _rows(
        ForwardedCase.objects.filter(case__submitted_on__gte=start, case__submitted_on__lte=end)
        .values("case__region_id", "case__submitted_on")
        .annotate(n=Count("id"))
    ):
        rows[(row["case__region_id"], row["case__submitted_on"])]["cross_province"] = row["n"]
    return rows


def _add_review_figures(
    rows: dict[tuple[str, dt.date], dict[str, int]], start: dt.date, end: dt.date
) -> None:
    """Reviews per region and day, from the reviews app when it is installed (tolerates its absence)."""
    try:
        from yiwang.reviews.selectors import SATISFIED_LEVELS, counted_reviews
    except ImportError:
        return
    for row in _rows(
        counted_reviews(start=start, end=end)
        .values("region_id", "rated_on")
        .annotate(n=Count("id"), satisfied=Count("id", filter=Q(level__in=SATISFIED_LEVELS)))
    ):
        figures = rows[(row["region_id"], row["rated_on"])]
        figures["reviews"] = row["n"]
        figures["reviews_satisfied"] = row["satisfied"]


def collect(start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """This node's figures, one row per (region, day) with anything to count."""
    if end < start:
        raise ValueError("统计期间的结束日期早于开始日期。")
    if (end - start).days > MAX_DAYS:
        raise ValueError(f"一次最多统计 {MAX_DAYS} 天。")
    rows = _case_figures(start, end)
    _add_review_figures(rows, start, end)
    return [
        {"region_code": region, "day": f"{day:%Y-%m-%d}", **figures}
        for (region, day), figures in sorted(rows.items())
        if region
    ]


def report(days: int = 7, *, today: dt.date | None = None) -> int:
    """Enqueue `stats.report` for the last `days` days (today included) to the hub; returns rows sent."""
    hub = outbox.hub()
    if hub is None:
        raise ValueError("尚未登记国家枢纽节点：请先运行 yiwang federation add-peer 登记枢纽。")
    end = today or timezone.localdate()
    start = end - dt.timedelta(days=max(days, 1) - 1)
    rows = collect(start, end)
    with transaction.atomic():
        outbox.enqueue(
            hub,
            "stats.report",
            {"start": f"{start:%Y-%m-%d}", "end": f"{end:%Y-%m-%d}", "rows": rows},
        )
    return len(rows)


@inbox.handles("stats.report")
def receive_report(peer: Peer, payload: dict[str, Any]) -> dict[str, Any]:
    if not identity.local_node().is_hub:
        raise inbox.Refused(422, "只有国家枢纽接收统计上报。")
    prefix = _prefix(peer.code)
    saved = refused = 0
    for row in payload.get("rows", []):
        region = str(row.get("region_code", ""))
        try:
            day = dt.date.fromisoformat(str(row.get("day", "")))
        except ValueError:
            refused += 1
            continue
        if not region.startswith(prefix):
            refused += 1  # a node reports only for its own regions
            continue
        values = {name: max(int(row.get(name) or 0), 0) for name in FIGURES}
        NodeStatistic.objects.update_or_create(node=peer.code, region_code=region, day=day, defaults=values)
        saved += 1
    return {"saved": saved, "refused": refused}


# --- on the hub: reading --------------------------------------------------------------------------------


def rows(*, start: dt.date, end: dt.date, node: str = "", region_prefix: str = "") -> QuerySet[NodeStatistic]:
    queryset = NodeStatistic.objects.filter(day__gte=start, day__lte=end)
    if node:
        queryset = queryset.filter(node=node)
    if region_prefix:
        queryset = queryset.filter(region_code__startswith=region_prefix)
    return queryset.order_by("day", "region_code")


def by_node(*, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Totals per reporting node, with the on-time and satisfaction rates."""
    result = []
    for row in _rows(
        NodeStatistic.objects.filter(day__gte=start, day__lte=end)
        .values("node")
        .annotate(**{name: Sum(name) for name in FIGURES})
        .order_by("node")
    ):
        completed, reviews = row["completed"] or 0, row["reviews"] or 0
        row["on_time_rate"] = round(row["completed_on_time"] / completed, 4) if completed else None
        row["satisfaction_rate"] = round(row["reviews_satisfied"] / reviews, 4) if reviews else None
        result.append(row)
    return result


def national(*, start: dt.date, end: dt.date) -> dict[str, Any]:
    totals = NodeStatistic.objects.filter(day__gte=start, day__lte=end).aggregate(
        **{name: Sum(name) for name in FIGURES}
    )
    return {name: totals[name] or 0 for name in FIGURES}
