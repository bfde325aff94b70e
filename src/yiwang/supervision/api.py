"""The supervision app's JSON API, mounted at /api/supervision/ (staff session with the second factor).

- GET  /panels/{key}?period=&start=&end=&region=&organisation=&item=   one dashboard panel, each number
  with the URL of the list behind it (keys: overview, trend, channels, statuses, durations, ranking,
  regions, alerts)
- GET  /alerts?status=&level=&rule=                                        alerts the caller may see
- POST /alerts/{id}/{action}  {"note": "…"}                                acknowledge, explain or close
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from yiwang.accounts import permissions
from yiwang.accounts.middleware import needs_second_factor

from . import alerts as alert_service
from . import selectors
from .filters import FilterError, is_supervisor, parse
from .models import Alert, AlertStatus

router = Router(tags=["效能监督"], auth=django_auth)


def _staff(request: HttpRequest) -> Any:
    if needs_second_factor(request):
        raise HttpError(401, _("工作人员须先完成动态口令验证（第二重认证），再使用本接口。"))
    return request.user


class CellOut(Schema):
    value: Any = Field(None, description="数值（百分比为数字，如 95.5）")
    text: str = Field(description="显示文本")
    href: str = Field("", description="数字背后的办件明细地址（与该数字一致）")


class PanelOut(Schema):
    key: str
    title: str
    note: str
    columns: list[str]
    rows: list[list[CellOut]]


@router.get("/panels/{key}", response=PanelOut, summary="看板数据")
def panel(request: HttpRequest, key: str) -> dict[str, Any]:
    user = _staff(request)
    if not is_supervisor(user):
        raise HttpError(403, _("只有监督岗位的工作人员可以查看效能监督数据。"))
    try:
        f = parse(request.GET, user=user)
        result = selectors.link_cells(selectors.cached_panel(key, f, user), f)
    except FilterError as exc:
        raise HttpError(400, str(exc)) from None
    return {
        "key": result.key,
        "title": str(result.title),
        "note": str(result.note),
        "columns": [str(c) for c in result.columns],
        "rows": [
            [
                {
                    "value": c.value
                    if isinstance(c.value, int | float | str) or c.value is None
                    else float(c.value),
                    "text": c.text,
                    "href": c.href,
                }
                for c in row
            ]
            for row in result.rows
        ],
    }


class AlertOut(Schema):
    id: int
    rule: str
    level: str
    status: str
    case_number: str | None
    organisation: str
    raised_on: dt.date
    description: str
    explanation: str
    close_note: str
    allowed_actions: list[str]


def _alert_out(alert: Alert, user: Any) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "rule": alert.rule,
        "level": alert.level,
        "status": alert.status,
        "case_number": alert.case.number if alert.case else None,
        "organisation": alert.organisation.name,
        "raised_on": alert.raised_on,
        "description": alert.description,
        "explanation": alert.explanation,
        "close_note": alert.close_note,
        "allowed_actions": alert_service.allowed_actions(user, alert),
    }


def _visible(user: Any) -> Any:
    scope = permissions.scope_q(user, alert_service.ORGANISATION_ROLES) | permissions.scope_q(
        user, "supervisor"
    )
    return Alert.objects.filter(scope).select_related("case", "organisation")


@router.get("/alerts", response=list[AlertOut], summary="红黄牌预警列表（最多 200 条）")
def alert_list(
    request: HttpRequest, status: str = "", level: str = "", rule: str = ""
) -> list[dict[str, Any]]:
    user = _staff(request)
    qs = _visible(user)
    if status == "open":
        qs = qs.exclude(status=AlertStatus.CLOSED)
    elif status:
        qs = qs.filter(status=status)
    if level:
        qs = qs.filter(level=level)
    if rule:
        qs = qs.filter(rule=rule)
    return [_alert_out(a, user) for a in qs.order_by("-raised_on", "-id")[:200]]


class AlertActionIn(Schema):
    note: str = Field("", description="说明：说明情况时必填，销号时填写销号意见")


@router.post(
    "/alerts/{alert_id}/{action}",
    response=AlertOut,
    summary="签收（acknowledge）、说明情况（explain）或销号（close）",
)
def alert_action(request: HttpRequest, alert_id: int, action: str, body: AlertActionIn) -> dict[str, Any]:
    user = _staff(request)
    alert = _visible(user).filter(pk=alert_id).first()
    if alert is None:
        raise HttpError(404, _("预警不存在或不在您的范围内。"))
    try:
        alert = alert_service.act(alert, action, actor=user, note=body.note)
    except alert_service.AlertNotPermitted as exc:
        raise HttpError(403, str(exc)) from None
    except alert_service.AlertError as exc:
        raise HttpError(400, str(exc)) from None
    return _alert_out(alert, user)
