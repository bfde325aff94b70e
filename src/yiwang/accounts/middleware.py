"""Staff must prove a second factor (TOTP) in this session before they reach staff-only pages.

Covers the Django admin and any path listed in YIWANG_STAFF_PATH_PREFIXES; staff views elsewhere use
`accounts.decorators.staff_second_factor_required`.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from yiwang.accounts import permissions
from yiwang.accounts.totp import SESSION_FLAG

DEFAULT_PREFIXES = ("/admin/",)
EXEMPT = ("/admin/login/", "/admin/logout/", "/admin/jsi18n/")


def second_factor_verified(request: HttpRequest) -> bool:
    return bool(request.session.get(SESSION_FLAG))


def needs_second_factor(request: HttpRequest) -> bool:
    user = request.user
    return permissions.is_staff_member(user) and not second_factor_verified(request)


def redirect_to_second_factor(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse('accounts:totp')}?{urlencode({'next': request.get_full_path()})}")


class StaffSecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefixes = tuple(getattr(settings, "YIWANG_STAFF_PATH_PREFIXES", DEFAULT_PREFIXES))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if (
            path.startswith(self.prefixes)
            and not path.startswith(EXEMPT)
            and request.user.is_authenticated
            and needs_second_factor(request)
        ):
            return redirect_to_second_factor(request)
        return self.get_response(request)
