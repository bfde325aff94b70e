"""Booking, cancellation, arrival with a queue number, no-shows, slot generation; the pages."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.identity_factories import make_person
from appointments.appointment_factories import bookable_item, future_slot, slot_at
from cases.case_factories import Office, publish
from yiwang.appointments import services
from yiwang.appointments.models import Appointment, AppointmentStatus, Slot
from yiwang.core import workdays
from yiwang.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_book_takes_a_place_and_the_last_place_only_once() -> None:
    office, item = bookable_item()
    slot = future_slot(office, item, capacity=1)
    first, second = make_person(), make_person()
    appointment = services.book(slot, person=first)
    assert appointment.status == AppointmentStatus.BOOKED and len(appointment.code) == 8
    slot.refresh_from_db()
    assert slot.booked == 1 and slot.remaining == 0
    with pytest.raises(services.AppointmentError, match="约满"):
        services.book(slot, person=second)
    with pytest.raises(services.AppointmentError, match="同一天"):
        services.book(slot, person=first)
    assert AuditEntry.objects.filter(action="appointments.book").count() == 1


def test_items_without_appointments_and_past_slots_are_refused() -> None:
    office = Office()
    plain = publish(office.organisation, supports_appointment=False)
    with pytest.raises(services.AppointmentError, match="不支持预约"):
        services.book(future_slot(office, plain), person=make_person())
    _office, item = bookable_item(office)
    past = slot_at(office, item, start=timezone.now() - dt.timedelta(hours=3))
    with pytest.raises(services.AppointmentError, match="已开始"):
        services.book(past, person=make_person())


def test_cancel_releases_the_place_only_before_the_slot() -> None:
    office, item = bookable_item()
    slot = future_slot(office, item, capacity=1)
    person = make_person()
    appointment = services.book(slot, person=person)
    with pytest.raises(services.AppointmentError, match="窗口工作人员"):
        services.cancel(appointment, actor=make_person())
    services.cancel(appointment, actor=person, reason="改期")
    slot.refresh_from_db()
    appointment.refresh_from_db()
    assert slot.booked == 0 and appointment.status == AppointmentStatus.CANCELLED
    with pytest.raises(services.AppointmentError, match="不能取消"):
        services.cancel(appointment, actor=person)
    services.book(slot, person=make_person())  # the released place can be taken again


def test_arrival_hands_out_queue_numbers_in_order_and_only_at_the_right_hall_and_time() -> None:
    office, item = bookable_item()
    now_slot = slot_at(office, item, start=timezone.now() - dt.timedelta(minutes=10), capacity=3)
    # Booking a slot that started is refused, so these were booked before it began.
    people = [make_person(), make_person()]
    bookings = [
        Appointment.objects.create(code=f"TESTCOD{i}", slot=now_slot, person=p) for i, p in enumerate(people)
    ]
    with pytest.raises(services.AppointmentError, match="窗口工作人员"):
        services.arrive(bookings[0].code, actor=Office().window)
    first = services.arrive(bookings[0].code.lower(), actor=office.window)
    second = services.arrive(bookings[1].code, actor=office.window)
    assert (first.queue_number, second.queue_number) == ("Y001", "Y002")
    with pytest.raises(services.AppointmentError, match="已于"):
        services.arrive(bookings[0].code, actor=office.window)
    with pytest.raises(services.AppointmentError, match="没有预约码"):
        services.arrive("NOPE", actor=office.window)
    early = services.book(future_slot(office, item, days=3), person=make_person())
    with pytest.raises(services.AppointmentError, match="开始前一小时"):
        services.arrive(early.code, actor=office.window)


def test_no_shows_are_marked_and_three_suspend_online_booking() -> None:
    office, item = bookable_item()
    person = make_person()
    for hours in (5, 4, 3):
        slot = slot_at(office, item, start=timezone.now() - dt.timedelta(hours=hours), minutes=30)
        Appointment.objects.create(code=f"NOSHOW{hours}", slot=slot, person=person)
    running = slot_at(office, item, start=timezone.now() - dt.timedelta(minutes=5))
    Appointment.objects.create(code="STILLOK1", slot=running, person=make_person())
    assert services.mark_no_shows() == 3
    assert Appointment.objects.get(code="STILLOK1").status == AppointmentStatus.BOOKED
    assert services.mark_no_shows() == 0  # idempotent
    with pytest.raises(services.AppointmentError, match="未到场"):
        services.book(future_slot(office, item), person=person)


def test_generate_slots_on_working_days_idempotently() -> None:
    office, item = bookable_item()
    start = dt.date(2026, 9, 28)  # the National Day holiday follows
    created = services.generate_slots(office.organisation, item, start=start, working_days=5, capacity=3)
    assert created == 5 * len(services.DEFAULT_TIMES)
    days = sorted(set(Slot.objects.filter(implementation=item).values_list("day", flat=True)))
    assert len(days) == 5 and all(workdays.is_working_day(day) for day in days)
    assert services.generate_slots(office.organisation, item, start=start, working_days=5) == 0
    out = StringIO()
    call_command("appointments", "generate", "--item", item.implementation_code, "--days", "2", stdout=out)
    assert "新生成号源" in out.getvalue()
    call_command("appointments", "no-shows", stdout=out)
    assert "记为爽约" in out.getvalue()


def test_booking_pages(client: Client) -> None:
    office, item = bookable_item()
    slot = future_slot(office, item)
    url = f"/appointments/new/?item={item.implementation_code}"
    assert client.get(url)["Location"].startswith("/account/signin/")
    assert client.get(f"/appointments/new?item={item.implementation_code}")["Location"] == url
    person = make_person()
    client.force_login(person)
    page = client.get(url).content.decode()
    assert f'value="{slot.pk}"' in page and office.organisation.name in page
    refused = client.post(url, {"item": item.implementation_code})
    assert refused.status_code == 400 and "请选择一个预约时段" in refused.content.decode()
    booked = client.post(url, {"item": item.implementation_code, "slot": slot.pk})
    appointment = Appointment.objects.get(person=person)
    assert booked["Location"] == f"/appointments/{appointment.code}/"
    assert appointment.code in client.get(booked["Location"]).content.decode()
    mine = client.get("/appointments/").content.decode()
    assert appointment.code in mine and "取消预约" in mine
    assert client.post(f"/appointments/{appointment.code}/cancel/")["Location"] == "/appointments/"
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    other = Client()
    other.force_login(make_person())
    assert other.get(f"/appointments/{appointment.code}/").status_code == 404


def test_staff_calendar_and_arrival_pages(client: Client, settings: Any) -> None:
    office, item = bookable_item()
    slot = slot_at(office, item, start=timezone.now() + dt.timedelta(minutes=30))
    appointment = Appointment.objects.create(code="ARRIVE01", slot=slot, person=make_person())
    Slot.objects.filter(pk=slot.pk).update(booked=1)
    client.force_login(office.window)
    page = client.get("/appointments/staff/").content.decode()
    assert "ARRIVE01" in page and "已约 1/2" in page
    response = client.post(
        "/appointments/staff/arrive/", {"code": "arrive01", "hall": office.organisation.pk}
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "排队号 Y001" in page
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.ARRIVED
    reviewer = Client()
    reviewer.force_login(office.reviewer)
    assert reviewer.get("/appointments/staff/").status_code == 403


def test_api_lists_bookable_slots_and_my_appointments(client: Client) -> None:
    office, item = bookable_item()
    slot = future_slot(office, item)
    full = future_slot(office, item, capacity=1, days=2)
    Slot.objects.filter(pk=full.pk).update(booked=1)
    rows = client.get("/api/appointments/slots", {"item": item.implementation_code}).json()
    assert [row["id"] for row in rows] == [slot.pk] and rows[0]["remaining"] == 2
    assert client.get("/api/appointments/slots", {"item": "nope"}).status_code == 404
    assert client.get("/api/appointments/mine").status_code == 401
    person = make_person()
    appointment = services.book(slot, person=person)
    client.force_login(person)
    mine = client.get("/api/appointments/mine").json()
    assert [(row["code"], row["status"]) for row in mine] == [(appointment.code, "booked")]
