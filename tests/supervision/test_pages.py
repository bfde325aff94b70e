"""Dashboard, drill-down lists, downloads, alert pages and the JSON API, as a supervisor would use them.
A supervisor sees their region subtree only; every linked number on the page equals its list's count."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from lxml import html
from openpyxl import load_workbook

from accounts.identity_factories import make_staff
from catalog.factories import make_organisation, make_region
from supervision.supervision_factories import d, make_case, make_item, supervisor
from yiwang.accounts.models import Role
from yiwang.supervision import alerts, summary
from yiwang.supervision.models import Alert

pytestmark = pytest.mark.django_db
PERIOD = {"start": "2026-11-01", "end": "2026-11-30"}


@pytest.fixture
def world() -> dict[str, Any]:
    xihu = make_organisation(make_region("330106"), name="西湖区市场监管局")
    shangcheng = make_organisation(make_region("330102"), name="上城区市场监管局")
    xihu_item, sc_item = make_item(xihu), make_item(shangcheng)
    for day in ("2026-11-02", "2026-11-03", "2026-11-04"):
        make_case(
            xihu_item,
            channel="web",
            status="completed",
            submitted_on=d(day),
            accepted_on=d(day),
            decided_on=d("2026-11-12"),
            completed_on=d("2026-11-12"),
            decision_due=d("2026-11-09"),
        )
    make_case(
        xihu_item,
        channel="window",
        status="in_review",
        submitted_on=d("2026-11-05"),
        accepted_on=d("2026-11-05"),
        decision_due=d("2026-11-12"),
        due_on=d("2026-11-12"),
    )
    make_case(
        sc_item,
        channel="window",
        status="completed",
        submitted_on=d("2026-11-02"),
        accepted_on=d("2026-11-02"),
        decided_on=d("2026-11-04"),
        completed_on=d("2026-11-04"),
        decision_due=d("2026-11-09"),
        delivery_method="window",
    )
    summary.rebuild()
    alerts.raise_alerts(d("2026-11-30"))
    city = supervisor(make_organisation(make_region("330100")))
    county = supervisor(make_organisation(make_region("330106")))
    clerk = make_staff(xihu, Role.WINDOW)
    return {"city": city, "county": county, "clerk": clerk, "xihu": xihu, "shangcheng": shangcheng}


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_only_signed_in_supervisors_see_the_dashboard(world: dict[str, Any]) -> None:
    assert Client().get("/supervision/").status_code == 302
    assert client_for(world["clerk"]).get("/supervision/").status_code == 403
    page = client_for(world["city"]).get("/supervision/", PERIOD)
    assert page.status_code == 200
    assert "效能监督看板" in page.content.decode()


def test_every_linked_number_on_the_dashboard_equals_its_list(world: dict[str, Any]) -> None:
    client = client_for(world["city"])
    page = html.fromstring(client.get("/supervision/", PERIOD).content.decode())
    links = page.xpath("//a[@data-drill]")
    assert len(links) > 40
    for link in links:
        href, shown = link.get("href"), int(link.text_content().strip())
        target = client.get(href)
        assert target.status_code == 200, href
        count = int(html.fromstring(target.content.decode()).xpath("//*[@data-count]/@data-count")[0])
        assert count == shown, (link.get("data-drill"), href)


def test_a_county_supervisor_sees_their_subtree_only(world: dict[str, Any]) -> None:
    client = client_for(world["county"])
    page = html.fromstring(client.get("/supervision/", PERIOD).content.decode())
    filed = page.xpath("//li[contains(@class,'sv-kpi')][1]//a")[0].text_content().strip()
    assert filed == "4"  # 西湖区 only; the 上城区 case is outside the subtree
    refused = client.get("/supervision/", {**PERIOD, "region": "330102"})
    assert refused.status_code == 400 and "您无权查看" in refused.content.decode()
    listed = client.get("/supervision/cases/", {**PERIOD, "metric": "filed"})
    assert "共 4 件" in listed.content.decode()
    city = client_for(world["city"]).get("/supervision/cases/", {**PERIOD, "metric": "filed"})
    assert "共 5 件" in city.content.decode()
    bad = client.get("/supervision/cases/", {**PERIOD, "organisation": world["shangcheng"].pk})
    assert bad.status_code == 400 and "不在您的监督范围内" in bad.content.decode()


def test_bad_filters_get_a_clear_message(world: dict[str, Any]) -> None:
    client = client_for(world["city"])
    page = client.get("/supervision/", {"start": "2026-11-31"})
    assert page.status_code == 400 and "日期格式不正确" in page.content.decode()
    page = client.get("/supervision/", {"start": "2026-12-01", "end": "2026-11-01"})
    assert "开始日期不能晚于结束日期" in page.content.decode()
    assert client.get("/supervision/cases/", {"metric": "nonsense"}).status_code == 400


def test_downloads(world: dict[str, Any]) -> None:
    client = client_for(world["city"])
    workbook = client.get("/supervision/export/", {**PERIOD, "format": "xlsx"})
    assert workbook["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(workbook.content), read_only=True)
    assert "效能总览" in book.sheetnames and "红黄牌预警" in book.sheetnames
    rows = list(book["效能总览"].iter_rows(values_only=True))
    assert rows[0] == ("指标", "数值", "说明") and rows[1][:2] == ("收件量", "5")
    panel = client.get("/supervision/export/", {**PERIOD, "format": "csv", "panel": "channels"})
    text = b"".join(panel.streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1] == ["网上办理（电脑端）", "3", "60.0%"]
    cases = client.get(
        "/supervision/cases/", {**PERIOD, "metric": "completed", "on_time": "0", "format": "csv"}
    )
    lines = list(csv.reader(io.StringIO(b"".join(cases.streaming_content).decode("utf-8-sig"))))
    assert lines[0][0] == "办件编号" and len(lines) == 1 + 3
    sheet = client.get("/supervision/cases/", {**PERIOD, "metric": "filed", "format": "xlsx"})
    assert len(list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows())) == 1 + 5
    assert client.get("/supervision/export/", {**PERIOD, "format": "pdf"}).status_code == 400


def test_alert_pages_for_the_organisation_and_the_supervisor(world: dict[str, Any]) -> None:
    clerk = client_for(world["clerk"])
    listing = clerk.get("/supervision/alerts/", {"status": "open"})
    assert listing.status_code == 200
    mine = Alert.objects.filter(organisation=world["xihu"])
    assert f"共 {mine.count()} 条" in listing.content.decode() and mine.count() == 4  # 3 late + 1 overdue
    alert = mine.filter(rule="overdue_decision").first()
    assert alert is not None
    other = Alert.objects.exclude(organisation=world["xihu"]).first()
    if other is not None:
        assert clerk.get(f"/supervision/alerts/{other.pk}/").status_code == 404
    done = clerk.post(f"/supervision/alerts/{alert.pk}/", {"action": "acknowledge"})
    assert done.status_code == 302
    refused = clerk.post(f"/supervision/alerts/{alert.pk}/", {"action": "explain", "note": "短"})
    assert refused.status_code == 400 and "请填写情况说明" in refused.content.decode()
    assert (
        clerk.post(f"/supervision/alerts/{alert.pk}/", {"action": "close", "note": "自行销号"}).status_code
        == 403
    )
    boss = client_for(world["city"])
    closed = boss.post(
        f"/supervision/alerts/{alert.pk}/", {"action": "close", "note": "核实已整改，同意销号"}, follow=True
    )
    assert "已销号" in closed.content.decode()
    alert.refresh_from_db()
    assert alert.status == "closed"
    export = boss.get("/supervision/alerts/", {"format": "csv"})
    assert b"".join(export.streaming_content).decode("utf-8-sig").startswith("发出日期,等级")


def test_api_panels_and_alert_actions(world: dict[str, Any]) -> None:
    boss = client_for(world["city"])
    overview = boss.get("/api/supervision/panels/overview", PERIOD).json()
    first = overview["rows"][0]
    assert first[0]["text"] == "收件量" and first[1]["value"] == 5
    query = parse_qs(urlsplit(first[1]["href"]).query)
    assert query["metric"] == ["filed"] and query["start"] == ["2026-11-01"]
    assert boss.get("/api/supervision/panels/nope", PERIOD).status_code == 400
    assert client_for(world["clerk"]).get("/api/supervision/panels/overview").status_code == 403
    listed = client_for(world["clerk"]).get("/api/supervision/alerts", {"status": "open"}).json()
    assert listed and all(a["organisation"] == "西湖区市场监管局" for a in listed)
    alert_id = listed[0]["id"]
    answer = client_for(world["clerk"]).post(
        f"/api/supervision/alerts/{alert_id}/explain",
        {"note": "系统故障导致延误，已恢复并办结。"},
        content_type="application/json",
    )
    assert answer.status_code == 200 and answer.json()["status"] == "explained"
    assert answer.json()["allowed_actions"] == []
    refused = client_for(world["clerk"]).post(
        f"/api/supervision/alerts/{alert_id}/close", {"note": "销号"}, content_type="application/json"
    )
    assert refused.status_code == 403
