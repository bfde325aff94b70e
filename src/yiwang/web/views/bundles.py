"""一件事: the published bundles and one bundle's items and merged, de-duplicated material list."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from yiwang.catalog.models import Bundle, BundleStatus, PublicStatus
from yiwang.catalog.selectors import bundle_merged_materials
from yiwang.web import listing, preferences
from yiwang.web.views.errors import NotFound


def bundle_list(request: HttpRequest) -> HttpResponse:
    filters = listing.parse_filters(request)
    bundles = listing.published_bundles(filters.region)
    if filters.audience:
        bundles = bundles.filter(audience=filters.audience)
    return render(request, "web/bundles.html", {"filters": filters, "bundles": bundles})


def bundle_page(request: HttpRequest, code: str) -> HttpResponse:
    bundle = Bundle.objects.select_related("lead_organisation", "region").filter(code=code[:32]).first()
    if bundle is None or bundle.status == BundleStatus.DRAFT:
        raise NotFound(_("没有编码为“%(code)s”的一件事。请从一件事列表中选择。") % {"code": code[:32]})
    if bundle.status == BundleStatus.WITHDRAWN:
        return TemplateResponse(
            request,
            "web/errors/410.html",
            {"name": bundle.name, "code": bundle.code, "withdrawn_at": None, "reason": ""},
            status=410,
        )
    members = bundle.memberships.select_related(
        "implementation__organisation", "implementation__published_version"
    ).order_by("order", "id")
    return render(
        request,
        "web/bundle.html",
        {
            "bundle": bundle,
            "members": [
                {"member": m, "available": m.implementation.public_status == PublicStatus.PUBLISHED}
                for m in members
            ],
            "materials": bundle_merged_materials(bundle),
            "chosen_region": preferences.chosen_region(request),
        },
    )
