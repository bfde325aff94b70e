"""Supervision pages: the dashboard, the lists behind its numbers, downloads, and the yellow/red cards.

Thin: parse the filters (filters.py), ask the selectors, render. Supervisors see their region subtree;
staff of an organisation see and answer the alerts of their organisation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yiwang.accounts import permissions
from yiwang.accounts.decorators import staff_second_factor_required
from yiwang.cases.models import Case
from yiwang.core import audit

from . import alerts as alert_service
from . import charts, exports, selectors
from .filters import (
    PERIODS,
    FilterError,
    Filters,
    default,
    is_supervisor,
    organisation_choices,
    parse,
    region_choices,
)
from .models import Alert, AlertLevel, AlertRule, AlertStatus

PAGE_SIZE = 50
DRILL_KEYS = (
    "metric",
    "channel",
    "status",
    "online",
    "on_time",
    "one_visit",
    "days_min",
    "days_max",
    "only_region",
)


def _require_supervisor(request: HttpRequest) -> None:
    if not is_supervisor(request.user):
        raise PermissionDenied(_("只有监督岗位的工作人员可以查看效能监督看板。"))


def _filters(request: HttpRequest) -> tuple[Filters, str]:
    try:
        return parse(request.GET, user=request.user), ""
    except FilterError as exc:
        return default(request.user), str(exc)


def _filter_context(request: HttpRequest, f: Filters) -> dict[str, Any]:
    return {
        "f": f,
        "periods": list(PERIODS.items()),
        "regions": region_choices(request.user),
        "organisations": organisation_choices(request.user, f.region)[:500],
        "implementations": (
            f.organisation.implementations.order_by("implementation_code")[:500] if f.organisation else []
        ),
    }


def _charts(panels: dict[str, selectors.Panel]) -> None:
    trend = panels["trend"]
    trend.chart = charts.lines(
        _("收件与办结趋势"),
        _("折线图：每个期间的收件量（实线圆点）、办结量（虚线方块）和逾期办结量（点线三角）。"),
        [row[0].text for row in trend.rows],
        [
            (_("收件"), [row[1].value for row in trend.rows]),
            (_("办结"), [row[2].value for row in trend.rows]),
            (_("逾期办结"), [row[3].value for row in trend.rows]),
        ],
    )
    for key, column, unit in (("channels", 1, ""), ("statuses", 1, ""), ("durations", 1, "")):
        panel = panels[key]
        panel.chart = charts.bars(
            panel.title,
            _("条形图：%(t)s，每条标有件数。") % {"t": panel.title},
            [(row[0].text, row[column].value) for row in panel.rows],
            unit,
        )
    ranking = panels["ranking"]
    ranking.chart = charts.bars(
        ranking.title,
        _("条形图：按期办结率最低的机构（前十），每条标有百分比。"),
        [(row[0].text, row[2].value) for row in ranking.rows[:10]],
        "%",
    )


@staff_second_factor_required
def dashboard(request: HttpRequest) -> HttpResponse:
    _require_supervisor(request)
    f, error = _filters(request)
    panels = {
        key: selectors.link_cells(selectors.cached_panel(key, f, request.user), f) for key in selectors.PANELS
    }
    _charts(panels)
    tiles = [
        {
            "label": row[0].text,
            "zoom": f.query(region=row[0].value) if row[0].value else "",
            "filed": row[1],
            "completed": row[2],
            "rate": row[3],
            "shade": charts.shade(row[3].value),
        }
        for row in panels["regions"].rows
    ]
    overview = {row[0].text: row[1] for row in panels["overview"].rows}
    return render(
        request,
        "supervision/dashboard.html",
        {
            **_filter_context(request, f),
            "error": error,
            "panels": panels,
            "overview_rows": panels["overview"].rows,
            "overview": overview,
            "tiles": tiles,
            "export_query": f.query(),
            "ordered": [
                panels[k] for k in ("trend", "ranking", "channels", "statuses", "durations", "alerts")
            ],
        },
        status=400 if error else 200,
    )


def _panel_sheet(panel: selectors.Panel) -> tuple[str, list[str], list[list[Any]]]:
    return panel.title, [str(c) for c in panel.columns], [[cell.text for cell in row] for row in panel.rows]


@staff_second_factor_required
def export(request: HttpRequest) -> HttpResponse:
    """The dashboard's tables: one panel as CSV, or every panel as sheets of one XLSX workbook."""
    _require_supervisor(request)
    try:
        f = parse(request.GET, user=request.user)
    except FilterError as exc:
        return HttpResponseBadRequest(str(exc))
    fmt = request.GET.get("format", "xlsx")
    stamp = f"{f.start:%Y%m%d}-{f.end:%Y%m%d}"
    if fmt == "csv":
        key = request.GET.get("panel", "overview")
        try:
            _title, header, rows = _panel_sheet(selectors.panel(key, f, request.user))
        except FilterError as exc:
            return HttpResponseBadRequest(str(exc))
        return cast(HttpResponse, exports.csv_response(f"效能监督-{key}-{stamp}.csv", header, rows))
    if fmt != "xlsx":
        return HttpResponseBadRequest(_("导出格式应为 csv 或 xlsx。"))
    sheets = [_panel_sheet(build(f, request.user)) for build in selectors.PANELS.values()]
    return exports.xlsx_response(f"效能监督看板-{stamp}.xlsx", sheets)


