"""Back-office pages: calendar edits are audited and seen at once; the audit log is read-only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from yiwang.accounts.models import User
from yiwang.core import audit, calendar_data, workdays
from yiwang.core.models import AuditEntry, CalendarDay, CalendarYear, Organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client) -> Client:
    user = User.objects.create_superuser("calendar-admin", "admin@example.org", "a-long-password-1")
    client.force_login(user)
    return client


def test_adding_a_holiday_in_admin_is_audited_and_clears_the_cache(admin_client: Client) -> None:
    calendar_data.seed_calendar([2025])
    assert workdays.is_working_day(dt.date(2025, 3, 12))  # cached now
    response = admin_client.post(
        "/admin/core/calendarday/add/", {"date": "2025-03-12", "kind": "holiday", "name": "临时休假"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not workdays.is_working_day(dt.date(2025, 3, 12))
    entry = AuditEntry.objects.get(action="calendar.add")
    assert entry.object_type == "core.CalendarDay" and entry.actor_label.endswith("calendar-admin")
    response = admin_client.post("/admin/core/calendarday/2025-03-12/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert workdays.is_working_day(dt.date(2025, 3, 12))
    assert AuditEntry.objects.filter(action="calendar.delete").count() == 1
    assert list(audit.verify_chain()) == []


def test_a_day_of_an_unknown_year_is_refused(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/core/calendarday/add/", {"date": "2031-03-12", "kind": "holiday", "name": "x"}
    )
    assert response.status_code == 200
    assert "请先在“日历年度”中添加 2031 年" in response.content.decode()
    assert not CalendarDay.objects.exists()


def test_marking_a_year_official_in_admin(admin_client: Client) -> None:
    calendar_data.seed_calendar([2027])
    assert workdays.deadline_is_provisional(dt.date(2027, 1, 5), dt.date(2027, 2, 1))
    response = admin_client.post(
        "/admin/core/calendaryear/2027/change/", {"status": "official", "source": "国办发明电〔2026〕X号"}
    )
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2027).status == "official"
    assert not workdays.deadline_is_provisional(dt.date(2027, 1, 5), dt.date(2027, 2, 1))
    assert AuditEntry.objects.filter(action="calendar.change", object_id="2027").exists()


def test_calendar_changelist_shows_the_november_warning(admin_client: Client) -> None:
    calendar_data.seed_calendar([2027])
    page = admin_client.get("/admin/core/calendaryear/").content.decode()
    assert "2027" in page
    if workdays.next_year_warning():
        assert "尚未按国务院正式公布" in page


def test_audit_log_admin_is_read_only(admin_client: Client) -> None:
    entry = audit.record(actor=None, action="test.one", object_type="t", object_id="1", summary="只读测试")
    listing = admin_client.get("/admin/core/auditentry/", {"q": "只读测试"})
    assert listing.status_code == 200 and "test.one" in listing.content.decode()
    assert admin_client.get("/admin/core/auditentry/add/").status_code == 403
    detail = admin_client.get(f"/admin/core/auditentry/{entry.pk}/change/")
    assert detail.status_code == 200
    assert (
        admin_client.post(f"/admin/core/auditentry/{entry.pk}/change/", {"summary": "x"}).status_code == 403
    )
    assert admin_client.post(f"/admin/core/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).summary == "只读测试"


def test_organisation_admin_goes_through_the_service(admin_client: Client, regions: int) -> None:
    response = admin_client.post(
        "/admin/core/organisation/add/",
        {
            "name": "试点机构",
            "short_name": "",
            "uscc": "91350100m0001tgqxm",
            "region": "330106",
            "kind": "department",
            "address": "",
            "phone": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    org = Organisation.objects.get()
    assert org.uscc == "91350100M0001TGQXM" and org.uscc_warning
    assert AuditEntry.objects.filter(action="organisation.register", object_id=str(org.pk)).exists()
    bad = admin_client.post(
        "/admin/core/organisation/add/",
        {"name": "坏代码", "uscc": "1234", "region": "330106", "kind": "department", "is_active": "on"},
    )
    assert bad.status_code == 200 and "应为18位" in bad.content.decode()
    listing = admin_client.get("/admin/core/organisation/", {"q": "试点"}).content.decode()
    assert "校验位不符" in listing


def test_region_admin_search(admin_client: Client, regions: int) -> None:
    page = admin_client.get("/admin/core/region/", {"q": "西湖", "level__exact": "county"}).content.decode()
    assert "330106" in page
