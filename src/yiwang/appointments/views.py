"""Appointment pages: booking for signed-in people; the hall calendar, arrival and no-shows for staff."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from yiwang.accounts import permissions
from yiwang.accounts.decorators import staff_second_factor_required
from yiwang.accounts.models import Role
from yiwang.catalog.models import Implementation, PublicStatus

from . import selectors, services
from .models import Appointment, Slot


def _implementation(code: str) -> Implementation:
    implementation = (
        Implementation.objects.filter(implementation_code=code.strip(), public_status=PublicStatus.PUBLISHED)
        .select_related("published_version", "organisation")
        .first()
    )
    if implementation is None:
        raise Http404(_("没有该事项，或事项尚未发布。"))
    return implementation


@login_required
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    code = (request.POST.get("item") or request.GET.get("item") or "").strip()
    if not code:
        messages.info(request, _("请从办事指南页面的“预约办理”进入，选择要预约的事项。"))
        return redirect("appointments:mine")
    implementation = _implementation(code)
    error = ""
    if request.method == "POST":
        slot_id = request.POST.get("slot", "")
        slot = Slot.objects.filter(
            pk=int(slot_id) if slot_id.isdigit() else 0, implementation=implementation
        ).first()
        if slot is None:
            error = _("请选择一个预约时段。")
        else:
            try:
                appointment = services.book(
                    slot, person=request.user, contact_phone=request.POST.get("phone", "")
                )
            except services.AppointmentError as exc:
                error = str(exc)
            else:
                return redirect("appointments:detail", code=appointment.code)
    guide = implementation.published_version
    slots = selectors.bookable_slots(implementation)
    return render(
        request,
        "appointments/new.html",
        {
            "implementation": implementation,
            "supports": bool(guide and guide.supports_appointment),
            "halls": selectors.slots_by_hall(slots),
            "error": error,
            "chosen": request.POST.get("slot", ""),
        },
        status=400 if error else 200,
    )


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    return render(
        request, "appointments/mine.html", {"appointments": selectors.my_appointments(request.user)[:50]}
    )


def _own(request: HttpRequest, code: str) -> Appointment:
    appointment = selectors.my_appointments(request.user).filter(code=code.upper()).first()
    if appointment is None:
        raise Http404(_("没有该预约。"))
    return appointment


@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "appointments/detail.html", {"appointment": _own(request, code)})


@login_required
@require_POST
def cancel(request: HttpRequest, code: str) -> HttpResponse:
    appointment = _own(request, code)
    try:
        services.cancel(appointment, actor=request.user, reason=request.POST.get("reason", ""))
    except services.AppointmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("预约 %(c)s 已取消。") % {"c": appointment.code})
    return redirect("appointments:mine")


# --- staff ---------------------------------------------------------------------------------------------


def _window_staff(request: HttpRequest) -> None:
    if not (
        permissions.is_superuser(request.user) or permissions.memberships(request.user, Role.WINDOW).exists()
    ):
        raise PermissionDenied(_("只有窗口工作人员可以查看预约日历。"))


@staff_second_factor_required
def staff_calendar(request: HttpRequest) -> HttpResponse:
    _window_staff(request)
    halls = list(selectors.halls_for(request.user))
    hall_id = request.GET.get("hall", "")
    hall = next((h for h in halls if str(h.pk) == hall_id), halls[0] if halls else None)
    today = timezone.localdate()
    try:
        start = dt.date.fromisoformat(request.GET.get("start", "")) if request.GET.get("start") else today
    except ValueError:
        start = today
    try:
        day = dt.date.fromisoformat(request.GET.get("day", "")) if request.GET.get("day") else today
    except ValueError:
        day = today
    return render(
        request,
        "appointments/calendar.html",
        {
            "halls": halls,
            "hall": hall,
            "start": start,
            "previous": start - dt.timedelta(days=7),
            "next": start + dt.timedelta(days=7),
            "day": day,
            "calendar": selectors.calendar(hall, start) if hall else [],
            "day_list": selectors.day_list(hall, day) if hall else [],
        },
    )


@staff_second_factor_required
@require_POST
def staff_arrive(request: HttpRequest) -> HttpResponse:
    _window_staff(request)
    hall_id = request.POST.get("hall", "")
    hall = next((h for h in selectors.halls_for(request.user) if str(h.pk) == hall_id), None)
    try:
        appointment = services.arrive(request.POST.get("code", ""), actor=request.user, hall=hall)
    except services.AppointmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("预约 %(c)s 已到场，排队号 %(q)s。") % {"c": appointment.code, "q": appointment.queue_number},
        )
    return redirect(f"{reverse('appointments:calendar')}?hall={hall_id}")


@staff_second_factor_required
@require_POST
def staff_no_shows(request: HttpRequest) -> HttpResponse:
    _window_staff(request)
    count = services.mark_no_shows(actor=request.user)
    messages.success(request, _("已将 %(n)d 个过时未到场的预约记为爽约。") % {"n": count})
    return redirect(f"{reverse('appointments:calendar')}?hall={request.POST.get('hall', '')}")
