"""Keeping the summary tables in step with the cases.

Incremental: every `case.*` event refreshes its case (a Celery task, eager without a broker): the case's
stored fact (its current contribution) against its new fact, the difference applied to the summary rows
(`incremental`, shared with the 好差评 summary).

Durable: events are in-process and a crash can lose one, so `catch_up` walks the append-only CaseEvent log
from a stored cursor and refreshes every case that has moved since (idempotent: a refresh recomputes from
the case as it stands). `rebuild` recomputes everything from scratch (`yiwang supervision rebuild`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, DateField, F, IntegerField, Max, Min, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from yiwang.cases.models import Case, CaseEvent, CaseMaterial, Channel, DeliveryMethod
from yiwang.catalog import codes
from yiwang.core import workdays

from . import facts, incremental, review_summary
from .facts import Fact
from .models import (
    ALL_ITEMS,
    CaseFact,
    CompletedSummary,
    DurationSummary,
    FiledSummary,
    RefreshCursor,
    ReviewFact,
    ReviewSummary,
)

logger = logging.getLogger("yiwang.supervision")

KEY = ("grain", "day", "organisation_id", "item_id", "region_id")
TABLES: dict[str, tuple[Any, tuple[str, ...], tuple[str, ...]]] = {
    # name: (model, key columns, value columns)
    "filed": (FiledSummary, (*KEY, "channel", "status"), ("cases", "exempted_materials")),
    "completed": (
        CompletedSummary,
        (*KEY, "channel", "on_time", "one_visit"),
        (
            "cases",
            "handling_days",
            "promised_days",
            "legal_days",
            "legal_cases",
            "legal_handling_days",
            "legal_promised_days",
        ),
    ),
    "duration": (DurationSummary, (*KEY, "handling_days"), ("cases",)),
}
CHUNK = 500
REBUILD_CHUNK = 5000
CURSOR = "case_events"


CASE_FACTS: incremental.FactTable[Fact] = incremental.FactTable(
    source=Case,
    model=CaseFact,
    source_field="case_id",
    fact_type=Fact,
    current=facts.facts_for,
    contributions=Fact.contributions,
    summaries={name: (model, key_names) for name, (model, key_names, _values) in TABLES.items()},
)


def refresh_cases(case_ids: Iterable[int]) -> int:
    """Bring the facts and summary rows of these cases up to date; returns how many facts changed."""
    return incremental.refresh(CASE_FACTS, case_ids, chunk=CHUNK)


# --- full recompute ------------------------------------------------------------------------------------


Rows = dict[str, dict[tuple[Any, ...], dict[str, int]]]


def expected_rows() -> Rows:
    """What the summary tables must hold, computed from the cases alone (tests, `verify`)."""
    deltas: dict[str, incremental.Deltas] = {}
    for fact in _all_facts():
        incremental.add(deltas, fact.contributions(), +1)
    result = {
        table: {k: dict(v) for k, v in deltas.get(table, {}).items() if v.get("cases")} for table in TABLES
    }
    result["reviews"] = review_summary.expected_rows()
    return result


def stored_rows() -> Rows:
    result: Rows = {}
    for table, (model, key_names, value_names) in TABLES.items():
        result[table] = {
            tuple(row[k] for k in key_names): {v: row[v] for v in value_names}
            for row in model.objects.values(*key_names, *value_names)
        }
    result["reviews"] = review_summary.stored_rows()
    return result


def _all_facts(progress: Callable[[int], None] | None = None) -> Iterable[Fact]:
    last = 0
    base = Case.objects.filter(submitted_on__isnull=False).order_by("pk")
    while True:
        rows = list(base.filter(pk__gt=last).values(*facts.CASE_COLUMNS)[:REBUILD_CHUNK])
        if not rows:
            return
        exempted = facts.exempted_counts(row["pk"] for row in rows)
        for row in rows:
            yield facts.fact_from_row(row, exempted.get(row["pk"], 0))
        last = rows[-1]["pk"]
        if progress is not None:
            progress(len(rows))


@transaction.atomic
def rebuild(progress: Callable[[int], None] | None = None) -> int:
    """Recompute every fact and summary row from the cases (and the reviews). Returns the number of facts.
    Set-based: the facts are one INSERT … SELECT (facts.py's definitions in SQL, checked against the Python
    ones by tests and `verify`), the summaries one GROUP BY per table and grain."""
    last_event = CaseEvent.objects.aggregate(m=Max("id"))["m"] or 0
    CaseFact.objects.all().delete()
    for model, _keys, _values in TABLES.values():
        model.objects.all().delete()
    total = _insert_facts()
    if progress is not None:
        progress(total)
    _aggregate_into_summaries()
    RefreshCursor.objects.update_or_create(name=CURSOR, defaults={"last_event_id": last_event})
    review_summary.rebuild()
    return total


def tidy_after_rebuild() -> None:
    """VACUUM ANALYZE the rollup tables on PostgreSQL, outside any transaction (run it after `rebuild`).
    The rebuild deletes and re-inserts every row sorted by day; until the dead rows are vacuumed, the
    indexes still point at them and a year's panel reads thousands of pages instead of a hundred."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    tables = [model._meta.db_table for model, _keys, _values in TABLES.values()]
    tables += [CaseFact._meta.db_table, ReviewFact._meta.db_table, ReviewSummary._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


WORKDAY_INDEX = "sv_workday_index"


def _workday_index(cursor: Any, low: dt.date, high: dt.date) -> None:
    """A temporary table (day, idx): idx = working days up to and including `day`, so the working days in
    (a, b] are idx(b) − idx(a) — `working_days_between` as a join. Raises CalendarYearMissing like it."""
    rows, idx, day = [], 0, low
    while day <= high:
        idx += int(workdays.is_working_day(day))
        rows.append((day, idx))
        day += dt.timedelta(days=1)
    cursor.execute(f"DROP TABLE IF EXISTS {WORKDAY_INDEX}")
    cursor.execute(f"CREATE TEMPORARY TABLE {WORKDAY_INDEX} (day date PRIMARY KEY, idx integer NOT NULL)")
    cursor.executemany(f"INSERT INTO {WORKDAY_INDEX} (day, idx) VALUES (%s, %s)", rows)  # noqa: S608


def _insert_facts() -> int:
    """Every filed case's fact in one INSERT … SELECT (the definitions of facts.fact_from_row)."""
    from yiwang.catalog.models import GuideVersion

    done = Case.objects.filter(submitted_on__isnull=False, completed_on__isnull=False)
    span = done.aggregate(
        a_low=Min("accepted_on"), a_high=Max("accepted_on"), d_low=Min("decided_on"), d_high=Max("decided_on")
    )
    lows = [v for v in (span["a_low"], span["d_low"]) if v is not None]
    highs = [v for v in (span["a_high"], span["d_high"]) if v is not None]
    exempted_sql, exempted_params = (
        CaseMaterial.objects.filter(facts.EXEMPT_Q)
        .values("case_id")
        .annotate(n=Count("pk"))
        .order_by()
        .query.sql_with_params()
    )
    q = connection.ops.quote_name
    completed = "c.completed_on IS NOT NULL"
    measured = f"{completed} AND c.accepted_on IS NOT NULL AND c.decided_on IS NOT NULL"
    spent = "(wd_decided.idx - wd_accepted.idx - COALESCE(c.suspended_days, 0))"
    columns = {
        "case_id": "c.id",
        "organisation_id": "c.organisation_id",
        "implementation_id": "c.implementation_id",
        "region_id": "c.region_id",
        "channel": "c.channel",
        "status": "c.status",
        "submitted_on": "c.submitted_on",
        "completed_on": "c.completed_on",
        "on_time": f"CASE WHEN {completed} AND (c.decision_due IS NULL OR c.decided_on <= c.decision_due) "
        "THEN %s ELSE %s END",
        "one_visit": f"CASE WHEN {completed} AND NOT (c.channel = %s AND c.delivery_method = %s) "
        "THEN %s ELSE %s END",
        "handling_days": f"CASE WHEN {measured} AND {spent} > 0 THEN {spent} ELSE 0 END",
        "promised_days": "COALESCE(c.limit_days, 0)",
        "legal_days": "CASE WHEN g.legal_limit_unit = %s THEN g.legal_limit END",
        "exempted_materials": "COALESCE(m.n, 0)",
        "refreshed_at": "%s",
    }
    params: list[Any] = [True, False, Channel.WINDOW, DeliveryMethod.WINDOW, True, False]
    params += [codes.TimeUnit.WORKING_DAY, timezone.now(), *exempted_params]
    # Our own tables and columns; every value is a query parameter.
    statement = (
        f"INSERT INTO {q(CaseFact._meta.db_table)} ({', '.join(q(c) for c in columns)}) "  # noqa: S608
        f"SELECT {', '.join(columns.values())} FROM {q(Case._meta.db_table)} c "
        f"LEFT JOIN {q(GuideVersion._meta.db_table)} g ON g.id = c.guide_id "
        f"LEFT JOIN ({exempted_sql}) m ON m.case_id = c.id "
        f"LEFT JOIN {WORKDAY_INDEX} wd_accepted ON wd_accepted.day = c.accepted_on "
        f"LEFT JOIN {WORKDAY_INDEX} wd_decided ON wd_decided.day = c.decided_on "
        "WHERE c.submitted_on IS NOT NULL"
    )
    with connection.cursor() as cursor:
        _workday_index(
            cursor, min(lows, default=timezone.localdate()), max(highs, default=timezone.localdate())
        )
        cursor.execute(statement, params)
        total = cursor.rowcount
        cursor.execute(f"DROP TABLE {WORKDAY_INDEX}")
    return total


def _grain_groups(day_field: str) -> list[tuple[str, Any, Any]]:
    """(grain, day expression, item expression) of the three grains, grouped in SQL."""
    return [
        ("i", F(day_field), F("implementation_id")),
        ("d", F(day_field), Value(ALL_ITEMS, output_field=IntegerField())),
        ("m", TruncMonth(day_field, output_field=DateField()), Value(ALL_ITEMS, output_field=IntegerField())),
    ]


def _aggregate_into_summaries() -> None:
    """Fill the summary tables from the facts with GROUP BY queries (one per table and grain)."""
    zero = Value(0, output_field=IntegerField())
    legal = Q(legal_days__isnull=False)
    plans: list[tuple[Any, Any, str, tuple[str, ...], dict[str, Any]]] = [
        (
            FiledSummary,
            CaseFact.objects.all(),
            "submitted_on",
            ("channel", "status"),
            {"cases": Count("pk"), "exempted_materials": Coalesce(Sum("exempted_materials"), zero)},
        ),
        (
            CompletedSummary,
            CaseFact.objects.filter(completed_on__isnull=False),
            "completed_on",
            ("channel", "on_time", "one_visit"),
            {
                "cases": Count("pk"),
                "handling_days": Coalesce(Sum("handling_days"), zero),
                "promised_days": Coalesce(Sum("promised_days"), zero),
                "legal_days": Coalesce(Sum("legal_days"), zero),
                "legal_cases": Count("pk", filter=legal),
                "legal_handling_days": Coalesce(Sum("handling_days", filter=legal), zero),
                "legal_promised_days": Coalesce(Sum("promised_days", filter=legal), zero),
            },
        ),
        (
            DurationSummary,
            CaseFact.objects.filter(completed_on__isnull=False),
            "completed_on",
            ("handling_days",),
            {"cases": Count("pk")},
        ),
    ]
    for model, facts_qs, day_field, extra, aggregates in plans:
        for grain, day, item in _grain_groups(day_field):
            rows = (
                facts_qs.annotate(sv_day=day, sv_item=item)
                .values("sv_day", "sv_item", "organisation_id", "region_id", *extra)
                .annotate(**{f"sv_{name}": expr for name, expr in aggregates.items()})
                .order_by()
            )
            _insert_select(model, grain, rows, extra, tuple(aggregates))


def _insert_select(
    model: Any, grain: str, rows: Any, extra: tuple[str, ...], values: tuple[str, ...]
) -> None:
    """INSERT … SELECT: the grouped rows go straight into the table (no round trip through Python)."""
    sql, params = rows.query.sql_with_params()
    columns = ["grain", "day", "item_id", "organisation_id", "region_id", *extra, *values]
    sources = ["%s", "sub.sv_day", "sub.sv_item", "sub.organisation_id", "sub.region_id"]
    sources += [f"sub.{name}" for name in extra] + [f"sub.sv_{name}" for name in values]
    quote = connection.ops.quote_name
    table, names, picks = (
        quote(model._meta.db_table),
        ", ".join(quote(c) for c in columns),
        ", ".join(sources),
    )
    # Names are quoted identifiers of our own models; every value is a query parameter.
    # Sorted by day: a period's rows then sit on few pages (later refreshes append recent days anyway).
    statement = f"INSERT INTO {table} ({names}) SELECT {picks} FROM ({sql}) sub ORDER BY sub.sv_day"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement, (grain, *params))


