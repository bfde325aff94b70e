"""Staff sign-in with TOTP enrolment, password reset by SMS, level upgrade and "my data", in Chromium."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pyotp
import pytest

from accounts.identity_factories import PASSWORD, make_person, make_staff
from browser.helpers import BROWSER, axe_violations, describe
from catalog.factories import make_organisation
from yiwang.accounts import sms
from yiwang.accounts.models import Role

pytestmark = [*BROWSER, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _own_cache_and_sms_outbox(settings: Any, tmp_path: Path) -> None:
    caches = {"default": dict(settings.CACHES["default"])}
    caches["default"]["KEY_PREFIX"] = f"browser-staff-{uuid.uuid4().hex}"
    if "locmem" in caches["default"]["BACKEND"]:
        caches["default"]["LOCATION"] = caches["default"]["KEY_PREFIX"]
    settings.CACHES = caches
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.YIWANG_SMS_GATEWAY = "file"
    settings.YIWANG_SMS_OUTBOX = str(tmp_path / "sms-outbox.log")


def test_staff_enrol_an_authenticator_and_then_reach_the_admin(page: Any) -> None:
    clerk = make_staff(make_organisation(), Role.CATALOG_EDITOR, username="clerk-browser")
    clerk.is_staff = True  # catalogue editors work in the admin
    clerk.save(update_fields=["is_staff"])
    page.goto("/admin/")  # the admin sends staff to the staff sign-in
    page.get_by_label("手机号码或账户名").fill(clerk.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.get_by_role("heading", name="绑定动态口令").wait_for()
    assert page.locator(".totp-qr svg").count() == 1
    assert not describe(axe_violations(page)), describe(axe_violations(page))

    secret = page.locator(".totp-qr code").inner_text().strip()
    wrong = f"{(int(pyotp.TOTP(secret).now()) + 500_000) % 1_000_000:06d}"
    page.get_by_label("动态口令").fill(wrong)
    page.get_by_role("button", name="完成绑定并登录").click()
    page.get_by_role("alert").wait_for()  # a wrong code is refused with a message, nothing enrolled

    secret = page.locator(".totp-qr code").inner_text().strip()
    page.get_by_label("动态口令").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="完成绑定并登录").click()
    page.get_by_role(
        "heading", name="目录与基础数据管理"
    ).wait_for()  # the admin index, past the second factor
    assert page.url.endswith("/admin/")


def test_password_reset_by_sms_code(page: Any) -> None:
    person = make_person()
    page.goto("/account/password-reset/")
    page.get_by_label("手机号码").fill(person.phone)
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_text("如该号码已注册").wait_for()
    assert not describe(axe_violations(page)), describe(axe_violations(page))
    page.get_by_label("短信验证码").fill(sms.latest_code(person.phone) or "")
    page.get_by_label("新密码").fill("Xin-De-Mima-2026-xyz")
    page.get_by_role("button", name="重置密码").click()
    page.get_by_text("密码已重置").wait_for()
    person.refresh_from_db()
    assert person.check_password("Xin-De-Mima-2026-xyz")


def test_a_person_raises_their_level_and_reads_who_saw_their_data(page: Any) -> None:
    from yiwang.accounts.models import PersonIdentity, RealNameLevel

    person = make_person(level=RealNameLevel.L1)
    page.goto("/account/signin/")
    page.get_by_label("手机号码或账户名").fill(person.phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("短信验证码").fill(sms.latest_code(person.phone) or "")
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_role("heading", name="我的账户").wait_for()

    page.goto("/account/level/")
    page.get_by_role("heading", name="提升实名等级").wait_for()
    assert not describe(axe_violations(page)), describe(axe_violations(page))
    page.get_by_role("button", name="用人口库核验姓名和身份证号码").click()
    page.wait_for_load_state()
    assert PersonIdentity.objects.get(user=person).level == RealNameLevel.L2

    page.goto("/account/data/")
    page.get_by_role("heading", name="谁处理或查看过我的账户").wait_for()
    assert not describe(axe_violations(page)), describe(axe_violations(page))
