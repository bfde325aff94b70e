"""Dashboard filters: period, region subtree, organisation, item — parsed strictly, checked against the
supervisor's scope (a supervisor sees the organisations and region subtree of their memberships only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.accounts import permissions
from yiwang.accounts.models import Role
from yiwang.catalog.models import Implementation
from yiwang.core.models import Organisation, Region

MAX_DAYS = 3 * 366
PERIODS = {
    "30d": gettext_lazy("近 30 天"),
    "month": gettext_lazy("本月"),
    "quarter": gettext_lazy("本季度"),
    "year": gettext_lazy("本年"),
    "custom": gettext_lazy("自定义"),
}


class FilterError(ValueError):
    """A filter value that is wrong or out of the user's scope (message in Simplified Chinese)."""


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date  # inclusive
    period: str = "30d"
    region: Region | None = None
    organisation: Organisation | None = None
    implementation: Implementation | None = None

    def params(self, **extra: Any) -> dict[str, str]:
        values: dict[str, str] = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.period != "custom":
            values["period"] = self.period
        if self.region is not None:
            values["region"] = self.region.code
        if self.organisation is not None:
            values["organisation"] = str(self.organisation.pk)
        if self.implementation is not None:
            values["item"] = str(self.implementation.pk)
        for name, value in extra.items():
            if value is not None:
                values[name] = str(value)
        return values

    def query(self, **extra: Any) -> str:
        return urlencode(self.params(**extra))


def supervisor_scope(user: Any, prefix: str = "") -> Q:
    """Rows (by organisation and region) a supervisor may see."""
    return permissions.scope_q(user, Role.SUPERVISOR, prefix)


def is_supervisor(user: Any) -> bool:
    return permissions.is_superuser(user) or permissions.memberships(user, Role.SUPERVISOR).exists()


def scope_roots(user: Any) -> list[Region]:
    """The top regions of the user's scope (for the region filter and the region tiles)."""
    if permissions.is_superuser(user):
        root = Region.objects.filter(code=settings.YIWANG_REGION_CODE).first()
        return [root] if root else list(Region.objects.filter(parent__isnull=True))
    roots: dict[str, Region] = {}
    for membership in permissions.memberships(user, Role.SUPERVISOR):
        region = membership.organisation.region
        roots[region.code] = region
    return sorted(roots.values(), key=lambda r: r.code)


def region_choices(user: Any) -> QuerySet[Region]:
    scope = Q(pk__in=[])
    for root in scope_roots(user):
        scope |= Q(code__startswith=root.subtree_prefix)
    return Region.objects.filter(scope).order_by("code")


def organisation_choices(user: Any, region: Region | None = None) -> QuerySet[Organisation]:
    qs = Organisation.objects.filter(permissions.organisation_scope_q(user, Role.SUPERVISOR), is_active=True)
    if region is not None:
        qs = qs.filter(region__code__startswith=region.subtree_prefix)
    return qs.order_by("region_id", "name")


def _date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FilterError(
            _("“%(n)s”的日期格式不正确，应为 YYYY-MM-DD，例如 2026-10-09。") % {"n": name}
        ) from None


def period_range(period: str, today: dt.date) -> tuple[dt.date, dt.date]:
    if period == "month":
        return today.replace(day=1), today
    if period == "quarter":
        return dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    if period == "year":
        return dt.date(today.year, 1, 1), today
    return today - dt.timedelta(days=29), today


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise FilterError(_("“%(n)s”应为编号数字。") % {"n": name}) from None


def parse(params: Mapping[str, str], *, user: Any, today: dt.date | None = None) -> Filters:
    today = today or timezone.localdate()
    period = (params.get("period") or "").strip()
    start_text, end_text = (params.get("start") or "").strip(), (params.get("end") or "").strip()
    if period and period not in PERIODS:
        raise FilterError(_("统计期间应为近 30 天、本月、本季度、本年或自定义起止日期。"))
    if period in ("", "custom") and (start_text or end_text):
        start = _date(start_text, _("开始日期")) if start_text else today - dt.timedelta(days=29)
        end = _date(end_text, _("结束日期")) if end_text else today
        period = "custom"
    else:
        period = period if period in PERIODS and period != "custom" else "30d"
        start, end = period_range(period, today)
    if start > end:
        raise FilterError(_("开始日期不能晚于结束日期。"))
    if (end - start).days > MAX_DAYS:
        raise FilterError(_("统计期间最长 3 年，请缩短起止日期。"))

    region = organisation = implementation = None
    if code := (params.get("region") or "").strip():
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise FilterError(_("行政区划代码“%(c)s”不存在。") % {"c": code})
        if not region_choices(user).filter(code=code).exists():
            raise FilterError(_("您无权查看“%(r)s”的数据，请选择您负责监督的地区。") % {"r": region.name})
    if value := (params.get("organisation") or "").strip():
        organisation = (
            organisation_choices(user).filter(pk=_int(value, _("机构"))).select_related("region").first()
        )
        if organisation is None:
            raise FilterError(_("该机构不存在或不在您的监督范围内。"))
    if value := (params.get("item") or "").strip():
        implementation = Implementation.objects.filter(pk=_int(value, _("事项"))).first()
        if (
            implementation is None
            or not organisation_choices(user).filter(pk=implementation.organisation_id).exists()
        ):
            raise FilterError(_("该事项不存在或不在您的监督范围内。"))
    return Filters(start, end, period, region, organisation, implementation)


def default(user: Any, today: dt.date | None = None) -> Filters:
    start, end = period_range("30d", today or timezone.localdate())
    return Filters(start, end)
