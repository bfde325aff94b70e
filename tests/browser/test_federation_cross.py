"""跨省通办 pages in Chromium at phone width: the person applies for another province's item (an error is
explained, then the application is forwarded), follows it on the list and the progress page; the window
clerk's form offers the other two modes; the national statistics page. axe on every page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import expect

from accounts.identity_factories import make_person, make_staff
from browser.helpers import BROWSER, axe_violations, describe
from catalog.factories import make_organisation
from federation.federation_factories import make_sender
from yiwang.accounts.models import RealNameLevel, Role
from yiwang.federation.cross_models import CrossCase
from yiwang.federation.models import OutboxMessage

pytestmark = [*BROWSER, pytest.mark.django_db(transaction=True)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _as_zhejiang(settings: Any) -> None:
    settings.YIWANG_NODE_CODE = "330000"
    settings.YIWANG_NODE_ROLE = "node"


def signed_in(new_page: Any, user: Any) -> Any:
    client = Client()
    client.force_login(user)
    page = new_page()
    page.goto("/healthz")
    page.context.add_cookies(
        [{"name": k, "value": v.value, "url": page.url} for k, v in client.cookies.items()]
    )
    return page


def accessible(page: Any, where: str) -> None:
    problems = axe_violations(page)
    assert not problems, f"{where}:\n{describe(problems)}"


def test_a_person_applies_for_another_provinces_item_and_follows_it(new_page: Any, tmp_path: Any) -> None:
    make_sender("320000")
    person = make_person(level=RealNameLevel.L2, name="钱塘")
    page = signed_in(new_page, person)
    page.goto("/federation/cross/")
    page.get_by_role("heading", name="跨省通办").wait_for()
    accessible(page, "list")
    page.get_by_role("link", name="申请外地事项（全程网办）").click()
    page.get_by_role("heading", name="申请外地事项（全程网办）").wait_for()
    accessible(page, "new")
    page.get_by_label("邮寄送达", exact=True).check()
    page.get_by_label("办理地", exact=True).select_option("320000")
    page.get_by_label("实施编码").fill("11320000MB0000000X4000101")
    page.get_by_role("button", name="提交并转交办理地").click()
    assert "邮寄地址" in page.get_by_role("alert").inner_text()
    accessible(page, "new with an error")
    page.get_by_label("电子送达", exact=True).check()
    page.get_by_label("办理地", exact=True).select_option("320000")
    page.get_by_label("实施编码").fill("11320000MB0000000X4000101")
    page.get_by_label("事项名称").fill("护照签发")
    page.get_by_label("联系地址").fill("浙江省杭州市西湖区文三路 1 号")
    page.get_by_label("材料 1 名称").fill("申请人身份证件")
    upload = tmp_path / "id.pdf"
    upload.write_bytes(PDF)
    page.get_by_label("材料 1 文件（PDF、JPEG、PNG 或 OFD）").set_input_files(str(upload))
    page.get_by_role("button", name="提交并转交办理地").click()
    page.get_by_role("heading", name="跨省通办进度").wait_for()
    assert "正在转交办理地" in page.content()
    accessible(page, "detail")
    cross = CrossCase.objects.get(applicant=person)
    message = OutboxMessage.objects.get(kind="case.forward")
    assert message.payload["form_data"]["address"].startswith("浙江省") and message.payload["files"]
    page.goto("/federation/cross/")
    assert "护照签发" in page.content() and cross.resident_id_masked in page.content()


def test_the_window_form_and_the_national_statistics_page(new_page: Any) -> None:
    make_sender("320000")
    clerk = make_staff(make_organisation(), Role.WINDOW)
    page = signed_in(new_page, clerk)
    page.goto("/federation/cross/new")
    page.get_by_role("heading", name="代收代办 / 多地联办收件").wait_for()
    expect(page.get_by_label("多地联办")).to_be_visible()
    expect(page.get_by_label("异地代收代办")).to_be_visible()
    accessible(page, "clerk form")
    page.goto("/federation/cross/statistics")
    page.get_by_role("heading", name="全国政务服务统计").wait_for()
    accessible(page, "statistics")
