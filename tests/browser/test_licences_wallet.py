"""The licence journey in Chromium: a case is approved through cases.services, which issues the licence;
the person opens it in 我的证照, downloads the PDF, authorises a department for another case; a third
party verifies it by its identifier."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from accounts.identity_factories import PASSWORD, make_person
from browser.helpers import BROWSER, axe_violations, describe
from cases.case_factories import Office, filed_case, publish
from licences.licence_factories import approve_case, make_type
from yiwang.accounts import sms
from yiwang.core import calendar_data, workdays
from yiwang.licences import verification
from yiwang.licences.models import Licence, UseGrant

pytestmark = [*BROWSER, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _setup(settings: Any, tmp_path: Path) -> None:
    caches = {"default": dict(settings.CACHES["default"])}
    caches["default"]["KEY_PREFIX"] = f"browser-licences-{uuid.uuid4().hex}"
    if "locmem" in caches["default"]["BACKEND"]:
        caches["default"]["LOCATION"] = caches["default"]["KEY_PREFIX"]
    settings.CACHES = caches
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.YIWANG_SMS_GATEWAY = "file"
    settings.YIWANG_SMS_OUTBOX = str(tmp_path / "sms-outbox.log")
    calendar_data.seed_calendar([2025, 2026, 2027])
    workdays.clear_cache()


def _sign_in(page: Any, phone: str) -> None:
    page.goto("/account/signin/")
    page.get_by_label("手机号码或账户名").fill(phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.get_by_role("heading", name="输入短信验证码").wait_for()
    page.get_by_label("短信验证码").fill(sms.latest_code(phone) or "")
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_role("heading", name="我的账户").wait_for()


def test_person_downloads_and_shares_a_licence_and_a_third_party_verifies_it(
    new_page: Any, tmp_path: Path
) -> None:
    office = Office()
    licence_type = make_type(office.organisation)
    person = make_person()
    approve_case(filed_case(publish(office.organisation), person), office)  # commits: case.approved fires
    licence = Licence.objects.get(holder_name=person.display_name)
    other_office = Office()
    open_case = filed_case(publish(other_office.organisation), person)

    page = new_page()
    _sign_in(page, person.phone)
    page.goto("/licences/")
    page.get_by_role("heading", name="我的证照").wait_for()
    page.get_by_role("link", name=licence_type.name).click()
    page.get_by_role("heading", name=licence_type.name).wait_for()
    assert licence.identifier in page.content() and licence.holder_id_masked in page.content()
    assert not describe(axe_violations(page)), describe(axe_violations(page))

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载电子证照（PDF）").click()
    saved = tmp_path / "licence.pdf"
    download_info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    assert verification.by_file(saved.read_bytes()).valid

    page.get_by_label("办件").select_option(str(open_case.pk))
    page.get_by_role("button", name="授权", exact=True).click()
    page.get_by_text(
        f"已授权“{other_office.organisation.name}”在办件 {open_case.number} 中使用这本证照"
    ).wait_for()
    grant = UseGrant.objects.get(licence=licence)
    assert grant.case == open_case and grant.organisation == other_office.organisation
    assert not describe(axe_violations(page)), describe(axe_violations(page))

    stranger = new_page()
    stranger.goto("/licences/verify/")
    stranger.get_by_label("证照标识").fill(licence.identifier)
    stranger.get_by_role("button", name="核验", exact=True).click()
    stranger.get_by_role("heading", name="✓ 证照真实有效").wait_for()
    text = stranger.content()
    assert "新建住宅楼施工" not in text or "许可事项" in text  # only what the holder allows
    assert licence.data["address"] not in text
    assert not describe(axe_violations(stranger)), describe(axe_violations(stranger))

    stranger.get_by_label("证照标识").fill(
        licence.identifier[:-1] + ("A" if licence.identifier[-1] != "A" else "B")
    )
    stranger.get_by_role("button", name="核验", exact=True).click()
    stranger.get_by_text("校验位不正确").first.wait_for()
