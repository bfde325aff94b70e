"""Appointments in Chromium: a person books a slot, sees it in 'my appointments'; the hall clerk checks
them in from the calendar and hands out a queue number; the person cancels another booking."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from accounts.identity_factories import make_person
from browser.helpers import BROWSER, axe_violations, describe
from browser.workbench_browser import page_signed_in
from cases.case_factories import Office, publish
from yiwang.appointments.models import Appointment, AppointmentStatus, Slot
from yiwang.core import calendar_data, workdays

pytestmark = [*BROWSER, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _calendar(settings: Any) -> None:
    calendar_data.seed_calendar([2025, 2026, 2027])
    workdays.clear_cache()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def no_axe(page: Any) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_book_arrive_with_a_queue_number_and_cancel(new_page: Any, live_server: Any) -> None:
    office = Office()
    item = publish(office.organisation, supports_appointment=True)
    soon = timezone.localtime() + dt.timedelta(minutes=30)
    slot = Slot.objects.create(
        hall=office.organisation,
        implementation=item,
        day=soon.date(),
        starts_at=soon.time().replace(second=0, microsecond=0),
        ends_at=(soon + dt.timedelta(hours=1)).time().replace(second=0, microsecond=0),
        capacity=2,
    )
    later = Slot.objects.create(
        hall=office.organisation,
        implementation=item,
        day=soon.date() + dt.timedelta(days=1),
        starts_at=dt.time(9, 0),
        ends_at=dt.time(10, 0),
        capacity=1,
    )
    person = make_person()
    page = page_signed_in(new_page, live_server, person, viewport=PHONE)
    page.goto(f"/appointments/new?item={item.implementation_code}")  # the guide page's link
    page.get_by_role("heading", name="预约办理").wait_for()
    no_axe(page)
    page.get_by_role("button", name="确认预约").click()  # nothing chosen: the browser asks first
    assert Appointment.objects.count() == 0
    page.locator(f'input[name="slot"][value="{slot.pk}"]').check()
    page.get_by_role("button", name="确认预约").click()
    page.get_by_role("heading", name="预约成功").wait_for()
    no_axe(page)
    code = page.locator(".ap-code").inner_text().strip()

    clerk = page_signed_in(new_page, live_server, office.window)
    clerk.goto("/workbench/")
    clerk.get_by_role("link", name="预约日历").click()
    clerk.get_by_role("heading", name="预约日历").wait_for()
    assert code in clerk.content()
    no_axe(clerk)
    clerk.get_by_label("预约码").fill(code.lower())
    clerk.get_by_role("button", name="取号").click()
    clerk.get_by_text("排队号 Y001").first.wait_for()
    assert Appointment.objects.get(code=code).status == AppointmentStatus.ARRIVED

    page.goto(f"/appointments/new?item={item.implementation_code}")
    page.locator(f'input[name="slot"][value="{later.pk}"]').check()
    page.get_by_role("button", name="确认预约").click()
    page.get_by_role("heading", name="预约成功").wait_for()
    page.get_by_role("link", name="我的预约").click()
    no_axe(page)
    page.get_by_role("button", name="取消预约").click()
    page.get_by_text("已取消").first.wait_for()
    later.refresh_from_db()
    assert later.booked == 0
