"""A supervisor drills from a red number on the dashboard to the cases behind it, and downloads lists."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from browser.helpers import BROWSER, axe_violations, describe
from catalog.factories import make_organisation, make_region
from supervision.supervision_factories import make_case, make_item, supervisor
from yiwang.core import calendar_data, workdays
from yiwang.supervision import alerts, summary

pytestmark = [*BROWSER, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed_in(settings: Any) -> Any:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    today = timezone.localdate()
    calendar_data.seed_calendar([today.year - 1, today.year, today.year + 1])
    workdays.clear_cache()
    organisation = make_organisation(make_region("330106"), name="西湖区市场监管局")
    item = make_item(organisation)
    days = [today - timezone.timedelta(days=n) for n in (20, 15, 10, 3)]
    for day in days[:2]:  # completed on time
        make_case(
            item,
            status="completed",
            submitted_on=day,
            accepted_on=day,
            decided_on=day,
            completed_on=day,
            decision_due=day,
        )
    for day in days[2:]:  # still open, past their deadline: red
        make_case(
            item,
            status="in_review",
            submitted_on=day,
            accepted_on=day,
            decision_due=day,
            due_on=day,
            warning_level="red",
        )
    summary.rebuild()
    alerts.raise_alerts(today)
    boss = supervisor(make_organisation(make_region("330100")))
    client = Client()
    client.force_login(boss)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def sign_in(page: Any, session_key: str, live_server: Any) -> None:
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session_key, "url": live_server.url}]
    )


def test_supervisor_drills_from_a_red_number_to_the_cases(
    new_page: Any, live_server: Any, signed_in: str
) -> None:
    page = new_page()
    sign_in(page, signed_in, live_server)
    page.goto("/supervision/")
    page.get_by_role("heading", name="效能监督看板").wait_for()
    assert page.locator("svg.sv-chart").count() >= 5  # trend, ranking and distributions as charts
    assert not describe(axe_violations(page)), describe(axe_violations(page))
    red = page.locator(".sv-kpi-red a.sv-kpi-value").first
    shown = red.inner_text().strip()
    assert shown == "2"
    red.click()
    page.get_by_role("heading", name="办件明细：在办超期（红牌）").wait_for()
    assert page.locator("[data-count]").get_attribute("data-count") == shown
    assert page.locator("tbody tr").count() == 2
    assert not describe(axe_violations(page)), describe(axe_violations(page))

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载 CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "办件编号" and len(rows) == 3


def test_dashboard_workbook_download_and_the_alert_list(
    new_page: Any, live_server: Any, signed_in: str
) -> None:
    page = new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, signed_in, live_server)
    page.goto("/supervision/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出全部数据表（XLSX）").click()
    assert download_info.value.suggested_filename.endswith(".xlsx")
    page.get_by_role("link", name="处理红黄牌预警").click()
    page.get_by_role("heading", name="红黄牌预警").wait_for()
    assert not describe(axe_violations(page)), describe(axe_violations(page))
    page.locator("tbody a").first.click()
    page.get_by_label("说明").fill("经核实已整改，同意销号。")
    page.get_by_role("button", name="销号").click()
    page.get_by_text("已销号。").wait_for()
    assert not describe(axe_violations(page)), describe(axe_violations(page))
