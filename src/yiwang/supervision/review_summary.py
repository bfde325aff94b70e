"""好差评 figures for the dashboards from a summary table, kept in step with the reviews app's events.

The definitions are the reviews app's (`reviews.selectors` docstring, docs/apps/reviews.md): a review counts
on its rating day unless an upheld appeal excluded it; satisfied = levels 1–3; bad = levels 4–5; rectified =
bad and its work order has fed the outcome back (now). `ReviewFact` stores what each review contributes;
a refresh applies the difference to `ReviewSummary` at the three grains of the case summaries (day × item,
day, month), so a province over a year reads a few thousand monthly rows instead of every review.

Incremental: `review.rated` and every `review.work_order_<action>` event (names from the work order's
transition table; an upheld appeal is one of them) refresh that review. Durable: `catch_up` walks the
append-only reviews (new ratings) and `WorkOrderEvent` rows (status changes) from stored cursors.
`rebuild` recomputes everything with INSERT … SELECT. The reviews app is optional: without it every
function here does nothing and the dashboards show no 好差评 row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.db.models import CharField, Count, DateField, F, IntegerField, Max, Q, Value
from django.db.models.functions import TruncMonth

from . import incremental
from .models import ALL_ITEMS, RefreshCursor, ReviewFact, ReviewSummary

KEY_NAMES = ("grain", "day", "organisation_id", "item_id", "region_id")
VALUE_NAMES = ("cases", "satisfied", "bad", "rectified")
REVIEW_CURSOR = "reviews"
ORDER_CURSOR = "review_orders"
CHUNK = 500
SCAN_CHUNK = 5000

Rows = dict[tuple[Any, ...], dict[str, int]]


def available() -> bool:
    return apps.is_installed("yiwang.reviews")


@dataclass(frozen=True)
class ReviewContribution:
    review_id: int
    organisation_id: int
    implementation_id: int
    region_id: str
    rated_on: dt.date
    satisfied: bool
    bad: bool
    rectified: bool

    def rows(self) -> list[tuple[tuple[Any, ...], dict[str, int]]]:
        values = {
            "cases": 1,
            "satisfied": int(self.satisfied),
            "bad": int(self.bad),
            "rectified": int(self.rectified),
        }
        day, org, region = self.rated_on, self.organisation_id, self.region_id
        return [
            (("i", day, org, self.implementation_id, region), values),
            (("d", day, org, ALL_ITEMS, region), values),
            (("m", day.replace(day=1), org, ALL_ITEMS, region), values),
        ]


def _counted_reviews() -> Any:
    from yiwang.reviews.models import Review

    return Review.objects.filter(excluded=False)


def _flags() -> dict[str, Q]:
    from yiwang.reviews.models import RECTIFIED_STATUSES, SATISFIED_LEVELS

    return {
        "satisfied": Q(level__in=SATISFIED_LEVELS),
        "bad": Q(is_bad=True),
        "rectified": Q(is_bad=True, work_order__status__in=RECTIFIED_STATUSES),
    }


COLUMNS = ("pk", "organisation_id", "implementation_id", "region_id", "rated_on", "level", "is_bad")


def _contribution(row: dict[str, Any]) -> ReviewContribution:
    from yiwang.reviews.models import RECTIFIED_STATUSES, SATISFIED_LEVELS

    return ReviewContribution(
        review_id=row["pk"],
        organisation_id=row["organisation_id"],
        implementation_id=row["implementation_id"],
        region_id=row["region_id"],
        rated_on=row["rated_on"],
        satisfied=row["level"] in SATISFIED_LEVELS,
        bad=bool(row["is_bad"]),
        rectified=bool(row["is_bad"]) and row["work_order__status"] in RECTIFIED_STATUSES,
    )


def contributions_for(review_ids: Iterable[int]) -> dict[int, ReviewContribution]:
    """What these reviews contribute as they stand now (excluded reviews: nothing)."""
    rows = _counted_reviews().filter(pk__in=list(review_ids)).values(*COLUMNS, "work_order__status")
    return {row["pk"]: _contribution(row) for row in rows}


def _contributions(contribution: ReviewContribution) -> list[incremental.Contribution]:
    return [("reviews", key, values) for key, values in contribution.rows()]


def _review_source() -> Any:
    from yiwang.reviews.models import Review

    return Review


def _review_facts() -> incremental.FactTable[ReviewContribution]:
    return incremental.FactTable(
        source=_review_source(),
        model=ReviewFact,
        source_field="review_id",
        fact_type=ReviewContribution,
        current=contributions_for,
        contributions=_contributions,
        summaries={"reviews": (ReviewSummary, KEY_NAMES)},
    )


# --- incremental -----------------------------------------------------------------------------------------


def refresh_reviews(review_ids: Iterable[int]) -> int:
    """Bring the facts and summary rows of these reviews up to date; returns how many changed."""
    if not available():
        return 0
    return incremental.refresh(_review_facts(), review_ids, chunk=CHUNK)


def catch_up(limit: int | None = None) -> int:
    """Refresh every review rated, or whose work order moved, after the cursors; returns the rows read."""
    if not available():
        return 0
    from yiwang.reviews.models import Review, WorkOrderEvent

    done = 0
    while limit is None or done < limit:
        with transaction.atomic():
            cursors = {
                c.name: c
                for c in RefreshCursor.objects.select_for_update().filter(
                    name__in=[REVIEW_CURSOR, ORDER_CURSOR]
                )
            }
            for name in (REVIEW_CURSOR, ORDER_CURSOR):
                if name not in cursors:
                    cursors[name], _created = RefreshCursor.objects.get_or_create(name=name)
            rated = list(
                Review.objects.filter(pk__gt=cursors[REVIEW_CURSOR].last_event_id)
                .order_by("pk")
                .values_list("pk", flat=True)[:SCAN_CHUNK]
            )
            moved = list(
                WorkOrderEvent.objects.filter(pk__gt=cursors[ORDER_CURSOR].last_event_id)
                .order_by("pk")
                .values_list("pk", "order__review_id")[:SCAN_CHUNK]
            )
            if not rated and not moved:
                break
            refresh_reviews([*rated, *(review_id for _pk, review_id in moved)])
            for name, last in (
                (REVIEW_CURSOR, rated[-1] if rated else None),
                (ORDER_CURSOR, moved[-1][0] if moved else None),
            ):
                if last is not None:
                    cursors[name].last_event_id = last
                    cursors[name].save(update_fields=["last_event_id", "updated_at"])
            done += len(rated) + len(moved)
    return done


# --- full recompute ------------------------------------------------------------------------------------


def rebuild() -> int:
    """Recompute every review fact and summary row (INSERT … SELECT). Returns the number of facts.
    Runs inside the caller's transaction when there is one (summary.rebuild)."""
    if not available():
        return 0
    from yiwang.reviews.models import Review, WorkOrderEvent

    with transaction.atomic():
        last_review = Review.objects.aggregate(m=Max("pk"))["m"] or 0
        last_order_event = WorkOrderEvent.objects.aggregate(m=Max("pk"))["m"] or 0
        ReviewFact.objects.all().delete()
        ReviewSummary.objects.all().delete()
        flags = _flags()
        facts = _counted_reviews().annotate(
            sv_satisfied=_as_bool(flags["satisfied"]),
            sv_bad=_as_bool(flags["bad"]),
            sv_rectified=_as_bool(flags["rectified"]),
        )
        rows = facts.annotate(sv_review=F("pk")).values(
            "sv_review",
            "organisation_id",
            "implementation_id",
            "region_id",
            "rated_on",
            "sv_satisfied",
            "sv_bad",
            "sv_rectified",
        )
        plain = ("organisation_id", "implementation_id", "region_id", "rated_on")
        _insert(
            ReviewFact,
            {
                "review_id": "sv_review",
                **{name: name for name in plain},
                "satisfied": "sv_satisfied",
                "bad": "sv_bad",
                "rectified": "sv_rectified",
            },
            rows.order_by(),
        )
        for grain, day, item in (
            ("i", F("rated_on"), F("implementation_id")),
            ("d", F("rated_on"), Value(ALL_ITEMS, output_field=IntegerField())),
            (
                "m",
                TruncMonth("rated_on", output_field=DateField()),
                Value(ALL_ITEMS, output_field=IntegerField()),
            ),
        ):
            grouped = (
                ReviewFact.objects.annotate(
                    sv_day=day, sv_item=item, sv_grain=Value(grain, output_field=CharField())
                )
                .values("sv_grain", "sv_day", "organisation_id", "sv_item", "region_id")
                .annotate(
                    sv_cases=Count("pk"),
                    sv_satisfied=Count("pk", filter=Q(satisfied=True)),
                    sv_bad=Count("pk", filter=Q(bad=True)),
                    sv_rectified=Count("pk", filter=Q(rectified=True)),
                )
                .order_by()
            )
            _insert(
                ReviewSummary,
                {
                    "grain": "sv_grain",
                    "day": "sv_day",
                    "organisation_id": "organisation_id",
                    "item_id": "sv_item",
                    "region_id": "region_id",
                    **{name: f"sv_{name}" for name in VALUE_NAMES},
                },
                grouped,
                order="2",  # by day: a period's rows sit on few pages
            )
        for name, last in ((REVIEW_CURSOR, last_review), (ORDER_CURSOR, last_order_event)):
            RefreshCursor.objects.update_or_create(name=name, defaults={"last_event_id": last})
        return ReviewFact.objects.count()


