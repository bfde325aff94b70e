"""Portal list filters: parse the query string strictly, then narrow the published catalogue.

A wrong value is a 400 with a message that names the parameter and says what is allowed, never a silent
"no results" (docs/ui.md: say what is wrong and how to fix it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from django.core.cache import cache
from django.core.exceptions import BadRequest
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _

from yiwang.catalog import codes, readcache
from yiwang.catalog import selectors as catalog_selectors
from yiwang.catalog.models import Bundle, Implementation, PublicStatus, Theme
from yiwang.catalog.selectors import published_implementations
from yiwang.core.models import Organisation, Region
from yiwang.web import preferences

PAGE_SIZE = 20
POWER_TYPES = tuple(t.value for t in codes.ItemType if t != codes.ItemType.PUBLIC_SERVICE)
TRUE_VALUES = frozenset({"1", "true", "on", "yes"})
FALSE_VALUES = frozenset({"0", "false", "off", "no", ""})


@dataclass(frozen=True)
class ItemFilters:
    """What a visitor narrowed a list to. None means "any"."""

    q: str = ""
    audience: str | None = None
    theme: Theme | None = None
    organisation: Organisation | None = None
    region: Region | None = None
    item_type: str | None = None
    online_depth: int | None = None  # at least this level (Ⅰ–Ⅳ)
    fully_online: bool = False
    page: int = 1

    @property
    def active(self) -> bool:
        """Whether anything beyond the page and the search words narrows the list."""
        return any(
            getattr(self, f.name) not in (None, False, "", 1)
            for f in fields(self)
            if f.name not in {"q", "page", "region"}
        )

    def without_page(self) -> ItemFilters:
        return replace(self, page=1)


def _bad(message: str) -> BadRequest:
    return BadRequest(message)


def parse_page(value: str | None) -> int:
    if value in (None, ""):
        return 1
    assert value is not None
    if not value.isdigit() or int(value) < 1:
        raise _bad(_("页码“%(value)s”无效：页码应为从 1 开始的整数。") % {"value": value[:20]})
    return int(value)


def parse_region(request: HttpRequest, params: Mapping[str, str]) -> Region | None:
    """The region filter: the parameter when given (empty = the whole deployment), else the cookie."""
    if "region" not in params:
        return preferences.chosen_region(request)
    value = params["region"].strip()
    if not value:
        return None
    region = preferences.region_in_scope(value) if value.isdigit() and len(value) == 6 else None
    if region is None:
        raise _bad(
            _("地区代码“%(value)s”无效：请从地区列表中选择本网服务范围内的行政区划。") % {"value": value[:20]}
        )
    return region


def parse_filters(request: HttpRequest, params: QueryDict | None = None) -> ItemFilters:
    params = params if params is not None else request.GET
    values: dict[str, Any] = {
        "q": params.get("q", "").strip(),
        "page": parse_page(params.get("page")),
        "region": parse_region(request, params),
    }
    audience = params.get("audience", "")
    if audience:
        if audience not in codes.Audience.values:
            raise _bad(
                _("面向对象“%(value)s”无效：应为 person（个人）或 enterprise（法人）。")
                % {"value": audience[:20]}
            )
        values["audience"] = audience
    theme = params.get("theme", "")
    if theme:
        values["theme"] = Theme.objects.filter(code=theme).first()
        if values["theme"] is None:
            raise _bad(_("没有代码为“%(value)s”的服务主题，请从主题列表中选择。") % {"value": theme[:40]})
    organisation = params.get("organisation", "")
    if organisation:
        found = Organisation.objects.filter(pk=int(organisation)).first() if organisation.isdigit() else None
        if found is None:
            raise _bad(
                _("没有编号为“%(value)s”的实施部门，请从部门列表中选择。") % {"value": organisation[:20]}
            )
        values["organisation"] = found
    item_type = params.get("item_type", "")
    if item_type:
        if item_type not in codes.ItemType.values:
            raise _bad(
                _("事项类型“%(value)s”无效：应为 GB/T 39046 事项类型代码 01–10 或 20。")
                % {"value": item_type[:20]}
            )
        values["item_type"] = item_type
    depth = params.get("online_depth", "")
    if depth:
        if not depth.isdigit() or int(depth) not in codes.OnlineDepth.values:
            raise _bad(_("网上办理深度“%(value)s”无效：应为 1 至 4 级。") % {"value": depth[:20]})
        values["online_depth"] = int(depth)
    fully_online = params.get("fully_online", "").strip().lower()
    if fully_online not in TRUE_VALUES | FALSE_VALUES:
        raise _bad(
            _("“全程网办”参数“%(value)s”无效：勾选时为 1，不勾选时不传。") % {"value": fully_online[:20]}
        )
    values["fully_online"] = fully_online in TRUE_VALUES
    return ItemFilters(**values)


def region_q(region: Region | None, field: str = "region") -> Q:
    if region is None:
        home = preferences.home_region()
        return Q(**{f"{field}__code__startswith": home.subtree_prefix}) if home else Q()
    return Q(**{f"{field}__code__startswith": region.subtree_prefix})


def filter_items(queryset: QuerySet[Implementation], filters: ItemFilters) -> QuerySet[Implementation]:
    queryset = queryset.filter(region_q(filters.region))
    if filters.audience == codes.Audience.PERSON:
        queryset = queryset.filter(for_person=True)
    elif filters.audience == codes.Audience.ENTERPRISE:
        queryset = queryset.filter(for_enterprise=True)
    if filters.theme is not None:
        queryset = queryset.filter(published_version__themes=filters.theme)
    if filters.organisation is not None:
        queryset = queryset.filter(organisation=filters.organisation)
    if filters.item_type:
        queryset = queryset.filter(item_type=filters.item_type)
    if filters.online_depth is not None:
        queryset = queryset.filter(online_depth__gte=filters.online_depth)
    if filters.fully_online:
        queryset = queryset.filter(online_depth=codes.OnlineDepth.FULLY_ONLINE)
    return queryset.order_by("-popularity", "implementation_code")


def listed_items(filters: ItemFilters) -> QuerySet[Implementation]:
    return filter_items(published_implementations(), filters)


def power_items(filters: ItemFilters) -> QuerySet[Implementation]:
    """权力清单: published items of the 行政权力 types (01–10)."""
    return filter_items(published_implementations().filter(item_type__in=POWER_TYPES), filters)


# --- navigation ------------------------------------------------------------------------------------


# Counting every published item of a region's subtree per theme or department took 0.5-0.9 s at 100,000
# items on PostgreSQL (measured), on every home and list page. The counts change only when the published
# catalogue does, which moves the catalogue change marker: cached under it, they follow a publication
# within the marker's check interval in every process, and a renamed department within
# LISTING_CACHE_SECONDS.
LISTING_CACHE_SECONDS = 300


def _cached_counts(name: str, region: Region | None, build: Callable[[], Any], *flags: object) -> Any:
    region_key = region.code if region is not None else "-"
    key = f"web:{name}:{readcache.catalogue_version()}:{region_key}:{':'.join(map(str, flags))}"
    found = cache.get(key)
    if found is None:
        found = build()
        cache.set(key, found, LISTING_CACHE_SECONDS)
    return found


def themes_with_counts(region: Region | None) -> dict[str, list[Theme]]:
    """Themes by audience, each with `item_count` published items in the region (empty themes left out)."""
    return _cached_counts("themes", region, lambda: _themes_with_counts(region))


def _themes_with_counts(region: Region | None) -> dict[str, list[Theme]]:
    published = Q(guides__status="published") & region_q(region, "guides__implementation__region")
    themes = (
        Theme.objects.annotate(item_count=Count("guides", filter=published, distinct=True))
        .filter(item_count__gt=0)
        .order_by("audience", "order", "code")
    )
    grouped: dict[str, list[Theme]] = {audience: [] for audience in codes.Audience.values}
    for theme in themes:
        grouped.setdefault(theme.audience, []).append(theme)
    return grouped


def departments_with_counts(
    region: Region | None, *, power_only: bool = False, own_level_only: bool = False
) -> list[Organisation]:
    """Organisations with published items in the region (its subtree), each with `item_count`.

    `own_level_only` keeps the organisations of the region itself (the province's departments on the
    province's home page, a city's on the city's), so the home page lists a dozen, not a hundred."""
    home = (region or preferences.home_region()) if own_level_only else None
    return _cached_counts(
        "departments",
        region,
        lambda: _departments_with_counts(region, power_only=power_only, home=home),
        power_only,
        own_level_only,
        home.code if home is not None else "-",
    )


def _departments_with_counts(
    region: Region | None, *, power_only: bool, home: Region | None
) -> list[Organisation]:
    published = Q(implementations__public_status=PublicStatus.PUBLISHED) & region_q(
        region, "implementations__region"
    )
    if power_only:
        published &= Q(implementations__item_type__in=POWER_TYPES)
    organisations = Organisation.objects.select_related("region").annotate(
        item_count=Count("implementations", filter=published)
    )
    if home is not None:
        organisations = organisations.filter(region=home)
    return list(organisations.filter(item_count__gt=0).order_by("region_id", "name"))


def published_bundles(region: Region | None) -> QuerySet[Bundle]:
    return (
        catalog_selectors.published_bundles()
        .filter(region_q(region))
        .annotate(member_count=Count("memberships"))
    )
