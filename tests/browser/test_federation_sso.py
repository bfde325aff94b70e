"""Identity across nodes in Chromium: on this node (the live server) a person chooses the national
platform's unified sign-in, signs in at the hub (a second server process with its own database), and
lands back here signed in, with no registration; a refused attempt explains itself. axe on each page."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from accounts.identity_factories import make_phone, make_resident_id
from browser.conftest import PHONE
from browser.helpers import BROWSER, axe_violations, describe
from federation.federation_sso_hub import CLIENT_SECRET, HUB_CODE, HUB_NAME, PASSWORD, Hub, hub_fixture  # noqa: F401
from yiwang.accounts.models import PersonIdentity, RealNameLevel
from yiwang.federation.models import NodeRole, Peer

pytestmark = [*BROWSER, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def node_page(browser: Any, live_server: Any, settings: Any, hub: Hub) -> Any:
    """This node answers at 127.0.0.1 and the hub at localhost, so the two sessions' cookies stay apart
    in one browser (cookies ignore the port)."""
    node_url = live_server.url.replace("localhost", "127.0.0.1")
    settings.YIWANG_NODE_CODE = "330100"
    settings.YIWANG_NODE_URL = node_url
    settings.YIWANG_HUB_OIDC_CLIENT_ID = hub.client_id
    settings.YIWANG_HUB_OIDC_CLIENT_SECRET = CLIENT_SECRET
    caches = {"default": dict(settings.CACHES["default"])}
    caches["default"]["KEY_PREFIX"] = f"fedsso-browser-{uuid.uuid4().hex}"
    if "locmem" in caches["default"]["BACKEND"]:
        caches["default"]["LOCATION"] = caches["default"]["KEY_PREFIX"]
    settings.CACHES = caches
    Peer.objects.create(
        code=HUB_CODE,
        name=HUB_NAME,
        role=NodeRole.HUB,
        base_url=hub.url.replace("127.0.0.1", "localhost"),
        public_hex="22" * 64,
    )
    context = browser.new_context(base_url=node_url, locale="zh-CN", viewport=PHONE)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()
    from live_requests import REQUESTS_IN_FLIGHT

    REQUESTS_IN_FLIGHT.wait_idle()


def _sign_in_at_hub(page: Any, hub: Hub, phone: str) -> None:
    page.get_by_label("手机号码或账户名").fill(phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.get_by_role("heading", name="输入短信验证码").wait_for()
    page.get_by_label("短信验证码").fill(hub.sms_code(phone))
    page.get_by_role("button", name="登录", exact=True).click()


def _hub_person(hub: Hub, name: str) -> tuple[str, str]:
    phone, number = make_phone(), make_resident_id()
    hub.setup(people=[{"phone": phone, "resident_id": number, "name": name, "level": RealNameLevel.L2}])
    return phone, number


def test_sign_in_with_the_national_platform_account(node_page: Any, hub: Hub) -> None:
    phone, number = _hub_person(hub, "褚浏览")
    page = node_page
    hub_url = hub.url.replace("127.0.0.1", "localhost")

    # The person is signed in at the national platform (its own sign-in: password, then SMS code).
    page.goto(f"{hub_url}/account/signin/")
    _sign_in_at_hub(page, hub, phone)
    page.get_by_role("heading", name="我的账户").wait_for()
    assert page.url.startswith(hub_url)

    # On this node: choose the national platform's unified sign-in; back here signed in, never registered.
    page.goto("/federation/sso/?next=/account/")
    page.get_by_role("heading", name="统一身份认证登录").wait_for()
    assert not describe(axe_violations(page)), describe(axe_violations(page))
    page.get_by_role("link", name="使用国家政务服务平台统一身份认证登录").click()
    page.get_by_text("无需再次注册").wait_for()
    assert not page.url.startswith(hub_url) and page.url.endswith("/account/")
    content = page.content()
    assert "褚浏览" in content and number[:3] + "*" * 11 + number[-4:] in content
    assert not describe(axe_violations(page)), describe(axe_violations(page))
    assert PersonIdentity.objects.get(user__display_name="褚浏览").level == RealNameLevel.L2


def test_sign_in_at_the_hub_in_the_middle_of_the_journey(node_page: Any, hub: Hub) -> None:
    phone, _number = _hub_person(hub, "卫途中")
    page = node_page
    page.goto("/federation/sso/?next=/account/")
    page.get_by_role("link", name="使用国家政务服务平台统一身份认证登录").click()
    page.get_by_label("手机号码或账户名").wait_for()
    _sign_in_at_hub(page, hub, phone)
    page.get_by_text("无需再次注册").wait_for(timeout=5_000)


def test_a_refused_sign_in_says_why(node_page: Any) -> None:
    page = node_page
    page.goto("/federation/sso/callback/?state=forged&code=forged")
    page.get_by_role("heading", name="统一身份认证登录未成功").wait_for()
    assert "登录请求无效或已使用过" in page.get_by_role("alert").inner_text()
    assert not describe(axe_violations(page)), describe(axe_violations(page))
    page.get_by_role("link", name="重新发起统一身份认证登录").click()
    page.get_by_role("heading", name="统一身份认证登录").wait_for()