def _bulk_create(model: Any, rows: Iterable[Any]) -> None:
    """bulk_create in slices, so a million rows never sit in memory at once."""
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, REBUILD_CHUNK)):
        model.objects.bulk_create(batch)


# --- the durable catch-up --------------------------------------------------------------------------------


def catch_up(limit: int | None = None) -> int:
    """Refresh every case with a CaseEvent after the cursor; returns how many events were folded in."""
    done = 0
    while limit is None or done < limit:
        with transaction.atomic():
            cursor, _created = RefreshCursor.objects.select_for_update().get_or_create(name=CURSOR)
            rows = list(
                CaseEvent.objects.filter(pk__gt=cursor.last_event_id)
                .order_by("pk")
                .values_list("pk", "case_id")[:REBUILD_CHUNK]
            )
            if not rows:
                break
            refresh_cases({case_id for _pk, case_id in rows})
            cursor.last_event_id = rows[-1][0]
            cursor.save(update_fields=["last_event_id", "updated_at"])
            done += len(rows)
    return done + review_summary.catch_up()


# --- event subscription ------------------------------------------------------------------------------------


def case_event_names() -> list[str]:
    """Every `case.*` event the cases app publishes (the transition table names them all)."""
    from yiwang.cases import services, transitions

    names = set(services.PUBLISHED_EVENTS.values())
    for transition in transitions.TABLE:
        names.add(services.PUBLISHED_EVENTS.get(transition.action, f"case.{transition.action}"))
    return sorted(names)


def _on_case_event(event: str, payload: dict[str, Any]) -> None:
    case_id = payload.get("case_id")
    if not case_id:
        return
    from .tasks import refresh_case

    refresh_case.delay(int(case_id))


def _on_case_events(event: str, payloads: list[dict[str, Any]]) -> None:
    """Many cases changed at once (the sweep): one refresh task for all of them."""
    case_ids = sorted({int(p["case_id"]) for p in payloads if p.get("case_id")})
    if not case_ids:
        return
    from .tasks import refresh_case_batch

    refresh_case_batch.delay(case_ids)


def connect_events() -> None:
    from yiwang.core import events

    for name in case_event_names():
        events.subscribe(name, _on_case_event, batch=_on_case_events)
    review_summary.connect_events()
