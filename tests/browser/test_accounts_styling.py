"""The account pages' form controls (password, date, checkbox, code inputs) in Chromium: touch targets of at
least 44px, a visible focus ring, no serious accessibility violations, 7:1 contrast in elderly mode.
Screenshots go to test-artifacts/ for a person to look at."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from accounts.identity_factories import make_enterprise
from browser.helpers import BROWSER, axe_violations, describe, enhanced_contrast_violations

pytestmark = [*BROWSER, pytest.mark.django_db(transaction=True)]

MIN_TARGET = 44


@pytest.fixture(autouse=True)
def _own_cache(settings: Any, tmp_path: Path) -> None:
    caches = {"default": dict(settings.CACHES["default"])}
    caches["default"]["KEY_PREFIX"] = f"browser-styling-{uuid.uuid4().hex}"
    if "locmem" in caches["default"]["BACKEND"]:
        caches["default"]["LOCATION"] = caches["default"]["KEY_PREFIX"]
    settings.CACHES = caches
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.YIWANG_SMS_GATEWAY = "file"
    settings.YIWANG_SMS_OUTBOX = str(tmp_path / "sms-outbox.log")


def signed_in_page(new_page: Any, live_server: Any, client: Any, user: Any, *, elderly: bool) -> Any:
    client.force_login(user)
    page = new_page()
    cookies = [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    if elderly:
        cookies.append({"name": "yiwang_elderly", "value": "1", "url": live_server.url})
    page.context.add_cookies(cookies)
    return page


def box_height(page: Any, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box, selector
    return float(box["height"])


def assert_focus_ring(page: Any, selector: str) -> None:
    # Reach it from the keyboard, as :focus-visible shows the ring for keyboard users.
    page.locator(selector).first.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert page.locator(selector).first.evaluate("el => el === document.activeElement"), selector
    outline = page.locator(selector).first.evaluate(
        "el => { const s = getComputedStyle(el); return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert outline[0] != "none" and outline[1] >= 2, (selector, outline)


def check_page(page: Any, *, elderly: bool) -> None:
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    if elderly:
        enhanced = enhanced_contrast_violations(page)
        assert enhanced == [], describe(enhanced)


@pytest.mark.parametrize("elderly", [False, True], ids=["standard", "elderly"])
def test_sign_in_and_registration_controls(
    new_page: Any, live_server: Any, artifacts: Path, elderly: bool
) -> None:
    page = new_page()
    if elderly:
        page.context.add_cookies([{"name": "yiwang_elderly", "value": "1", "url": live_server.url}])
    suffix = "elderly" if elderly else "standard"

    page.goto("/account/signin/")
    page.get_by_role("button", name="下一步").click()  # empty form: the error summary and field errors
    page.locator(".error-summary").wait_for()
    for selector in ("#id_identifier", "#id_password", "button.button"):
        assert box_height(page, selector) >= MIN_TARGET, selector
    assert_focus_ring(page, "#id_password")
    check_page(page, elderly=elderly)
    page.screenshot(path=str(artifacts / f"accounts-signin-{suffix}.png"), full_page=True)

    page.goto("/account/register/")
    page.get_by_label("手机号码").fill("12345")
    page.get_by_label("设置密码").fill("short")
    page.get_by_role("button", name="注册", exact=True).click()
    page.locator(".error-summary").wait_for()
    for selector in ("#id_phone", "#id_code", "#id_password", "#id_resident_id"):
        assert box_height(page, selector) >= MIN_TARGET, selector
    assert_focus_ring(page, "#id_resident_id")
    check_page(page, elderly=elderly)
    page.screenshot(path=str(artifacts / f"accounts-register-{suffix}.png"), full_page=True)


@pytest.mark.parametrize("elderly", [False, True], ids=["standard", "elderly"])
def test_my_account_and_agent_form_controls(
    new_page: Any, live_server: Any, client: Any, artifacts: Path, elderly: bool
) -> None:
    enterprise = make_enterprise(name="杭州样例科技有限公司")
    page = signed_in_page(new_page, live_server, client, enterprise.representative, elderly=elderly)
    suffix = "elderly" if elderly else "standard"

    page.goto("/account/")
    page.get_by_role("heading", name="我的账户").wait_for()
    check_page(page, elderly=elderly)
    page.screenshot(path=str(artifacts / f"accounts-me-{suffix}.png"), full_page=True)

    page.goto(f"/account/enterprise/{enterprise.pk}/agents/")
    checkbox_label = page.locator("label[for=id_all_items]")
    assert box_height(page, "label[for=id_all_items]") >= MIN_TARGET
    checkbox_label.click()  # the label is part of the target
    assert page.locator("#id_all_items").is_checked()
    assert box_height(page, "#id_valid_until") >= MIN_TARGET
    assert box_height(page, "#id_item_codes") >= MIN_TARGET
    assert_focus_ring(page, "#id_valid_until")
    assert_focus_ring(page, "#id_all_items")
    check_page(page, elderly=elderly)
    page.screenshot(path=str(artifacts / f"accounts-agents-{suffix}.png"), full_page=True)
