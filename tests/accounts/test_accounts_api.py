"""The identity API (/api/accounts/): session and OIDC bearer authentication, scopes, the representative's
agent authorisations, precise Chinese errors, and never another person's or enterprise's data."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model

from accounts.identity_factories import authorise, make_enterprise, make_person, make_staff
from catalog.factories import make_organisation
from yiwang.accounts import services
from yiwang.accounts.enterprises import SESSION_KEY
from yiwang.accounts.models import AgentAuthorisation, RealNameLevel, Role, User
from yiwang.accounts.totp import SESSION_FLAG
from yiwang.core.models import AuditEntry
from yiwang.sso.models import TokenContext

pytestmark = pytest.mark.django_db

API = "/api/accounts"


def session_client(user: User, **session: Any) -> Client:
    client = Client()
    client.force_login(user)
    if session:
        store = client.session
        store.update(session)
        store.save()
    return client


def bearer(
    user: User, scope: str, *, expires_in: int = 900, enterprise_id: int | None = None
) -> dict[str, str]:
    Application = get_application_model()
    app = Application.objects.create(
        name="测试系统",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://rp.example.test/callback",
    )
    value = secrets.token_urlsafe(24)
    token = get_access_token_model().objects.create(
        user=user,
        application=app,
        token=value,
        scope=scope,
        expires=timezone.now() + dt.timedelta(seconds=expires_in),
    )
    if enterprise_id:
        TokenContext.objects.create(access_token=token, enterprise_id=enterprise_id)
    return {"HTTP_AUTHORIZATION": f"Bearer {value}"}


def in_a_month() -> str:
    return (timezone.localdate() + dt.timedelta(days=30)).isoformat()


# --- authentication ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/me"),
        ("get", "/me/enterprises"),
        ("get", "/enterprises/1/agents"),
        ("post", "/enterprises/1/agents"),
        ("delete", "/enterprises/1/agents/1"),
    ],
)
def test_anonymous_callers_are_told_how_to_sign_in(method: str, path: str) -> None:
    response = getattr(Client(), method)(API + path, content_type="application/json")
    assert response.status_code == 401
    assert "请先登录" in response.json()["detail"]


def test_session_me_gives_the_masked_id_and_level_never_the_number() -> None:
    person = make_person(level=RealNameLevel.L2, name="王小明")
    response = session_client(person).get(f"{API}/me")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "王小明"
    assert body["real_name_level"] == 2
    assert body["resident_id_masked"] and "*" in body["resident_id_masked"]
    assert body["phone_masked"] == f"{person.phone[:3]}****{person.phone[-4:]}"
    assert body["authenticated_via"] == "session"
    assert body["acting_enterprise"] is None
    assert services.resident_id_of(person) not in response.content.decode()


def test_bearer_token_reads_only_what_its_scopes_allow() -> None:
    person = make_person(level=RealNameLevel.L2, name="李四")
    profile_only = Client().get(f"{API}/me", **bearer(person, "openid profile")).json()
    assert profile_only["name"] == "李四"
    assert profile_only["authenticated_via"] == "bearer"
    assert profile_only["resident_id_masked"] is None and profile_only["real_name_level"] is None

    with_identity = Client().get(f"{API}/me", **bearer(person, "openid identity")).json()
    assert with_identity["name"] is None and with_identity["phone_masked"] is None
    assert with_identity["real_name_level"] == 2 and with_identity["resident_id_masked"]

    refused = Client().get(f"{API}/me/enterprises", **bearer(person, "openid profile"))
    assert refused.status_code == 403
    assert "enterprise" in refused.json()["detail"]


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer "])
def test_unknown_bearer_tokens_are_refused(header: str) -> None:
    response = Client().get(f"{API}/me", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert "访问令牌无效" in response.json()["detail"]


def test_expired_and_revoked_tokens_are_refused() -> None:
    person = make_person()
    expired = bearer(person, "openid profile", expires_in=-1)
    assert Client().get(f"{API}/me", **expired).status_code == 401

    live = bearer(person, "openid profile")
    assert Client().get(f"{API}/me", **live).status_code == 200
    services.end_all_sessions(person, actor=person)  # also revokes the person's SSO tokens
    assert Client().get(f"{API}/me", **live).status_code == 401


def test_staff_need_the_second_factor_in_their_session() -> None:
    organisation = make_organisation()
    staff = make_staff(organisation, Role.REVIEWER)
    client = session_client(staff)  # tests' force_login includes the second factor: take it away
    session = client.session
    del session[SESSION_FLAG]
    session.save()
    refused = client.get(f"{API}/me")
    assert refused.status_code == 401
    assert "动态口令" in refused.json()["detail"]

    verified = session_client(staff).get(f"{API}/me")
    assert verified.status_code == 200
    roles = verified.json()["staff_roles"]
    assert [(r["organisation"], r["role"]) for r in roles] == [(organisation.name, "reviewer")]


def test_session_writes_need_the_csrf_token() -> None:
    enterprise = make_enterprise()
    agent = make_person()
    client = Client(enforce_csrf_checks=True)
    client.force_login(enterprise.representative)
    payload = {"agent_phone": agent.phone, "all_items": True, "valid_until": in_a_month()}
    response = client.post(
        f"{API}/enterprises/{enterprise.pk}/agents", json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not AgentAuthorisation.objects.exists()

    client.get("/account/")  # sets the csrftoken cookie like any page
    response = client.post(
        f"{API}/enterprises/{enterprise.pk}/agents",
        json.dumps(payload),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )
    assert response.status_code == 201, response.content


# --- enterprises and agents ------------------------------------------------------------------------------


def test_my_enterprises_lists_represented_and_authorised_ones_with_scope() -> None:
    own = make_enterprise()
    other = make_enterprise(name="别人的公司")
    representative = own.representative
    authorise(other, representative, codes=("A-1", "B-2"))

    rows = session_client(representative, **{SESSION_KEY: other.pk}).get(f"{API}/me/enterprises").json()
    by_name = {row["name"]: row for row in rows}
    assert by_name[own.name]["role"] == "representative" and by_name[own.name]["item_codes"] == "all"
    assert by_name[own.name]["valid_until"] is None and not by_name[own.name]["acting"]
    assert by_name["别人的公司"]["role"] == "agent" and by_name["别人的公司"]["item_codes"] == ["A-1", "B-2"]
    assert by_name["别人的公司"]["acting"] and by_name["别人的公司"]["valid_until"]


def test_acting_enterprise_travels_with_the_token_and_ends_with_the_authorisation() -> None:
    enterprise = make_enterprise()
    agent = make_person()
    grant = authorise(enterprise, agent, all_items=True)
    headers = bearer(agent, "openid enterprise", enterprise_id=enterprise.pk)
    acting = Client().get(f"{API}/me", **headers).json()["acting_enterprise"]
    assert acting == {
        "id": enterprise.pk,
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "role": "agent",
        "item_codes": "all",
    }
    representative = session_client(enterprise.representative)
    assert representative.delete(f"{API}/enterprises/{enterprise.pk}/agents/{grant.pk}").status_code == 200
    assert Client().get(f"{API}/me", **headers).json()["acting_enterprise"] is None
    assert Client().get(f"{API}/me/enterprises", **headers).json() == []


def test_representative_authorises_lists_and_revokes_an_agent() -> None:
    enterprise = make_enterprise()
    agent = make_person(name="赵经办")
    client = session_client(enterprise.representative)
    created = client.post(
        f"{API}/enterprises/{enterprise.pk}/agents",
        {"agent_phone": agent.phone, "item_codes": ["X-2", "X-1", "X-1"], "valid_until": in_a_month()},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    row = created.json()
    assert row["agent_name"] == "赵经办" and row["item_codes"] == ["X-1", "X-2"] and row["status"] == "active"
    assert row["agent_phone_masked"] == f"{agent.phone[:3]}****{agent.phone[-4:]}"
    assert agent.phone not in created.content.decode()

    listed = client.get(f"{API}/enterprises/{enterprise.pk}/agents").json()
    assert [r["id"] for r in listed] == [row["id"]]

    revoked = client.delete(f"{API}/enterprises/{enterprise.pk}/agents/{row['id']}")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    again = client.delete(f"{API}/enterprises/{enterprise.pk}/agents/{row['id']}")
    assert again.status_code == 409 and "已经撤销" in again.json()["detail"]
    assert AuditEntry.objects.filter(action="enterprise.agent_revoked", object_id=str(row["id"])).count() == 1


def test_representative_can_use_a_token_with_the_enterprise_scope() -> None:
    enterprise = make_enterprise()
    agent = make_person()
    headers = bearer(enterprise.representative, "openid enterprise")
    response = Client().post(
        f"{API}/enterprises/{enterprise.pk}/agents",
        {"agent_phone": agent.phone, "all_items": True, "valid_until": in_a_month()},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201, response.content
    no_scope = bearer(enterprise.representative, "openid profile")
    assert Client().get(f"{API}/enterprises/{enterprise.pk}/agents", **no_scope).status_code == 403


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"agent_phone": "1234", "all_items": True}, "agent_phone", "手机号码"),
        ({"agent_phone": "13800000000", "all_items": True}, "agent_phone", "尚未注册"),
        ({"agent_phone": "AGENT", "all_items": False}, "item_codes", "全部事项"),
        (
            {"agent_phone": "AGENT", "all_items": True, "valid_until": "2020-01-01"},
            "valid_until",
            "晚于当前时间",
        ),
    ],
)
def test_bad_authorisations_get_precise_errors(payload: dict[str, Any], field: str, words: str) -> None:
    enterprise = make_enterprise()
    agent = make_person()
    body = {"valid_until": in_a_month(), **payload}
    if body["agent_phone"] == "AGENT":
        body["agent_phone"] = agent.phone
    response = session_client(enterprise.representative).post(
        f"{API}/enterprises/{enterprise.pk}/agents", body, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert any(e["field"] == field and words in e["message"] for e in errors), errors
    assert not AgentAuthorisation.objects.exists()


def test_malformed_dates_are_explained_in_chinese() -> None:
    enterprise = make_enterprise()
    response = session_client(enterprise.representative).post(
        f"{API}/enterprises/{enterprise.pk}/agents",
        {"agent_phone": "13800000000", "valid_until": "31/12/2026"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "请求参数不正确" in response.json()["detail"]


# --- never another person's or enterprise's data --------------------------------------------------------


def test_no_one_sees_or_touches_another_enterprises_authorisations() -> None:
    enterprise = make_enterprise(name="甲公司")
    agent = make_person(name="甲的经办人")
    grant = authorise(enterprise, agent, all_items=True)
    outsider = make_person(level=RealNameLevel.L2, name="路人")
    own = make_enterprise(representative=outsider, name="乙公司")

    for caller in (session_client(outsider), session_client(agent)):
        listed = caller.get(f"{API}/enterprises/{enterprise.pk}/agents")
        assert listed.status_code == 404
        assert "法定代表人" in listed.json()["detail"]
        created = caller.post(
            f"{API}/enterprises/{enterprise.pk}/agents",
            {"agent_phone": outsider.phone, "all_items": True, "valid_until": in_a_month()},
            content_type="application/json",
        )
        assert created.status_code == 404
        assert caller.delete(f"{API}/enterprises/{enterprise.pk}/agents/{grant.pk}").status_code == 404
    # Nor through one's own enterprise: the grant id belongs to another enterprise.
    cross = session_client(outsider).delete(f"{API}/enterprises/{own.pk}/agents/{grant.pk}")
    assert cross.status_code == 404
    # A non-existent enterprise answers exactly like someone else's: no probing for existence.
    missing = session_client(outsider).get(f"{API}/enterprises/999999/agents")
    assert missing.json() == session_client(outsider).get(f"{API}/enterprises/{enterprise.pk}/agents").json()

    grant.refresh_from_db()
    assert grant.revoked_at is None
    assert AgentAuthorisation.objects.filter(enterprise=enterprise).count() == 1

    outsider_view = json.dumps(
        [session_client(outsider).get(f"{API}/{p}").json() for p in ("me", "me/enterprises")],
        ensure_ascii=False,
    )
    for secret in (
        "甲公司",
        enterprise.uscc,
        "甲的经办人",
        agent.phone,
        enterprise.representative.display_name,
    ):
        assert secret not in outsider_view
    assert "乙公司" in outsider_view


def test_a_person_sees_only_their_own_profile_whatever_they_send() -> None:
    me = make_person(name="本人")
    other = make_person(level=RealNameLevel.L2, name="他人")
    other_identity = other.identity.resident_id_masked
    for query in (f"?user={other.pk}", f"?username={other.username}"):
        text = session_client(me).get(f"{API}/me{query}").content.decode()
        assert "本人" in text
        assert "他人" not in text and other.phone not in text and other_identity not in text
    # Someone else's token is theirs, not the session's owner.
    body = Client().get(f"{API}/me", **bearer(other, "openid profile")).json()
    assert body["name"] == "他人"
