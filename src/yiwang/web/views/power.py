"""权力清单: an organisation's administrative powers (types 01–10) with basis, flowchart and supervision."""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from yiwang.catalog import codes
from yiwang.web import listing
from yiwang.web.views.errors import NotFound
from yiwang.web.views.guide import flowchart, load_published
from yiwang.web.views.items import paginate


def power_list(request: HttpRequest) -> HttpResponse:
    filters = listing.parse_filters(request)
    if filters.item_type and filters.item_type not in listing.POWER_TYPES:
        raise BadRequest(_("权力清单只列行政权力事项（事项类型 01–10）；公共服务事项请在事项列表中查看。"))
    page = paginate(listing.power_items(filters), filters.page)
    return render(
        request,
        "web/power_list.html",
        {
            "filters": filters,
            "page_obj": page,
            "departments": listing.departments_with_counts(filters.region, power_only=True),
            "power_types": [(v, label) for v, label in codes.ItemType.choices if v in listing.POWER_TYPES],
        },
    )


def power_item(request: HttpRequest, code: str) -> HttpResponse:
    loaded = load_published(request, code)
    if isinstance(loaded, HttpResponse):
        return loaded
    implementation, guide = loaded
    if implementation.item_type not in listing.POWER_TYPES:
        raise NotFound(_("该事项是公共服务事项，不属于权力清单；请查看它的办事指南。"))
    return render(
        request,
        "web/power_item.html",
        {"implementation": implementation, "doc": guide.snapshot or {}, "flowchart_svg": flowchart(guide)},
    )