def _drill(request: HttpRequest) -> dict[str, str]:
    return {key: request.GET[key] for key in DRILL_KEYS if request.GET.get(key)}


CASE_HEADER = [
    "办件编号",
    "事项",
    "办理机构",
    "行政区划",
    "申请渠道",
    "状态",
    "提交日期",
    "受理日期",
    "决定日期",
    "办结日期",
    "办结期限",
    "预警",
]


def _case_rows(qs: QuerySet[Case]) -> Iterator[list[Any]]:
    for case in qs.select_related("implementation", "organisation", "region").iterator(chunk_size=2000):
        yield [
            case.number,
            case.implementation.name,
            case.organisation.name,
            case.region.name,
            case.get_channel_display(),
            case.get_status_display(),
            case.submitted_on,
            case.accepted_on,
            case.decided_on,
            case.completed_on,
            case.decision_due,
            case.get_warning_level_display() if case.warning_level else "",
        ]


def _download(
    request: HttpRequest, name: str, header: Sequence[str], rows: Iterable[Sequence[Any]], count: int
) -> HttpResponse:
    fmt = request.GET.get("format")
    audit.record(
        actor=request.user,
        action="supervision.export",
        object_type="supervision.list",
        object_id=name,
        summary=f"导出{name}（{count} 行，{fmt}）",
        data={"query": request.GET.urlencode()[:500], "rows": count},
    )
    stamp = timezone.localdate().strftime("%Y%m%d")
    if fmt == "csv":
        # A streamed response; typed as HttpResponse for the staff decorator, which passes it through.
        return cast(HttpResponse, exports.csv_response(f"{name}-{stamp}.csv", header, rows))
    return exports.xlsx_response(f"{name}-{stamp}.xlsx", [(name, header, rows)])


def _page(request: HttpRequest, qs: QuerySet[Any]) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


@staff_second_factor_required
def cases(request: HttpRequest) -> HttpResponse:
    _require_supervisor(request)
    try:
        f = parse(request.GET, user=request.user)
        drill = _drill(request)
        qs = selectors.drill_cases(f, request.user, drill).order_by("-submitted_on", "-id")
        count = qs.count()
    except FilterError as exc:
        return render(request, "supervision/error.html", {"error": str(exc)}, status=400)
    if request.GET.get("format") in ("csv", "xlsx"):
        return _download(request, "办件明细", CASE_HEADER, _case_rows(qs), count)
    page = _page(request, qs.select_related("implementation", "organisation", "region"))
    return render(
        request,
        "supervision/cases.html",
        {
            "f": f,
            "count": count,
            "page": page,
            "title": describe_drill(drill),
            "query": request.GET.copy(),
            "back": f.query(),
            "today": timezone.localdate(),
        },
    )


def describe_drill(drill: dict[str, str]) -> str:
    from yiwang.cases.models import CaseStatus, Channel

    metric = drill.get("metric", "filed")
    parts = [
        {
            "filed": _("收件"),
            "completed": _("办结"),
            "overdue": _("在办超期（红牌）"),
            "warned": _("在办预警（黄牌）"),
        }.get(metric, metric)
    ]
    if (channel := drill.get("channel")) in Channel.values:
        parts.append(str(Channel(channel).label))
    if (status := drill.get("status")) in CaseStatus.values:
        parts.append(str(CaseStatus(status).label))
    flags = {
        ("online", "1"): _("网上申请"),
        ("online", "0"): _("窗口申请"),
        ("on_time", "1"): _("按期办结"),
        ("on_time", "0"): _("逾期办结"),
        ("one_visit", "1"): _("最多跑一次"),
        ("one_visit", "0"): _("跑两次"),
    }
    for (name, value), label in flags.items():
        if drill.get(name) == value:
            parts.append(label)
    if "days_min" in drill or "days_max" in drill:
        parts.append(
            _("办理时长 %(a)s–%(b)s 个工作日")
            % {"a": drill.get("days_min", "0"), "b": drill.get("days_max", "∞")}
        )
    return " · ".join(parts)


