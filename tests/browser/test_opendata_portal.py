"""The open-data portal in Chromium: a person finds a dataset by theme and words, reads its preview and
downloads it; a department editor uploads a table, sees a precise error for a bad one, and publishes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from accounts.identity_factories import make_staff
from browser.helpers import BROWSER, axe_violations, describe
from catalog.factories import make_organisation
from opendata.opendata_factories import make_dataset, make_theme
from yiwang.accounts.models import Role

pytestmark = [*BROWSER, pytest.mark.django_db(transaction=True)]


def test_person_finds_previews_and_downloads_a_dataset(page: Any, live_server: Any) -> None:
    make_theme("transport", "交通出行")
    make_theme("health", "医疗卫生")
    make_dataset(name="bus-stops", title="公交站点信息", themes=("transport",), tags=("公交",))
    make_dataset(name="hospitals", title="医疗机构名录", themes=("health",), tags=("医院",))
    page.goto("/opendata/")
    assert page.get_by_role("heading", level=1).inner_text() == "政务数据开放"
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    page.get_by_role("link", name="交通出行（1）").click()
    expect(page.locator("#od-results")).to_contain_text("共 1 个数据集")
    page.get_by_label("搜索数据集").fill("公交")
    page.get_by_role("button", name="搜索", exact=True).click()
    page.get_by_role("link", name="公交站点信息").click()
    expect(page.get_by_role("heading", name="数据预览（前 10 行）")).to_be_visible()
    assert page.locator("table").nth(2).locator("tbody tr").count() == 3
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载 公交站点信息（CSV）").click()
    path = download_info.value.path()
    assert Path(path).read_text(encoding="utf-8").startswith("站点名称,线路数,所在区")


def test_editor_uploads_fixes_a_bad_table_and_publishes(new_page: Any, live_server: Any, client: Any) -> None:
    organisation = make_organisation(name="杭州市交通运输局")
    make_theme("transport", "交通出行")
    editor = make_staff(organisation, Role.CATALOG_EDITOR)
    client.force_login(editor)
    page = new_page()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto("/opendata/manage/new")
    page.get_by_label("标题").fill("出租车运力")
    page.get_by_label("标识（用于网址和接口）").fill("taxi-capacity")
    page.get_by_label("交通出行").check()
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/opendata/manage/taxi-capacity")
    page.get_by_label("资源名称").fill("运力表")
    page.get_by_label("文件（CSV、XLSX 或 JSON）").set_input_files(
        files=[
            {
                "name": "taxi.csv",
                "mimeType": "text/csv",
                "buffer": "区县,车辆数\n西湖区,1200\n上城区\n".encode(),
            }
        ]
    )
    page.get_by_role("button", name="保存资源").click()
    assert "第 3 行有 1 列，表头有 2 列" in page.locator(".error-summary").inner_text()
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    page.get_by_label("资源名称").fill("运力表")
    page.get_by_label("文件（CSV、XLSX 或 JSON）").set_input_files(
        files=[
            {
                "name": "taxi.csv",
                "mimeType": "text/csv",
                "buffer": "区县,车辆数\n西湖区,1200\n上城区,980\n".encode(),
            }
        ]
    )
    page.get_by_role("button", name="保存资源").click()
    expect(page.locator("[role=status]").first).to_contain_text("资源已保存。")
    page.get_by_role("button", name="发布数据集").click()
    expect(page.locator("[role=status]").first).to_contain_text("数据集已发布。")
    response = page.request.get("/api/3/action/package_show?id=taxi-capacity")
    assert response.json()["result"]["resources"][0]["row_count"] == 2
