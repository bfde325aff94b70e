"""View decorators built on the central permission module."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from yiwang.accounts import permissions
from yiwang.accounts.middleware import needs_second_factor, redirect_to_second_factor

View = Callable[..., HttpResponse]


def staff_second_factor_required(view: View) -> View:
    """Signed-in staff with a verified TOTP in this session; others go to sign-in or get 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not permissions.is_staff_member(request.user):
            raise PermissionDenied
        if needs_second_factor(request):
            return redirect_to_second_factor(request)
        return view(request, *args, **kwargs)

    return wrapped
