"""Registration, sign-in with the SMS code, enterprise switch and agent authorisation in Chromium."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from accounts.identity_factories import PASSWORD, make_enterprise, make_person, make_phone, make_resident_id
from browser.helpers import BROWSER, axe_violations, describe
from yiwang.accounts import sms
from yiwang.accounts.models import User

pytestmark = [*BROWSER, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _own_cache_and_sms_outbox(settings: Any, tmp_path: Path) -> None:
    """As in tests/accounts: fresh lockout counters and an SMS outbox file per test."""
    caches = {"default": dict(settings.CACHES["default"])}
    caches["default"]["KEY_PREFIX"] = f"browser-identity-{uuid.uuid4().hex}"
    if "locmem" in caches["default"]["BACKEND"]:
        caches["default"]["LOCATION"] = caches["default"]["KEY_PREFIX"]
    settings.CACHES = caches
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.YIWANG_SMS_GATEWAY = "file"
    settings.YIWANG_SMS_OUTBOX = str(tmp_path / "sms-outbox.log")


def test_register_then_sign_in_with_the_sms_code(page: Any) -> None:
    phone, number = make_phone(), make_resident_id()
    page.goto("/account/register/")
    page.get_by_label("手机号码").fill(phone)
    page.get_by_label("姓名").fill("吴浏览")
    page.get_by_label("公民身份号码").fill(number)
    page.get_by_label("设置密码").fill(PASSWORD)
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_text("验证码已发送到您的手机").wait_for()
    assert page.get_by_label("公民身份号码").input_value() == number  # kept across the round trip
    page.get_by_label("短信验证码").fill(sms.latest_code(phone) or "")
    page.get_by_role("button", name="注册", exact=True).click()
    page.get_by_role("heading", name="我的账户").wait_for()
    assert number[:3] + "*" * 11 + number[-4:] in page.content()
    assert not describe(axe_violations(page)), describe(axe_violations(page))
    assert User.objects.filter(username=phone).exists()

    page.get_by_role("button", name="退出登录", exact=True).click()
    page.get_by_label("手机号码或账户名").fill(phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.get_by_role("heading", name="输入短信验证码").wait_for()
    page.get_by_label("短信验证码").fill("000000" if sms.latest_code(phone) != "000000" else "111111")
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_role("alert").wait_for()
    assert "验证码不正确" in page.get_by_role("alert").inner_text()
    page.get_by_label("短信验证码").fill(sms.latest_code(phone) or "")
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_role("heading", name="我的账户").wait_for()


def test_representative_authorises_an_agent_who_switches_to_the_enterprise(new_page: Any) -> None:
    enterprise = make_enterprise()
    agent = make_person()
    representative = new_page()
    _sign_in(representative, enterprise.representative.phone)
    representative.goto(f"/account/enterprise/{enterprise.pk}/agents/")
    representative.get_by_label("经办人手机号码").fill(agent.phone)
    representative.get_by_label("授权办理全部事项").check()
    representative.get_by_label("有效期至").fill("2099-12-31")
    representative.get_by_role("button", name="授权", exact=True).click()
    representative.get_by_text("授权已生效").wait_for()
    assert not describe(axe_violations(representative)), describe(axe_violations(representative))

    agent_page = new_page()
    _sign_in(agent_page, agent.phone)
    agent_page.goto("/account/enterprise/")
    agent_page.get_by_label(enterprise.name, exact=False).check()
    agent_page.get_by_role("button", name="切换").click()
    agent_page.get_by_text(f"现在代表“{enterprise.name}”办事").wait_for()


def _sign_in(page: Any, phone: str) -> None:
    page.goto("/account/signin/")
    page.get_by_label("手机号码或账户名").fill(phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.get_by_role("heading", name="输入短信验证码").wait_for()
    page.get_by_label("短信验证码").fill(sms.latest_code(phone) or "")
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_role("heading", name="我的账户").wait_for()
