"""Concurrency on PostgreSQL: two people taking the last place of a slot, and two clerks checking in at
once (queue numbers never repeat). SQLite has one writer, so these run on the PostgreSQL pass."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from accounts.identity_factories import make_person
from appointments.appointment_factories import bookable_item, future_slot, slot_at
from cases.case_factories import Office
from yiwang.appointments import services
from yiwang.appointments.models import Appointment, Slot

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row-level races need PostgreSQL; SQLite has one writer"
    ),
]


def race(*calls: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_the_last_place_goes_to_exactly_one_person() -> None:
    office, item = bookable_item()
    slot = future_slot(office, item, capacity=1)
    people = [make_person() for _ in range(4)]
    outcomes = race(*(lambda p=p: services.book(slot, person=p) for p in people))
    booked = [o for o in outcomes if isinstance(o, Appointment)]
    refused = [o for o in outcomes if isinstance(o, services.AppointmentError)]
    assert len(booked) == 1 and len(refused) == 3, outcomes
    assert Slot.objects.get(pk=slot.pk).booked == 1


def test_simultaneous_check_ins_get_distinct_queue_numbers() -> None:
    office, item = bookable_item()
    second_clerk = Office(office.organisation).window
    slot = slot_at(office, item, start=timezone.now() - dt.timedelta(minutes=5), capacity=4)
    codes = []
    for n in range(4):
        codes.append(Appointment.objects.create(code=f"RACE{n:04d}", slot=slot, person=make_person()).code)
    clerks = [office.window, second_clerk, office.window, second_clerk]
    outcomes = race(
        *(lambda c=c, k=k: services.arrive(c, actor=k) for c, k in zip(codes, clerks, strict=True))
    )
    numbers = sorted(o.queue_number for o in outcomes if isinstance(o, Appointment))
    assert numbers == ["Y001", "Y002", "Y003", "Y004"], outcomes
