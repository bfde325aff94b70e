"""Appointment reads: open slots of an item, a person's bookings, a hall's calendar and day list."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone

from yiwang.accounts import permissions
from yiwang.accounts.models import Role
from yiwang.catalog.models import Implementation
from yiwang.core.models import Organisation

from .models import Appointment, AppointmentStatus, Slot


def bookable_slots(implementation: Implementation, *, days: int = 14) -> QuerySet[Slot]:
    """Open slots with a free place from now on (the index slot_item_day serves this)."""
    now = timezone.localtime()
    return (
        Slot.objects.filter(
            implementation=implementation,
            is_open=True,
            day__gte=now.date(),
            day__lte=now.date() + dt.timedelta(days=days),
            booked__lt=F("capacity"),
        )
        .exclude(day=now.date(), starts_at__lte=now.time())
        .select_related("hall")
        .order_by("hall__name", "day", "starts_at")
    )


def slots_by_hall(slots: QuerySet[Slot]) -> list[tuple[Organisation, list[tuple[dt.date, list[Slot]]]]]:
    grouped: dict[Organisation, dict[dt.date, list[Slot]]] = defaultdict(lambda: defaultdict(list))
    for slot in slots:
        grouped[slot.hall][slot.day].append(slot)
    return [(hall, sorted(days.items())) for hall, days in grouped.items()]


def my_appointments(user: Any) -> QuerySet[Appointment]:
    return Appointment.objects.filter(person=user).select_related("slot__hall", "slot__implementation")


def halls_for(user: Any) -> QuerySet[Organisation]:
    """Halls (organisations) where the user works a window and that have appointment slots."""
    return (
        Organisation.objects.filter(permissions.organisation_scope_q(user, (Role.WINDOW,)))
        .filter(appointment_slots__isnull=False)
        .distinct()
        .order_by("name")
    )


def calendar(hall: Organisation, start: dt.date, days: int = 7) -> list[tuple[dt.date, list[Slot]]]:
    """The hall's slots day by day (all items), with booked and capacity."""
    slots = (
        Slot.objects.filter(hall=hall, day__gte=start, day__lt=start + dt.timedelta(days=days))
        .select_related("implementation")
        .order_by("day", "starts_at", "implementation__name")
    )
    grouped: dict[dt.date, list[Slot]] = defaultdict(list)
    for slot in slots:
        grouped[slot.day].append(slot)
    return sorted(grouped.items())


def day_list(hall: Organisation, day: dt.date) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(slot__hall=hall, slot__day=day)
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("slot__implementation", "person")
        .order_by("slot__starts_at", "booked_at")
    )
