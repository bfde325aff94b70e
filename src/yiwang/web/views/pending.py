"""Entry points that later modules take over: online application and appointments.

Until the case-handling and appointment modules exist these pages say so plainly and tell the visitor
where the item is handled today. They never show a form that would pretend to accept an application.
"""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from yiwang.web.views.guide import load_published


def _pending(request: HttpRequest, code: str, service: str) -> HttpResponse:
    loaded = load_published(request, code)
    if isinstance(loaded, HttpResponse):
        return loaded
    implementation, guide = loaded
    return render(
        request,
        "web/service_pending.html",
        {"implementation": implementation, "doc": guide.snapshot or {}, "service": service},
    )


def apply_online(request: HttpRequest, code: str) -> HttpResponse:
    return _pending(request, code, "apply")


def new_appointment(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("item", "").strip()
    if not code:
        raise BadRequest(_("缺少要预约的事项编码（参数 item）：请从办事指南页面的“预约办理”进入。"))
    return _pending(request, code, "appointment")
