"""Request logging and security headers (CSP) for every response."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("yiwang.request")

# Only our own origin: no third-party fonts, scripts or trackers (docs/ui.md).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Sign-in and OIDC authorization forms end in a redirect to a relying party's registered redirect URI
# (another node or department system); Chromium applies form-action to that redirect, so these pages
# leave it out. The provider checks the redirect target against the client's registered URIs.
SIGN_IN_POLICY = CONTENT_SECURITY_POLICY.replace(" form-action 'self';", "")
SIGN_IN_PATHS = ("/account/signin", "/account/totp", "/account/staff", "/o/authorize")
# The API docs page loads Swagger UI from the ninja package's own static files and one inline bootstrap.
API_DOCS_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'"
)


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        if not request.path.startswith(("/static/", "/healthz")):
            logger.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
        return response


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            docs = request.path.startswith(("/api/docs", "/admin/"))
            if docs:
                response["Content-Security-Policy"] = API_DOCS_POLICY
            elif request.path.startswith(SIGN_IN_PATHS):
                response["Content-Security-Policy"] = SIGN_IN_POLICY
            else:
                response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
