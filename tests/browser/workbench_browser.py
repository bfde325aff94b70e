"""Shared steps of the workbench and appointment browser tests: a staff sign-in with TOTP enrolment, and
pages signed in by session cookie (what a completed sign-in leaves behind)."""

from __future__ import annotations

from typing import Any

import pyotp
from django.conf import settings
from django.test import Client

from accounts.identity_factories import PASSWORD

DESKTOP = {"width": 1280, "height": 900}


def staff_sign_in(page: Any, user: Any, next_path: str) -> None:
    """The real staff sign-in: password, then enrol an authenticator and prove a code."""
    page.goto(next_path)
    page.get_by_label("手机号码或账户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.get_by_role("heading", name="绑定动态口令").wait_for()
    secret = page.locator(".totp-qr code").inner_text().strip()
    page.get_by_label("动态口令").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="完成绑定并登录").click()


def page_signed_in(
    new_page: Any, live_server: Any, user: Any, *, viewport: dict[str, int] | None = None
) -> Any:
    client = Client()
    client.force_login(user)  # tests/conftest.py: includes the staff second factor
    page = new_page(viewport=viewport or DESKTOP)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return page
