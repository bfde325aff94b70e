"""The home page: search first, then ways in by audience, life event, department and region."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from yiwang.catalog.selectors import published_implementations
from yiwang.web import listing, preferences

POPULAR_COUNT = 8


def home(request: HttpRequest) -> HttpResponse:
    region = preferences.chosen_region(request)
    popular = (
        published_implementations()
        .filter(listing.region_q(region))
        .order_by("-popularity", "implementation_code")[:POPULAR_COUNT]
    )
    return render(
        request,
        "web/home.html",
        {
            "themes": listing.themes_with_counts(region),
            "departments": listing.departments_with_counts(region, own_level_only=True),
            "bundles": listing.published_bundles(region)[:6],
            "popular": popular,
            "region_groups": preferences.region_groups(),
        },
    )
