"""Reads for the supervision dashboards: panels from the summary tables, drill-down lists from the cases.

Every number a panel shows with a link carries the drill-down that produced it (`Cell.drill`), and
`drill_cases` / `drill_materials` / `drill_alerts` turn that drill-down into the list behind the number
using the same definitions (facts.py) on the cases table; tests check that each pair is equal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case as SqlCase
from django.db.models import Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from yiwang.cases.models import OPEN_STATUSES, Case, CaseMaterial, CaseStatus, Channel, DeliveryMethod
from yiwang.core.models import Organisation, Region

from .facts import EXEMPT_Q
from .filters import FilterError, Filters, scope_roots, supervisor_scope
from .models import (
    Alert,
    AlertLevel,
    AlertRule,
    AlertStatus,
    CaseFact,
    CompletedSummary,
    DurationSummary,
    FiledSummary,
    Grain,
    ReviewSummary,
)

ZERO = Value(0, output_field=IntegerField())
DURATION_BINS: tuple[tuple[int, int | None], ...] = (
    (0, 0),
    (1, 1),
    (2, 2),
    (3, 5),
    (6, 10),
    (11, 20),
    (21, None),
)


@dataclass
class Cell:
    value: Any
    text: str = ""
    drill: dict[str, Any] | None = None  # the drill-down behind the number ({"metric": …, …})
    href: str = ""

    def __post_init__(self) -> None:
        if not self.text:
            self.text = "—" if self.value is None else str(self.value)


@dataclass
class Panel:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    note: str = ""
    chart: Any = ""  # inline SVG (safe markup), set by the view layer


# --- arithmetic -----------------------------------------------------------------------------------------


def rate(part: int, whole: int) -> Decimal | None:
    """A percentage with one decimal (half up), None when there is nothing to divide."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def ratio_saving(actual: int, reference: int) -> Decimal | None:
    """How much shorter `actual` is than `reference`, as a percentage (1 − actual / reference)."""
    if not reference:
        return None
    return (Decimal(100) - Decimal(actual) * 100 / Decimal(reference)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def mean(total: int, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def median(histogram: list[tuple[int, int]]) -> Decimal | None:
    """The median of a distribution given as sorted (value, count) pairs (mean of the two middle values
    when the count is even)."""
    total = sum(n for _v, n in histogram)
    if not total:
        return None
    wanted = [(total - 1) // 2, total // 2]  # zero-based positions of the middle value(s)
    found: list[int] = []
    seen = 0
    for value, n in histogram:
        while len(found) < 2 and wanted[len(found)] < seen + n:
            found.append(value)
        seen += n
    return (Decimal(found[0] + found[1]) / 2).quantize(Decimal("0.01"))


def percent_text(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}%"


# --- the rows a filter selects ------------------------------------------------------------------------------


def _dims(qs: QuerySet[Any], f: Filters, user: Any, *, item_field: str = "implementation") -> QuerySet[Any]:
    qs = qs.filter(supervisor_scope(user))
    if f.region is not None:
        qs = qs.filter(region__code__startswith=f.region.subtree_prefix)
    if f.organisation is not None:
        qs = qs.filter(organisation_id=f.organisation.pk)
    if f.implementation is not None:
        qs = qs.filter(**{item_field: f.implementation.pk})
    return qs


def full_months(start: dt.date, end: dt.date) -> tuple[list[dt.date], list[tuple[dt.date, dt.date]]]:
    """Split [start, end] into the months it covers entirely and the day ranges left at either edge."""
    months: list[dt.date] = []
    edges: list[tuple[dt.date, dt.date]] = []
    first = start if start.day == 1 else (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    month = first
    while True:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        if following - dt.timedelta(days=1) > end:
            break
        months.append(month)
        month = following
    if not months:
        return [], [(start, end)]
    if start < months[0]:
        edges.append((start, months[0] - dt.timedelta(days=1)))
    if month <= end:
        edges.append((month, end))
    return months, edges


def period_q(f: Filters, *, daily: bool = False) -> Q:
    """Which summary rows make up the period, all counted positively: whole months from the monthly rows,
    the rest from the daily rows; with an item filter (or `daily`) only day rows. The trend uses this (its
    buckets need every row on a day inside the period)."""
    return period_rows(f, daily=daily, subtract=False)[0]


MONTH_ROWS_COST = 3  # reading one month's monthly rows costs about as much as three days of daily rows


def _days_with_rows(low: dt.date, high: dt.date, today: dt.date) -> int:
    """Days in [low, high] that can hold rows (nothing is filed or completed after today)."""
    return max(0, (min(high, today) - low).days + 1)


def period_rows(f: Filters, *, daily: bool = False, subtract: bool = True) -> tuple[Q, Q]:
    """(rows to read, those of them that count negatively). A partial month at either edge of the period
    is read either as its days, or — when fewer days hold rows that way — as the whole month's monthly
    rows minus the daily rows of the month's other days. Rows are exact counts and sums, so both give the
    same figures; the second is what makes "the last 30 days" or "this year up to today" cheap, since the
    rest of the current month lies in the future and has no rows. Sum through `signed` to apply the sign."""
    nothing = Q(pk__in=[])
    if f.implementation is not None:
        return Q(grain=Grain.ITEM_DAY, item_id=f.implementation.pk, day__range=(f.start, f.end)), nothing
    if daily:
        return Q(grain=Grain.DAY, day__range=(f.start, f.end)), nothing
    today = timezone.localdate()
    months, edges = full_months(f.start, f.end)
    rows = Q(grain=Grain.MONTH, day__in=months) if months else nothing
    minus = nothing
    for low, high in (piece for edge in edges for piece in _by_month(*edge)):
        first = low.replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        others = [
            (a, b)
            for a, b in ((first, low - dt.timedelta(days=1)), (high + dt.timedelta(days=1), last))
            if a <= b
        ]
        direct = _days_with_rows(low, high, today)
        indirect = MONTH_ROWS_COST + sum(_days_with_rows(a, b, today) for a, b in others)
        if not subtract or direct <= indirect:
            rows |= Q(grain=Grain.DAY, day__range=(low, high))
            continue
        rows |= Q(grain=Grain.MONTH, day=first)
        for a, b in others:
            rows |= Q(grain=Grain.DAY, day__range=(a, b))
            minus |= Q(grain=Grain.DAY, day__range=(a, b))
    return rows, minus


def _by_month(low: dt.date, high: dt.date) -> list[tuple[dt.date, dt.date]]:
    """[low, high] cut at month boundaries (an edge of a period shorter than a month may span two)."""
    pieces = []
    while low <= high:
        following = (low.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        pieces.append((low, min(high, following - dt.timedelta(days=1))))
        low = following
    return pieces


def signed(column: str, **options: Any) -> Any:
    """SUM(column) over summary rows chosen by `period_rows`, the subtracted rows counted negatively;
    0 rather than NULL over no rows."""
    return Coalesce(Sum(F(column) * F("sv_sign"), **options), ZERO)


def _summary(model: Any, f: Filters, user: Any, daily: bool = False, subtract: bool = True) -> QuerySet[Any]:
    rows, minus = period_rows(f, daily=daily, subtract=subtract)
    sign = SqlCase(When(minus, then=Value(-1)), default=Value(1), output_field=IntegerField())
    qs = model.objects.filter(rows).annotate(sv_sign=sign)
    return _dims(qs, f, user, item_field="item_id")


def filed_cells(f: Filters, user: Any, daily: bool = False, subtract: bool = True) -> QuerySet[FiledSummary]:
    return _summary(FiledSummary, f, user, daily, subtract)


def completed_cells(
    f: Filters, user: Any, daily: bool = False, subtract: bool = True
) -> QuerySet[CompletedSummary]:
    return _summary(CompletedSummary, f, user, daily, subtract)


def duration_cells(f: Filters, user: Any) -> QuerySet[DurationSummary]:
    return _summary(DurationSummary, f, user)


ON_TIME_Q = Q(decision_due__isnull=True) | Q(decided_on__lte=F("decision_due"))
ONE_VISIT_Q = ~Q(channel=Channel.WINDOW, delivery_method=DeliveryMethod.WINDOW)


def _flag(value: Any) -> bool | None:
    if value in (None, ""):
        return None
    text = str(value).strip().lower()
    if text in ("1", "true", "yes"):
        return True
    if text in ("0", "false", "no"):
        return False
    raise FilterError(_("是否条件应为 1（是）或 0（否）。"))


def _int_or_none(value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise FilterError(_("“%(n)s”应为整数。") % {"n": name}) from None


DRILL_METRICS = ("filed", "completed", "overdue", "warned")


def drill_cases(
    f: Filters, user: Any, drill: Mapping[str, Any], today: dt.date | None = None
) -> QuerySet[Case]:
    """The cases behind a number (same definitions as the summary tables; facts.py)."""
    metric = drill.get("metric") or "filed"
    if metric not in DRILL_METRICS:
        raise FilterError(_("明细类型应为收件、办结、在办超期或在办预警。"))
    qs = _dims(Case.objects.all(), f, user)
    if only := drill.get("only_region"):
        qs = qs.filter(region_id=only)
    if channel := drill.get("channel"):
        if channel not in Channel.values:
            raise FilterError(_("申请渠道不正确。"))
        qs = qs.filter(channel=channel)
    today = today or timezone.localdate()
    if metric == "filed":
        filed = CaseFact.objects.filter(submitted_on__range=(f.start, f.end))
        qs = qs.filter(submitted_on__range=(f.start, f.end), pk__in=filed.values("case_id"))
        if status := drill.get("status"):
            if status not in CaseStatus.values:
                raise FilterError(_("办件状态不正确。"))
            qs = qs.filter(status=status)
        online = _flag(drill.get("online"))
        if online is not None:
            qs = qs.exclude(channel=Channel.WINDOW) if online else qs.filter(channel=Channel.WINDOW)
    elif metric == "completed":
        done = CaseFact.objects.filter(completed_on__range=(f.start, f.end))
        qs = qs.filter(completed_on__range=(f.start, f.end), pk__in=done.values("case_id"))
        on_time = _flag(drill.get("on_time"))
        if on_time is not None:
            qs = qs.filter(ON_TIME_Q) if on_time else qs.exclude(ON_TIME_Q)
        one_visit = _flag(drill.get("one_visit"))
        if one_visit is not None:
            qs = qs.filter(ONE_VISIT_Q) if one_visit else qs.exclude(ONE_VISIT_Q)
        low = _int_or_none(drill.get("days_min"), _("办理时长下限"))
        high = _int_or_none(drill.get("days_max"), _("办理时长上限"))
        if low is not None or high is not None:
            # Working-day durations need the calendar: they live in the facts (indexed by completion day).
            facts = CaseFact.objects.filter(completed_on__range=(f.start, f.end))
            if low is not None:
                facts = facts.filter(handling_days__gte=low)
            if high is not None:
                facts = facts.filter(handling_days__lte=high)
            qs = qs.filter(pk__in=facts.values("case_id"))
    elif metric == "overdue":
        qs = qs.filter(status__in=OPEN_STATUSES, due_on__lt=today)
    else:  # warned: the warning period has started, the deadline has not passed
        qs = qs.filter(status__in=OPEN_STATUSES, due_on__gte=today, warn_on__lte=today)
    return qs


def drill_materials(f: Filters, user: Any, drill: Mapping[str, Any] | None = None) -> QuerySet[CaseMaterial]:
    filed = CaseFact.objects.filter(submitted_on__range=(f.start, f.end)).values("case_id")
    cases = _dims(Case.objects.filter(submitted_on__range=(f.start, f.end), pk__in=filed), f, user)
    return CaseMaterial.objects.filter(EXEMPT_Q, case__in=cases)


def drill_alerts(f: Filters, user: Any, drill: Mapping[str, Any] | None = None) -> QuerySet[Alert]:
    drill = drill or {}
    qs = _dims(
        Alert.objects.filter(raised_on__range=(f.start, f.end)), f, user, item_field="case__implementation"
    )
    if (level := drill.get("level")) in AlertLevel.values:
        qs = qs.filter(level=level)
    if (rule := drill.get("rule")) in AlertRule.values:
        qs = qs.filter(rule=rule)
    if (status := drill.get("status")) == "open":
        qs = qs.exclude(status=AlertStatus.CLOSED)
    elif status in AlertStatus.values:
        qs = qs.filter(status=status)
    return qs


def drill_count(f: Filters, user: Any, drill: Mapping[str, Any], today: dt.date | None = None) -> int:
    kind = drill.get("metric")
    f = drill_filters(f, drill)
    if kind == "materials":
        return drill_materials(f, user, drill).count()
    if kind == "alerts":
        return drill_alerts(f, user, drill).count()
    return drill_cases(f, user, drill, today).count()


def drill_filters(f: Filters, drill: Mapping[str, Any]) -> Filters:
    """A drill-down may narrow the period (a trend bucket) or the region (a tile)."""
    start = drill.get("start", f.start)
    end = drill.get("end", f.end)
    region, organisation = f.region, f.organisation
    if code := drill.get("region"):
        region = Region.objects.filter(code=code).first() or region
    if pk := drill.get("organisation"):
        organisation = Organisation.objects.filter(pk=pk).first() or organisation
    return Filters(start, end, "custom", region, organisation, f.implementation)


# --- the panels --------------------------------------------------------------------------------------------


def _drill_cell(value: int, drill: dict[str, Any], text: str = "") -> Cell:
    return Cell(value, text or str(value), drill)


def duration_histogram(f: Filters, user: Any) -> list[tuple[int, int]]:
    """(handling days, completed cases) in ascending order — exact medians and the distribution."""
    return list(
        duration_cells(f, user)
        .values("handling_days")
        .annotate(n=signed("cases"))
        .order_by("handling_days")
        .values_list("handling_days", "n")
    )


def completion_figures(f: Filters, user: Any) -> dict[str, Any]:
    cells = completed_cells(f, user)
    raw = cells.aggregate(
        total=signed("cases"),
        on_time=signed("cases", filter=Q(on_time=True)),
        one_visit=signed("cases", filter=Q(one_visit=True)),
        handling=signed("handling_days"),
        promised=signed("promised_days"),
        legal=signed("legal_days"),
        with_legal=signed("legal_cases"),
        legal_handling=signed("legal_handling_days"),
        legal_promised=signed("legal_promised_days"),
    )
    agg: dict[str, Any] = {**raw, "cases": raw["total"]}
    histogram = duration_histogram(f, user)
    agg["histogram"] = histogram
    agg["late"] = agg["cases"] - agg["on_time"]
    agg["mean_days"] = mean(agg["handling"], agg["cases"])
    agg["median_days"] = median(histogram)
    agg["mean_promised"] = mean(agg["promised"], agg["cases"])
    agg["mean_legal"] = mean(agg["legal"], agg["with_legal"])
    agg["on_time_rate"] = rate(agg["on_time"], agg["cases"])
    agg["one_visit_rate"] = rate(agg["one_visit"], agg["cases"])
    agg["promise_compression"] = ratio_saving(agg["legal_promised"], agg["legal"])
    agg["actual_compression"] = ratio_saving(agg["legal_handling"], agg["legal"])
    return agg


def filing_figures(f: Filters, user: Any) -> dict[str, Any]:
    raw = filed_cells(f, user).aggregate(
        total=signed("cases"),
        online=signed("cases", filter=~Q(channel=Channel.WINDOW)),
        exempted=signed("exempted_materials"),
    )
    agg: dict[str, Any] = {**raw, "cases": raw["total"]}
    agg["online_rate"] = rate(agg["online"], agg["cases"])
    return agg


def live_figures(f: Filters, user: Any, today: dt.date | None = None) -> dict[str, int]:
    return {
        "overdue": drill_cases(f, user, {"metric": "overdue"}, today).count(),
        "warned": drill_cases(f, user, {"metric": "warned"}, today).count(),
    }


def satisfaction(f: Filters, user: Any) -> dict[str, Any] | None:
    """好差评 figures with the definitions and scope of `reviews.selectors.review_stats`, read from the
    review summary rows (review_summary.py); None without the reviews app."""
    from . import review_summary

    if not review_summary.available():  # pragma: no cover - a deployment without the reviews app
        return None
    from yiwang.accounts import permissions

    rows, minus = period_rows(f)
    sign = SqlCase(When(minus, then=Value(-1)), default=Value(1), output_field=IntegerField())
    qs = ReviewSummary.objects.filter(rows).annotate(sv_sign=sign)
    if f.organisation is not None:
        qs = qs.filter(organisation_id=f.organisation.pk)
    elif not permissions.is_superuser(user) and f.region is None:
        from .filters import organisation_choices

        qs = qs.filter(organisation_id__in=organisation_choices(user).values("pk"))
    if f.region is not None:
        qs = qs.filter(region__code__startswith=f.region.subtree_prefix)
    raw = qs.aggregate(
        count=signed("cases"),
        satisfied=signed("satisfied"),
        bad=signed("bad"),
        rectified=signed("rectified"),
    )
    return review_summary.figures(raw["count"], raw["satisfied"], raw["bad"], raw["rectified"])


def overview(f: Filters, user: Any, today: dt.date | None = None) -> Panel:
    filing = filing_figures(f, user)
    done = completion_figures(f, user)
    live = live_figures(f, user, today)
    alerts = dict(drill_alerts(f, user).values("level").annotate(n=Count("id")).values_list("level", "n"))
    panel = Panel("overview", _("效能总览"), [_("指标"), _("数值"), _("说明")])
    days = _("工作日")

    def row(label: str, cell: Cell, note: str = "") -> None:
        panel.rows.append([Cell(label), cell, Cell(note)])

    row(_("收件量"), _drill_cell(filing["cases"], {"metric": "filed"}), _("期间内提交的申请（件）"))
    row(
        _("网上申请"),
        _drill_cell(filing["online"], {"metric": "filed", "online": 1}),
        _("网办率 %(r)s") % {"r": percent_text(filing["online_rate"])},
    )
    row(_("办结量"), _drill_cell(done["cases"], {"metric": "completed"}), _("期间内办结（件）"))
    row(
        _("按期办结"),
        _drill_cell(done["on_time"], {"metric": "completed", "on_time": 1}),
        _("按期办结率 %(r)s") % {"r": percent_text(done["on_time_rate"])},
    )
    row(
        _("逾期办结"),
        _drill_cell(done["late"], {"metric": "completed", "on_time": 0}),
        _("决定晚于办结期限（件）"),
    )
    row(
        _("最多跑一次"),
        _drill_cell(done["one_visit"], {"metric": "completed", "one_visit": 1}),
        _("占办结 %(r)s") % {"r": percent_text(done["one_visit_rate"])},
    )
    row(
        _("平均办理时长"),
        Cell(done["mean_days"], f"{done['mean_days'] or '—'} {days}"),
        _("受理至决定，扣除中止计时"),
    )
    row(_("办理时长中位数"), Cell(done["median_days"], f"{done['median_days'] or '—'} {days}"))
    row(_("平均承诺时限"), Cell(done["mean_promised"], f"{done['mean_promised'] or '—'} {days}"))
    row(_("平均法定时限"), Cell(done["mean_legal"], f"{done['mean_legal'] or '—'} {days}"))
    row(
        _("承诺时限压缩率"),
        Cell(done["promise_compression"], percent_text(done["promise_compression"])),
        _("承诺时限比法定时限缩短的比例"),
    )
    row(
        _("实际办理提速率"),
        Cell(done["actual_compression"], percent_text(done["actual_compression"])),
        _("实际办理时长比法定时限缩短的比例"),
    )
    row(
        _("在办超期（红牌）"),
        _drill_cell(live["overdue"], {"metric": "overdue"}),
        _("当前已超过期限仍在办理"),
    )
    row(_("在办预警（黄牌）"), _drill_cell(live["warned"], {"metric": "warned"}), _("当前临近期限"))
    row(
        _("免提交材料"),
        _drill_cell(filing["exempted"], {"metric": "materials"}),
        _("共享或电子证照获取，申请人无需提交（份）"),
    )
    row(
        _("新增红牌预警"),
        _drill_cell(alerts.get(AlertLevel.RED, 0), {"metric": "alerts", "level": AlertLevel.RED}),
    )
    row(
        _("新增黄牌预警"),
        _drill_cell(alerts.get(AlertLevel.YELLOW, 0), {"metric": "alerts", "level": AlertLevel.YELLOW}),
    )
    stats = satisfaction(f, user)
    if stats is not None:
        row(
            _("好差评满意率"),
            Cell(stats.get("satisfaction_rate"), percent_text(_as_decimal(stats.get("satisfaction_rate")))),
            _("评价 %(n)s 条，差评 %(b)s 条，整改率 %(r)s（来自好差评）")
            % {
                "n": stats.get("count", 0),
                "b": stats.get("bad_count", 0),
                "r": percent_text(_as_decimal(stats.get("rectification_rate"))),
            },
        )
    return panel


def _as_decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    number = Decimal(str(value))
    if number <= 1 and "." in str(value) and number != 0:  # a share (0.95) rather than a percentage
        number *= 100
    return number.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _buckets(f: Filters) -> tuple[str, list[tuple[dt.date, dt.date]]]:
    days = (f.end - f.start).days + 1
    buckets: list[tuple[dt.date, dt.date]] = []
    if days <= 31:
        buckets = [(d, d) for d in (f.start + dt.timedelta(days=i) for i in range(days))]
        return "day", buckets
    if days <= 186:
        start = f.start
        while start <= f.end:
            end = min(start + dt.timedelta(days=6 - start.weekday()), f.end)
            buckets.append((start, end))
            start = end + dt.timedelta(days=1)
        return "week", buckets
    start = f.start
    while start <= f.end:
        next_month = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        end = min(next_month - dt.timedelta(days=1), f.end)
        buckets.append((start, end))
        start = end + dt.timedelta(days=1)
    return "month", buckets


def _bucket_label(kind: str, start: dt.date, end: dt.date) -> str:
    if kind == "day":
        return f"{start:%m-%d}"
    if kind == "week":
        return f"{start:%m-%d}~{end:%m-%d}"
    return f"{start:%Y-%m}"


def trend(f: Filters, user: Any) -> Panel:
    kind, buckets = _buckets(f)
    daily = kind != "month"  # month buckets may read monthly rows; day and week buckets need days
    # No subtracted rows here: a bucket sums the rows dated inside it.
    filed = dict(
        filed_cells(f, user, daily, subtract=False)
        .values("day")
        .annotate(n=signed("cases"))
        .values_list("day", "n")
    )
    done_rows = (
        completed_cells(f, user, daily, subtract=False)
        .values("day")
        .annotate(n=signed("cases"), late=signed("cases", filter=Q(on_time=False)))
    )
    done = {row["day"]: (row["n"], row["late"]) for row in done_rows}
    panel = Panel(
        "trend",
        _("收件与办结趋势"),
        [_("期间"), _("收件"), _("办结"), _("逾期办结")],
        note={"day": _("按日"), "week": _("按周"), "month": _("按月")}[kind],
    )
    for start, end in buckets:
        span = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
        n_filed = sum(filed.get(d, 0) for d in span)
        n_done = sum(done.get(d, (0, 0))[0] for d in span)
        n_late = sum(done.get(d, (0, 0))[1] for d in span)
        period = {"start": start, "end": end}
        panel.rows.append(
            [
                Cell(_bucket_label(kind, start, end)),
                _drill_cell(n_filed, {"metric": "filed", **period}),
                _drill_cell(n_done, {"metric": "completed", **period}),
                _drill_cell(n_late, {"metric": "completed", "on_time": 0, **period}),
            ]
        )
    return panel


def channels(f: Filters, user: Any) -> Panel:
    counts = dict(
        filed_cells(f, user).values("channel").annotate(n=signed("cases")).values_list("channel", "n")
    )
    total = sum(counts.values())
    panel = Panel("channels", _("申请渠道分布"), [_("渠道"), _("收件"), _("占比")])
    for channel in Channel:
        n = counts.get(channel.value, 0)
        panel.rows.append(
            [
                Cell(str(channel.label)),
                _drill_cell(n, {"metric": "filed", "channel": channel.value}),
                Cell(percent_text(rate(n, total))),
            ]
        )
    return panel


def statuses(f: Filters, user: Any) -> Panel:
    counts = dict(
        filed_cells(f, user).values("status").annotate(n=signed("cases")).values_list("status", "n")
    )
    panel = Panel("statuses", _("收件当前状态"), [_("状态"), _("办件")])
    for status in CaseStatus:
        if status == CaseStatus.DRAFT:
            continue
        n = counts.get(status.value, 0)
        if n:
            panel.rows.append(
                [Cell(str(status.label)), _drill_cell(n, {"metric": "filed", "status": status.value})]
            )
    return panel


def durations(f: Filters, user: Any) -> Panel:
    histogram = duration_histogram(f, user)
    panel = Panel("durations", _("办理时长分布"), [_("办理时长（工作日）"), _("办结")])
    for low, high in DURATION_BINS:
        n = sum(count for days, count in histogram if days >= low and (high is None or days <= high))
        label = f"{low}" if low == high else (f"{low}–{high}" if high is not None else f"≥{low}")
        drill: dict[str, Any] = {"metric": "completed", "days_min": low}
        if high is not None:
            drill["days_max"] = high
        panel.rows.append([Cell(label), _drill_cell(n, drill)])
    return panel


def ranking(f: Filters, user: Any, limit: int = 50) -> Panel:
    rows = (
        completed_cells(f, user)
        .values("organisation_id")
        .annotate(n=signed("cases"), on_time=signed("cases", filter=Q(on_time=True)))
        .order_by()
    )
    figures = [(r["organisation_id"], r["n"], r["on_time"]) for r in rows if r["n"]]
    names = dict(Organisation.objects.filter(pk__in=[o for o, _n, _t in figures]).values_list("pk", "name"))
    # Worst first: lowest on-time rate, then most cases.
    figures.sort(key=lambda r: (r[2] / r[1] if r[1] else 1, -r[1], names.get(r[0], "")))
    panel = Panel(
        "ranking",
        _("机构按期办结排名"),
        [_("机构"), _("办结"), _("按期办结率"), _("逾期办结")],
        note=_("按期办结率由低到高"),
    )
    for organisation_id, n, on_time in figures[:limit]:
        panel.rows.append(
            [
                Cell(names.get(organisation_id, str(organisation_id))),
                _drill_cell(n, {"metric": "completed", "organisation": organisation_id}),
                Cell(rate(on_time, n), percent_text(rate(on_time, n))),
                _drill_cell(
                    n - on_time, {"metric": "completed", "on_time": 0, "organisation": organisation_id}
                ),
            ]
        )
    return panel


def region_tiles(f: Filters, user: Any) -> tuple[Region | None, list[tuple[Region, bool]]]:
    """The region whose parts the tiles show, and the tiles: (region, only that exact region)."""
    if f.region is not None:
        root = f.region
    else:
        roots = scope_roots(user)
        if len(roots) != 1:
            return None, [(r, False) for r in roots]
        root = roots[0]
    children = list(Region.objects.filter(parent=root).order_by("code"))
    return root, [(root, True), *[(child, False) for child in children]]


def regions(f: Filters, user: Any) -> Panel:
    root, tiles = region_tiles(f, user)
    filed = dict(
        filed_cells(f, user).values("region_id").annotate(n=signed("cases")).values_list("region_id", "n")
    )
    done: dict[str, tuple[int, int]] = {}
    for row in (
        completed_cells(f, user)
        .values("region_id")
        .annotate(n=signed("cases"), on_time=signed("cases", filter=Q(on_time=True)))
    ):
        done[row["region_id"]] = (row["n"], row["on_time"])

    def members(region: Region, exact: bool) -> Callable[[str], bool]:
        if exact:
            return lambda code: code == region.code
        return lambda code: code.startswith(region.subtree_prefix)

    panel = Panel(
        "regions",
        _("各地区办件情况"),
        [_("地区"), _("收件"), _("办结"), _("按期办结率")],
        note=(_("%(r)s 及下级地区") % {"r": root.name}) if root else "",
    )
    for region, exact in tiles:
        inside = members(region, exact)
        n_filed = sum(n for code, n in filed.items() if inside(code))
        n_done = sum(n for code, (n, _t) in done.items() if inside(code))
        n_on_time = sum(t for code, (_n, t) in done.items() if inside(code))
        if exact and not (n_filed or n_done):
            continue  # no cases at the root's own level: no "本级" tile
        where: dict[str, Any] = {"only_region": region.code} if exact else {"region": region.code}
        label = (_("%(r)s本级") % {"r": region.name}) if exact else region.name
        panel.rows.append(
            [
                Cell(region.code if not exact else "", label),  # value: the region to zoom into
                _drill_cell(n_filed, {"metric": "filed", **where}),
                _drill_cell(n_done, {"metric": "completed", **where}),
                Cell(rate(n_on_time, n_done), percent_text(rate(n_on_time, n_done))),
            ]
        )
    return panel


def alerts_panel(f: Filters, user: Any) -> Panel:
    qs = drill_alerts(f, user)
    counts = {
        (row["rule"], row["level"]): (row["n"], row["open"])
        for row in qs.values("rule", "level").annotate(
            n=Count("id"), open=Count("id", filter=~Q(status=AlertStatus.CLOSED))
        )
    }
    panel = Panel("alerts", _("红黄牌预警"), [_("监察规则"), _("等级"), _("新增"), _("未销号")])
    from .alerts import RULE_LEVELS

    for rule, level in RULE_LEVELS.items():
        n, still_open = counts.get((rule.value, level.value), (0, 0))
        drill = {"metric": "alerts", "rule": rule.value}
        panel.rows.append(
            [
                Cell(str(rule.label)),
                Cell(str(level.label)),
                _drill_cell(n, drill),
                _drill_cell(still_open, {**drill, "status": "open"}),
            ]
        )
    return panel


PANELS: dict[str, Callable[[Filters, Any], Panel]] = {
    "overview": overview,
    "trend": trend,
    "channels": channels,
    "statuses": statuses,
    "durations": durations,
    "ranking": ranking,
    "regions": regions,
    "alerts": alerts_panel,
}


def panel(key: str, f: Filters, user: Any, today: dt.date | None = None) -> Panel:
    if key not in PANELS:
        raise FilterError(_("没有名为“%(k)s”的看板。") % {"k": key})
    if key == "overview":
        return overview(f, user, today)
    return PANELS[key](f, user)


def cache_seconds() -> int:
    return int(getattr(settings, "YIWANG_SUPERVISION_CACHE_SECONDS", 60))


def panel_cache_key(key: str, f: Filters, user: Any, today: dt.date | None = None) -> str:
    day = today or timezone.localdate()
    parts = [key, str(getattr(user, "pk", "") or ""), get_language() or "", day.isoformat(), f.query()]
    return "supervision:panel:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


def cached_panel(key: str, f: Filters, user: Any, today: dt.date | None = None) -> Panel:
    """`panel`, kept in the cache for YIWANG_SUPERVISION_CACHE_SECONDS (default 60; 0 turns it off) per
    panel, filters, user (the scope is the user's), language and day. Figures may lag a change by that
    long; the drill-down lists stay live."""
    seconds = cache_seconds()
    if seconds <= 0:
        return panel(key, f, user, today)
    cache_key = panel_cache_key(key, f, user, today)
    found = cache.get(cache_key)
    if isinstance(found, Panel):
        return found
    built = panel(key, f, user, today)
    cache.set(cache_key, built, seconds)
    return built


def drill_href(f: Filters, drill: Mapping[str, Any]) -> str:
    """The URL of the list behind a number."""
    narrowed = drill_filters(f, drill)
    extra = {k: v for k, v in drill.items() if k not in ("start", "end", "region", "organisation")}
    target = "supervision:alerts" if drill.get("metric") == "alerts" else "supervision:cases"
    if drill.get("metric") == "materials":
        target = "supervision:materials"
    params = narrowed.params(**extra)
    params.pop("period", None)
    if target != "supervision:cases":
        params.pop("metric", None)

    return f"{reverse(target)}?{urlencode(params)}"


def link_cells(panel: Panel, f: Filters) -> Panel:
    for row in panel.rows:
        for cell in row:
            if cell.drill is not None:
                cell.href = drill_href(f, cell.drill)
    return panel


def by_organisation_totals(f: Filters, user: Any) -> dict[int, int]:
    """Filed cases per organisation (API helper)."""
    return dict(
        filed_cells(f, user)
        .values("organisation_id")
        .annotate(n=signed("cases"))
        .values_list("organisation_id", "n")
    )
