"""Every sign-in and sign-out is tracked as a UserSession and written to the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.utils import timezone

from yiwang.accounts import services
from yiwang.accounts.models import UserSession
from yiwang.core import audit


def client_ip(request: Any) -> str:
    return str(request.META.get("REMOTE_ADDR", "")) if request is not None else ""


def on_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    if request.session.session_key is None:
        request.session.save()
    method = getattr(request, "yiwang_sign_in_method", "password")
    services.track_session(
        user,
        str(request.session.session_key),
        ip=client_ip(request) or None,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        method=method,
    )
    audit.record(
        actor=user,
        action="auth.signed_in",
        object_type="accounts.User",
        object_id=user.pk,
        summary=f"登录成功（{method}）",
        data={"ip": client_ip(request), "method": method},
    )


def on_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is None or user is None:
        return
    key = request.session.session_key
    if key:
        UserSession.objects.filter(session_key=key, ended_at__isnull=True).update(ended_at=timezone.now())
    audit.record(
        actor=user,
        action="auth.signed_out",
        object_type="accounts.User",
        object_id=user.pk,
        summary="退出登录",
        data={"ip": client_ip(request)},
    )


def connect() -> None:
    user_logged_in.connect(on_logged_in, dispatch_uid="yiwang.accounts.logged_in")
    user_logged_out.connect(on_logged_out, dispatch_uid="yiwang.accounts.logged_out")
