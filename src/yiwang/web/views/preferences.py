"""One-click preferences that every page offers: elderly mode and the region. POST, then back."""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.web import preferences


def _back(request: HttpRequest) -> HttpResponseRedirect:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = "/"
    return HttpResponseRedirect(target)


@require_POST
def toggle_elderly_mode(request: HttpRequest) -> HttpResponse:
    """Switch 适老模式 on or off (an explicit `elderly=1/0` wins over toggling) and remember it."""
    wanted = request.POST.get("elderly")
    turn_on = wanted == "1" if wanted in ("0", "1") else not preferences.is_elderly_mode(request)
    response = _back(request)
    preferences.remember(response, preferences.ELDERLY_COOKIE, "1" if turn_on else None)
    return response


@require_POST
def switch_region(request: HttpRequest) -> HttpResponse:
    """Remember the region the visitor chose; lists and navigation then show that region's items."""
    code = request.POST.get("region", "").strip()
    response = _back(request)
    home = preferences.home_region_code()
    if not code or code == home:
        preferences.remember(response, preferences.REGION_COOKIE, None)
        return response
    region = preferences.region_in_scope(code) if code.isdigit() and len(code) == 6 else None
    if region is None:
        raise BadRequest(_("地区代码“%(value)s”无效：请从地区列表中选择。") % {"value": code[:20]})
    preferences.remember(response, preferences.REGION_COOKIE, region.code)
    return response
