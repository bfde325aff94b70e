"""Appointment test data: an item that supports appointments and its slots at the department's window.

Import as ``from appointments.appointment_factories import ...``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from cases.case_factories import Office, publish
from yiwang.appointments import services
from yiwang.appointments.models import Slot


def bookable_item(office: Office | None = None) -> tuple[Office, Any]:
    office = office or Office()
    return office, publish(office.organisation, supports_appointment=True)


def slot_at(office: Office, item: Any, *, start: dt.datetime, minutes: int = 60, capacity: int = 2) -> Slot:
    local = timezone.localtime(start)
    end = local + dt.timedelta(minutes=minutes)
    return Slot.objects.create(
        hall=office.organisation,
        implementation=item,
        day=local.date(),
        starts_at=local.time().replace(second=0, microsecond=0),
        ends_at=end.time().replace(second=0, microsecond=0),
        capacity=capacity,
    )


def future_slot(office: Office, item: Any, *, capacity: int = 2, days: int = 1) -> Slot:
    return slot_at(office, item, start=timezone.now() + dt.timedelta(days=days), capacity=capacity)


__all__ = ["bookable_item", "future_slot", "services", "slot_at"]
