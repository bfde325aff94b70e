"""Lists of published items: the filtered catalogue (/items) and search results (/search)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import BadRequest
from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.catalog import codes
from yiwang.catalog.models import Theme
from yiwang.catalog.selectors import published_implementations
from yiwang.federation import search_index
from yiwang.search import selectors as search_selectors
from yiwang.web import listing, preferences
from yiwang.web.views.errors import NotFound

# Why a result matched, in the order shown under its name (the name itself is highlighted in place).
MATCH_LABELS = {
    "aliases": gettext_lazy("别名"),
    "materials": gettext_lazy("材料"),
    "themes": gettext_lazy("主题"),
    "organisation": gettext_lazy("部门"),
    "faq": gettext_lazy("常见问题"),
}


def paginate(items: QuerySet[Any] | Sequence[Any], page: int) -> Page[Any]:
    paginator = Paginator(items, listing.PAGE_SIZE)
    try:
        return paginator.page(page)
    except EmptyPage:
        raise NotFound(
            _("第 %(page)d 页不存在：共 %(pages)d 页。") % {"page": page, "pages": paginator.num_pages}
        ) from None


def filter_context(filters: listing.ItemFilters) -> dict[str, Any]:
    """The choices of the filter form, with what is currently chosen."""
    return {
        "filters": filters,
        "audiences": codes.Audience.choices,
        "item_types": codes.ItemType.choices,
        "online_depths": codes.OnlineDepth.choices,
        "all_themes": Theme.objects.order_by("audience", "order", "code"),
        "departments": listing.departments_with_counts(filters.region),
        "region_groups": preferences.region_groups(),
    }


def item_list(request: HttpRequest) -> HttpResponse:
    filters = listing.parse_filters(request)
    page = paginate(listing.listed_items(filters), filters.page)
    rows = [{"implementation": item} for item in page.object_list]
    return render(
        request, "web/items.html", {**filter_context(filters), "page_obj": page, "rows": rows, "mode": "list"}
    )


class _ResultWindow(Sequence[Any]):
    """One page of search results posing as the whole result list, so Django's Paginator can page it."""

    def __init__(self, total: int, offset: int, rows: list[Any]) -> None:
        self.total, self.offset, self.rows = total, offset, rows

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return self.rows[
                max(0, (index.start or 0) - self.offset) : max(0, (index.stop or 0) - self.offset)
            ]
        return self.rows[index - self.offset]


def _search_request(filters: listing.ItemFilters) -> search_selectors.SearchRequest:
    region = filters.region or preferences.home_region()
    return search_selectors.SearchRequest(
        q=filters.q,
        region=region.code if region else None,
        organisation=filters.organisation.pk if filters.organisation else None,
        item_type=filters.item_type,
        audience=filters.audience,
        theme=filters.theme.code if filters.theme else None,
        online_depth=filters.online_depth,
        fully_online=filters.fully_online,
        page=filters.page,
        page_size=listing.PAGE_SIZE,
    )


def _result_rows(results: list[Any]) -> list[dict[str, Any]]:
    items = published_implementations().in_bulk([r.implementation_id for r in results if not r.node])
    # On the national hub, results may be items the regional nodes pushed (federation).
    remote = (
        search_index.portal_items([r.implementation_id for r in results if r.node])
        if any(r.node for r in results)
        else {}
    )
    rows = []
    for result in results:
        item = remote.get(result.implementation_id) if result.node else items.get(result.implementation_id)
        if item is None:  # withdrawn between indexing and reading
            continue
        highlights = result.highlights
        rows.append(
            {
                "implementation": None if result.node else item,
                "remote": item if result.node else None,
                # The search module escapes every character and adds only <mark> (search.highlight).
                "highlighted_name": mark_safe(highlights["name"]) if "name" in highlights else "",  # noqa: S308
                "matched": [
                    {"label": label, "html": mark_safe(highlights[field])}  # noqa: S308
                    for field, label in MATCH_LABELS.items()
                    if field in highlights
                ],
            }
        )
    return rows


def _empty_state_links(state: Any) -> list[dict[str, str]]:
    if state is None:
        return []
    items_url = reverse("web:items")
    links = [
        {"url": f"{items_url}?{urlencode({'theme': t['code']})}", "label": t["name"]} for t in state.themes
    ]
    links += [
        {"url": f"{items_url}?{urlencode({'organisation': o['id']})}", "label": o["name"]}
        for o in state.organisations
    ]
    return links


def search(request: HttpRequest) -> HttpResponse:
    filters = listing.parse_filters(request)
    context: dict[str, Any] = {**filter_context(filters), "mode": "search", "rows": []}
    if filters.q:
        try:
            result = search_selectors.search(_search_request(filters))
        except search_selectors.SearchParamError as exc:
            raise BadRequest(exc.message) from exc
        offset = (filters.page - 1) * listing.PAGE_SIZE
        rows = _result_rows(result.results)
        page = paginate(_ResultWindow(result.total, offset, rows), filters.page)
        context.update(
            page_obj=page,
            count_at_least=not result.total_exact,  # counting stopped at the cap: "more than N"
            rows=list(page.object_list),
            did_you_mean=result.did_you_mean,
            suggestions=_empty_state_links(result.empty_state),
        )
    return render(request, "web/items.html", context)