def _as_bool(q: Q) -> Any:
    from django.db.models import BooleanField, Case, When

    return Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())


def _insert(model: Any, columns: dict[str, str], rows: Any, order: str = "1") -> None:
    """INSERT INTO model (target columns) SELECT the named output columns of `rows` (wrapped, so the order
    Django gives the SELECT list does not matter), sorted by the `order`-th target column."""
    sql, params = rows.query.sql_with_params()
    quote = connection.ops.quote_name
    targets = ", ".join(quote(target) for target in columns)
    sources = ", ".join(f"sub.{quote(source)}" for source in columns.values())
    # Identifiers are our own models' columns and aliases; every value is a query parameter.
    statement = (
        f"INSERT INTO {quote(model._meta.db_table)} ({targets}) SELECT {sources} FROM ({sql}) sub"  # noqa: S608
        f" ORDER BY {order}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


# --- what the table must hold ------------------------------------------------------------------------------


def expected_rows() -> Rows:
    """The summary rows a full recompute gives, computed in Python from the reviews (tests, `verify`)."""
    if not available():
        return {}
    tables: dict[str, incremental.Deltas] = {}
    last = 0
    base = _counted_reviews().order_by("pk")
    while rows := list(base.filter(pk__gt=last).values(*COLUMNS, "work_order__status")[:SCAN_CHUNK]):
        for row in rows:
            incremental.add(tables, _contributions(_contribution(row)), +1)
        last = rows[-1]["pk"]
    deltas = tables.get("reviews", {})
    return {key: dict(values) for key, values in deltas.items() if values.get("cases")}


def stored_rows() -> Rows:
    return {
        tuple(row[k] for k in KEY_NAMES): {v: row[v] for v in VALUE_NAMES}
        for row in ReviewSummary.objects.values(*KEY_NAMES, *VALUE_NAMES)
    }


# --- reading ---------------------------------------------------------------------------------------------


def figures(count: int, satisfied: int, bad: int, rectified: int) -> dict[str, Any]:
    """The shape and rounding of `reviews.selectors.review_stats` (rates in [0, 1], 4 decimals)."""

    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    return {
        "count": count,
        "satisfied_count": satisfied,
        "satisfaction_rate": share(satisfied, count),
        "bad_count": bad,
        "rectified_count": rectified,
        "rectification_rate": share(rectified, bad),
    }


# --- event subscription ------------------------------------------------------------------------------------


def review_event_names() -> list[str]:
    """`review.rated` and every work order transition's event (the transition table names them all)."""
    from yiwang.reviews import transitions

    return sorted({"review.rated", *(f"review.work_order_{t.action}" for t in transitions.TABLE)})


def _on_review_event(event: str, payload: dict[str, Any]) -> None:
    review_id = payload.get("review_id")
    if not review_id:
        return
    from .tasks import refresh_review

    refresh_review.delay(int(review_id))


def connect_events() -> None:
    if not available():
        return
    from yiwang.core import events

    for name in review_event_names():
        events.subscribe(name, _on_review_event)