@staff_second_factor_required
def materials(request: HttpRequest) -> HttpResponse:
    _require_supervisor(request)
    try:
        f = parse(request.GET, user=request.user)
    except FilterError as exc:
        return render(request, "supervision/error.html", {"error": str(exc)}, status=400)
    qs = (
        selectors.drill_materials(f, request.user)
        .select_related("case")
        .order_by("-case__submitted_on", "id")
    )
    count = qs.count()
    if request.GET.get("format") in ("csv", "xlsx"):
        rows = (
            [m.case.number, m.name, m.get_status_display(), m.obtainable_by, m.obtainable_source]
            for m in qs.iterator(chunk_size=2000)
        )
        return _download(
            request, "免提交材料明细", ["办件编号", "材料", "状态", "免提交方式", "来源"], rows, count
        )
    return render(
        request,
        "supervision/materials.html",
        {"f": f, "count": count, "page": _page(request, qs), "query": request.GET.copy(), "back": f.query()},
    )


# --- alerts ---------------------------------------------------------------------------------------------


def _visible_alerts(user: Any) -> QuerySet[Alert]:
    scope = permissions.scope_q(user, alert_service.ORGANISATION_ROLES) | permissions.scope_q(
        user, "supervisor"
    )
    return Alert.objects.filter(scope)


@staff_second_factor_required
def alert_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    qs = _visible_alerts(user)
    f: Filters | None = None
    if is_supervisor(user) and any(
        k in request.GET for k in ("start", "end", "period", "region", "organisation", "item")
    ):
        try:
            f = parse(request.GET, user=user)
        except FilterError as exc:
            return render(request, "supervision/error.html", {"error": str(exc)}, status=400)
        qs = selectors.drill_alerts(f, user, request.GET)
    else:
        status = request.GET.get("status", "")
        if status == "open":
            qs = qs.exclude(status=AlertStatus.CLOSED)
        elif status in AlertStatus.values:
            qs = qs.filter(status=status)
        if (level := request.GET.get("level")) in AlertLevel.values:
            qs = qs.filter(level=level)
        if (rule := request.GET.get("rule")) in AlertRule.values:
            qs = qs.filter(rule=rule)
    if (
        not permissions.is_superuser(user)
        and not is_supervisor(user)
        and not permissions.memberships(user, alert_service.ORGANISATION_ROLES).exists()
    ):
        raise PermissionDenied
    qs = qs.select_related("case", "organisation").order_by("-raised_on", "-id")
    count = qs.count()
    if request.GET.get("format") in ("csv", "xlsx"):
        rows = (
            [
                a.raised_on,
                a.get_level_display(),
                a.get_rule_display(),
                a.case.number if a.case else "",
                a.organisation.name,
                a.get_status_display(),
                a.description,
                a.explanation,
                a.close_note,
            ]
            for a in qs.iterator(chunk_size=2000)
        )
        header = [
            "发出日期",
            "等级",
            "监察规则",
            "办件编号",
            "责任部门",
            "状态",
            "督办内容",
            "情况说明",
            "销号意见",
        ]
        return _download(request, "红黄牌预警", header, rows, count)
    return render(
        request,
        "supervision/alerts.html",
        {
            "count": count,
            "page": _page(request, qs),
            "query": request.GET.copy(),
            "statuses": AlertStatus.choices,
            "levels": AlertLevel.choices,
            "rules": AlertRule.choices,
            "chosen": {k: request.GET.get(k, "") for k in ("status", "level", "rule")},
            "back": f.query() if f else "",
            "supervisor": is_supervisor(user),
        },
    )


@staff_second_factor_required
@require_http_methods(["GET", "POST"])
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(
        _visible_alerts(request.user).select_related("case", "organisation", "region"), pk=pk
    )
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            alert_service.act(alert, action, actor=request.user, note=request.POST.get("note", ""))
        except alert_service.AlertNotPermitted as exc:
            raise PermissionDenied(str(exc)) from None
        except alert_service.AlertError as exc:
            error = str(exc)
        else:
            messages.success(request, _("已%(a)s。") % {"a": alert_service.ACTION_LABELS[action]})
            return redirect("supervision:alert", pk=alert.pk)
    return render(
        request,
        "supervision/alert.html",
        {
            "alert": alert,
            "actions": alert_service.allowed_actions(request.user, alert),
            "labels": alert_service.ACTION_LABELS,
            "history": alert.actions.select_related("actor"),
            "error": error,
            "note": request.POST.get("note", "") if error else "",
        },
        status=400 if error else 200,
    )
