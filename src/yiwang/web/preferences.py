"""The visitor's remembered choices, kept in cookies (no login needed): elderly mode and region.

The language choice is Django's own cookie, set by the set_language view at /i18n/setlang/.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from yiwang.core.models import Region

ELDERLY_COOKIE = "yiwang_elderly"
REGION_COOKIE = "yiwang_region"
COOKIE_MAX_AGE = 365 * 24 * 3600


def is_elderly_mode(request: HttpRequest) -> bool:
    return request.COOKIES.get(ELDERLY_COOKIE) == "1"


def home_region_code() -> str:
    """The region this deployment serves (settings.YIWANG_REGION_CODE)."""
    return str(settings.YIWANG_REGION_CODE)


def home_region() -> Region | None:
    return Region.objects.filter(code=home_region_code()).first()


def is_national() -> bool:
    """The national hub (YIWANG_NODE_ROLE=hub): its portal serves every region, not one region's tree."""
    return (
        bool(getattr(settings, "YIWANG_NODE_CODE", "")) and getattr(settings, "YIWANG_NODE_ROLE", "") == "hub"
    )


def portal_regions() -> list[Region]:
    """The regions a visitor can switch to: the home region and everything below it (all, on the hub)."""
    if is_national():
        return list(Region.objects.order_by("code"))
    home = home_region()
    if home is None:
        return []
    return list(Region.objects.filter(code__startswith=home.subtree_prefix).order_by("code"))


def region_in_scope(code: str) -> Region | None:
    """A region of this deployment's tree by code, or None (unknown codes and other provinces)."""
    if is_national():
        return Region.objects.filter(code=code).first()
    home = home_region()
    if home is None or not code.startswith(home.subtree_prefix):
        return None
    return Region.objects.filter(code=code).first()


def chosen_region(request: HttpRequest) -> Region | None:
    """The region the visitor switched to (remembered in a cookie), if it is still valid."""
    if not hasattr(request, "_yiwang_region"):
        code = request.COOKIES.get(REGION_COOKIE, "")
        region = region_in_scope(code) if code.isdigit() and len(code) == 6 else None
        request._yiwang_region = region  # type: ignore[attr-defined]
    found: Region | None = request._yiwang_region  # type: ignore[attr-defined]
    return found


def remember(response: HttpResponse, name: str, value: str | None) -> None:
    """Set (or, with None, forget) a preference cookie readable by the server only."""
    if value is None:
        response.delete_cookie(name, samesite="Lax")
        return
    response.set_cookie(
        name,
        value,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def region_groups() -> list[dict[str, object]]:
    """The switchable regions grouped for a select: each region below home with its own children."""
    regions = portal_regions()
    if not regions:
        return []
    children: dict[str, list[Region]] = {}
    for region in regions:
        if region.parent_id:
            children.setdefault(region.parent_id, []).append(region)
    # On the hub the top of the tree is the provinces (regions without a parent).
    top = [region for region in regions if not region.parent_id] if is_national() else None
    return [
        {"region": region, "children": children.get(region.code, [])}
        for region in (top if top is not None else children.get(home_region_code(), []))
    ]
