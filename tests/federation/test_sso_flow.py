"""Identity across nodes, end to end: a person registered on the hub (a second server process with its own
database) signs in on this node through OIDC code + PKCE, keeps their real-name level, gets ONE local
account, and the refusals (replayed state, provider refusal, unconfigured peer) say what went wrong."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
import requests
from django.test import Client

from accounts.identity_factories import make_person, make_phone, make_resident_id
from federation.federation_sso_hub import CLIENT_SECRET, HUB_CODE, HUB_NAME, NODE_URL, Hub
from yiwang.accounts.models import PersonIdentity, RealNameLevel, User, UserSession
from yiwang.core.models import AuditEntry
from yiwang.federation import sso_trust
from yiwang.federation.models import NodeRole, Peer

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def people(hub: Hub) -> dict[str, dict[str, Any]]:
    """People registered on the hub (one call to the hub's database for the whole module)."""
    specs = {
        key: {"phone": make_phone(), "resident_id": make_resident_id(), "name": name, "level": level}
        for key, name, level in (
            ("l2", "钱多多", RealNameLevel.L2),
            ("l1", "孙小小", RealNameLevel.L1),
            ("l3", "周大大", RealNameLevel.L3),
            ("local", "吴本地", RealNameLevel.L2),
            ("replay", "郑重复", RealNameLevel.L2),
            ("peer", "王节点", RealNameLevel.L2),
        )
    }
    hub.setup(people=list(specs.values()))
    return specs


@pytest.fixture
def node(settings: Any, hub: Hub) -> Iterator[Peer]:
    """This process is node 330100; the hub process is its trusted provider."""
    settings.YIWANG_NODE_CODE = "330100"
    settings.YIWANG_NODE_URL = NODE_URL
    settings.YIWANG_HUB_OIDC_CLIENT_ID = hub.client_id
    settings.YIWANG_HUB_OIDC_CLIENT_SECRET = CLIENT_SECRET
    caches = {"default": dict(settings.CACHES["default"])}
    caches["default"]["KEY_PREFIX"] = f"fedsso-{uuid.uuid4().hex}"
    if "locmem" in caches["default"]["BACKEND"]:
        caches["default"]["LOCATION"] = caches["default"]["KEY_PREFIX"]
    settings.CACHES = caches
    yield Peer.objects.create(
        code=HUB_CODE, name=HUB_NAME, role=NodeRole.HUB, base_url=hub.url, public_hex="22" * 64
    )


def _local(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.path}?{parsed.query}"


def sign_in(
    client: Client,
    hub: Hub,
    phone: str,
    *,
    peer: str = HUB_CODE,
    next_url: str = "",
    browser: requests.Session | None = None,
) -> Any:
    """Node → hub (person signs in there unless `browser` already is; trusted client: no consent screen)
    → node callback."""
    start = client.get(f"/federation/sso/start/{peer}/", {"next": next_url} if next_url else {})
    assert start.status_code == 302 and start["Location"].startswith(f"{hub.url}/o/authorize/"), start
    browser = browser or hub.signed_in_browser(phone)
    back = browser.get(start["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text[:500]
    assert back.headers["Location"].startswith(f"{NODE_URL}/federation/sso/callback/?")
    return client.get(_local(back.headers["Location"]))


def test_first_sign_in_creates_one_account_at_the_hub_level(node: Peer, hub: Hub, people: dict) -> None:
    person = people["l2"]
    client = Client()
    hub_browser = hub.signed_in_browser(person["phone"])
    response = sign_in(client, hub, person["phone"], next_url="/account/level/", browser=hub_browser)
    assert response.status_code == 302 and response["Location"] == "/account/level/"

    user = User.objects.get(
        username=sso_trust.subject_username(
            sso_trust.provider_for(HUB_CODE), str(hub.people[person["phone"]])
        )
    )
    identity = PersonIdentity.objects.get(user=user)
    assert identity.level == RealNameLevel.L2 and identity.level_source == f"federation:{HUB_CODE}"
    assert (
        identity.resident_id_masked.startswith(person["resident_id"][:1])
        and "*" in identity.resident_id_masked
    )
    assert user.display_name == "钱多多" and not user.has_usable_password()
    assert UserSession.objects.get(user=user).method == f"federation:{HUB_CODE}"
    page = client.get("/account/")
    assert page.status_code == 200 and "钱多多" in page.content.decode()
    actions = list(AuditEntry.objects.filter(object_id=str(user.pk)).values_list("action", flat=True))
    assert "federation.sso.account_created" in actions and "federation.sso.signed_in" in actions

    # Signed in at the hub already: a second node session is single sign-on, to the same account.
    second = Client()
    assert sign_in(second, hub, person["phone"], browser=hub_browser).status_code == 302
    assert sign_in(Client(), hub, person["phone"], browser=hub_browser).status_code == 302
    assert User.objects.filter(identity__resident_id_masked=identity.resident_id_masked).count() == 1
    signed_in = AuditEntry.objects.filter(object_id=str(user.pk), action="federation.sso.signed_in").count()
    created = AuditEntry.objects.filter(
        object_id=str(user.pk), action="federation.sso.account_created"
    ).count()
    assert (signed_in, created) == (3, 1)

    # Sign out here ends the hub session too (RP-initiated logout with the ID token as hint).
    out = second.post("/federation/sso/signout/")
    assert out.status_code == 302 and out["Location"].startswith(f"{hub.url}/o/logout/?id_token_hint=")
    assert second.get("/account/").status_code == 302  # signed out here
    at_hub = hub_browser.get(out["Location"], allow_redirects=False, timeout=10)
    if at_hub.status_code == 200:  # the hub asks the person to confirm (OIDC RP-initiated logout: SHOULD ask)
        assert "请求退出您的一网登录" in at_hub.text
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', at_hub.text))
        fields["allow"] = "Logout"
        at_hub = hub_browser.post(
            at_hub.url, data=fields, headers={"Referer": at_hub.url}, allow_redirects=False
        )
    assert at_hub.status_code == 302 and at_hub.headers["Location"] == f"{NODE_URL}/account/signin/"
    assert hub_browser.get(f"{hub.url}/account/", allow_redirects=False, timeout=10).status_code == 302
    assert client.get("/account/").status_code == 200  # the first node session is its own sign-in


def test_level_is_never_raised_above_what_the_hub_asserts(node: Peer, hub: Hub, people: dict) -> None:
    sign_in(Client(), hub, people["l1"]["phone"])
    sign_in(Client(), hub, people["l3"]["phone"])
    levels = dict(
        PersonIdentity.objects.filter(level_source=f"federation:{HUB_CODE}").values_list(
            "user__display_name", "level"
        )
    )
    assert levels == {"孙小小": RealNameLevel.L1, "周大大": RealNameLevel.L3}


def test_a_person_registered_here_too_keeps_their_one_account(node: Peer, hub: Hub, people: dict) -> None:
    person = people["local"]
    local = make_person(level=RealNameLevel.L1, name="吴本地", resident_id=person["resident_id"])
    response = sign_in(Client(), hub, person["phone"])
    assert response.status_code == 302
    assert User.objects.filter(identity__resident_id_index=local.identity.resident_id_index).count() == 1
    local.identity.refresh_from_db()
    assert local.identity.level == RealNameLevel.L2  # the hub's L2 raises the local L1
    assert AuditEntry.objects.filter(object_id=str(local.pk), action="federation.sso.signed_in").exists()
    assert not User.objects.filter(username__startswith=f"fed-{HUB_CODE}-", display_name="吴本地").exists()


def test_replayed_state_is_refused(node: Peer, hub: Hub, people: dict) -> None:
    client = Client()
    start = client.get(f"/federation/sso/start/{HUB_CODE}/")
    back = hub.signed_in_browser(people["replay"]["phone"]).get(
        start["Location"], allow_redirects=False, timeout=10
    )
    callback = _local(back.headers["Location"])
    assert client.get(callback).status_code == 302
    replay = client.get(callback)
    assert replay.status_code == 400
    assert "登录请求无效或已使用过" in replay.content.decode()
    stranger = Client().get(callback)  # another browser presenting the same code and state
    assert stranger.status_code == 400 and "登录请求无效或已使用过" in stranger.content.decode()
    assert AuditEntry.objects.filter(action="federation.sso.refused").count() == 2


def test_refusal_at_the_provider_is_explained(node: Peer, hub: Hub) -> None:
    client = Client()
    start = client.get(f"/federation/sso/start/{HUB_CODE}/")
    state = dict(p.split("=", 1) for p in urlparse(start["Location"]).query.split("&"))["state"]
    response = client.get("/federation/sso/callback/", {"state": state, "error": "access_denied"})
    assert response.status_code == 400
    assert "统一身份认证平台未同意本次登录" in response.content.decode()


def test_unconfigured_or_unknown_peers_are_refused(node: Peer, settings: Any) -> None:
    assert Client().get("/federation/sso/start/999999/").status_code == 404
    settings.YIWANG_HUB_OIDC_CLIENT_SECRET = ""
    response = Client().get(f"/federation/sso/start/{HUB_CODE}/")
    assert response.status_code == 404 and "尚未在" in response.content.decode()
    assert "本平台尚未配置统一身份认证" in Client().get("/federation/sso/").content.decode()


def test_node_to_node_trust_uses_the_same_flow(node: Peer, hub: Hub, people: dict, settings: Any) -> None:
    """Another node (here the second process in the node role's place) trusted directly, without the hub."""
    node.delete()
    Peer.objects.create(
        code="320100",
        name="南京市政务服务平台",
        role=NodeRole.NODE,
        base_url=hub.url,
        public_hex="33" * 64,
    )
    settings.YIWANG_HUB_OIDC_CLIENT_ID = ""
    settings.YIWANG_PEER_OIDC_CLIENTS = {
        "320100": {"client_id": hub.client_id, "client_secret": CLIENT_SECRET}
    }
    choose = Client().get("/federation/sso/").content.decode()
    assert "使用南京市政务服务平台统一身份认证登录" in choose
    response = sign_in(Client(), hub, people["peer"]["phone"], peer="320100")
    assert response.status_code == 302
    identity = PersonIdentity.objects.get(user__display_name="王节点")
    assert identity.level == RealNameLevel.L2 and identity.level_source == "federation:320100"
