"""Error pages in the visitor's language: 400 (bad parameter), 403, 404 (unknown code), 410 (withdrawn), 500."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.template import loader
from django.template.response import TemplateResponse


class NotFound(Http404):
    """A 404 whose message is written for the visitor (Django's own 404s carry technical details)."""


def _render(request: HttpRequest, template: str, status: int, context: dict[str, Any]) -> HttpResponse:
    return HttpResponse(loader.render_to_string(template, context, request), status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception is not None and exception.args else ""
    return _render(request, "web/errors/400.html", 400, {"message": message})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(request, "web/errors/403.html", 403, {})


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if isinstance(exception, NotFound) and exception.args else ""
    return _render(request, "web/errors/404.html", 404, {"message": message, "path": request.path})


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the database may be what failed.
    return HttpResponse(loader.render_to_string("web/errors/500.html"), status=500)


def gone(
    request: HttpRequest, *, name: str, code: str, withdrawn_at: datetime | None, reason: str
) -> TemplateResponse:
    """410: the item existed and was cancelled (取消); say when and why, and offer search."""
    return TemplateResponse(
        request,
        "web/errors/410.html",
        {"name": name, "code": code, "withdrawn_at": withdrawn_at, "reason": reason},
        status=410,
    )
