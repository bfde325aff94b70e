"""Authorization matrix for the identity pages: every page × every kind of visitor, allowed or denied."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.identity_factories import authorise, make_enterprise, make_person, make_staff
from catalog.factories import make_organisation, make_region
from yiwang.accounts import permissions
from yiwang.accounts.models import Role, User

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "person",
    "agent",
    "representative",
    *[f"staff:{r}" for r in Role.values],
    "other_org_staff",
]


@pytest.fixture
def world() -> dict[str, Any]:
    org = make_organisation(make_region("330100"))
    other_org = make_organisation(make_region("330200", name="宁波市"))
    enterprise = make_enterprise()
    agent = make_person()
    authorise(enterprise, agent, codes=("CODE-1",))
    users: dict[str, Any] = {
        "anonymous": None,
        "person": make_person(),
        "agent": agent,
        "representative": enterprise.representative,
        "other_org_staff": make_staff(other_org, Role.ADMIN),
    }
    for role in Role.values:
        users[f"staff:{role}"] = make_staff(org, role)
    return {"users": users, "enterprise": enterprise, "org": org, "other_org": other_org}


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# page → visitors that may open it (others are sent to sign-in, or get 403/404)
SIGNED_IN = set(ROLES) - {"anonymous"}


@pytest.mark.parametrize("visitor", ROLES)
def test_account_pages(world: dict[str, Any], visitor: str) -> None:
    enterprise = world["enterprise"]
    client = client_for(world["users"][visitor])
    expectations = {
        "/account/": visitor in SIGNED_IN,
        "/account/level/": visitor in SIGNED_IN,
        "/account/enterprise/": visitor in SIGNED_IN,
        "/account/data/": visitor in SIGNED_IN,
        "/account/data/download/": visitor in SIGNED_IN,
        f"/account/enterprise/{enterprise.pk}/agents/": visitor == "representative",
    }
    for url, allowed in expectations.items():
        status = client.get(url).status_code
        if allowed:
            assert status == 200, (visitor, url, status)
        else:
            assert status in (302, 403, 404), (visitor, url, status)
    for url in ["/account/signin/", "/account/register/", "/account/password-reset/"]:
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("visitor", ROLES)
def test_only_the_representative_can_authorise_or_revoke(world: dict[str, Any], visitor: str) -> None:
    enterprise = world["enterprise"]
    grant = enterprise.authorisations.get()
    client = client_for(world["users"][visitor])
    stranger = make_person()
    client.post(
        f"/account/enterprise/{enterprise.pk}/agents/",
        {"agent_phone": stranger.phone, "all_items": "on", "valid_until": "2099-01-01"},
    )
    client.post(f"/account/enterprise/{enterprise.pk}/agents/{grant.pk}/revoke/")
    grant.refresh_from_db()
    created = permissions.may_act_for(stranger, enterprise)
    if visitor == "representative":
        assert created and grant.revoked_at is not None
    else:
        assert not created and grant.revoked_at is None


@pytest.mark.parametrize("visitor", ROLES)
def test_enterprise_lists_never_leak(world: dict[str, Any], visitor: str) -> None:
    enterprise = world["enterprise"]
    user = world["users"][visitor]
    listed = list(permissions.enterprises_for(user)) if user else list(permissions.enterprises_for(None))
    assert listed == ([enterprise] if visitor in {"agent", "representative"} else [])
    page = client_for(user).get("/account/enterprise/")
    if visitor in {"agent", "representative"}:
        assert enterprise.uscc in page.content.decode()
    elif page.status_code == 200:
        assert enterprise.uscc not in page.content.decode()


@pytest.mark.parametrize("visitor", ROLES)
def test_staff_scope_per_role(world: dict[str, Any], visitor: str) -> None:
    user = world["users"][visitor]
    org, other_org = world["org"], world["other_org"]
    for role in Role.values:
        mine = visitor == f"staff:{role}"
        assert permissions.has_role(user, role, org) is mine
        assert permissions.has_role(user, role, other_org) is (
            visitor == "other_org_staff" and role == Role.ADMIN
        )


@pytest.mark.parametrize("visitor", ROLES)
def test_admin_is_for_admin_staff_only(world: dict[str, Any], visitor: str) -> None:
    user = world["users"][visitor]
    status = client_for(user).get("/admin/").status_code
    assert status == 302  # nobody here is is_staff: all are sent to the (staff) sign-in
