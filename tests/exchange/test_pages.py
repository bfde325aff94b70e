"""Exchange pages: a consumer requests a grant, the provider approves it, the person sees who read their
data; other staff cannot decide on another organisation's resources."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from accounts.identity_factories import make_person, make_staff
from catalog.factories import make_organisation
from exchange.exchange_factories import grant, population_resource
from yiwang.accounts import services as account_services
from yiwang.accounts.models import Role
from yiwang.exchange import gateway
from yiwang.exchange.models import Credential, Grant, GrantStatus

pytestmark = pytest.mark.django_db


def test_request_then_approve_through_the_pages(client: Client) -> None:
    resource = population_resource()
    consumer = make_organisation(name="市民政局")
    requester = make_staff(consumer, Role.ADMIN)
    approver = make_staff(resource.provider, Role.ADMIN)

    client.force_login(requester)
    page = client.get("/exchange/")
    assert page.status_code == 200 and "人口基础信息" in page.content.decode()
    response = client.post(
        f"/exchange/resources/{resource.code}/",
        {
            "consumer": consumer.pk,
            "items": ["name", "household_status"],
            "purpose": "办理低保审批时核验户籍",
            "basis": "《社会救助暂行办法》",
            "days": 180,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    request = Grant.objects.get(consumer=consumer)
    assert request.status == GrantStatus.PENDING and request.fields == ["name", "household_status"]

    # The requester cannot approve their own request.
    client.post(f"/exchange/grants/{request.pk}/", {"action": "approve", "approve-items": ["name"]})
    assert Grant.objects.get(pk=request.pk).status == GrantStatus.PENDING

    client.force_login(approver)
    assert "市民政局" in client.get("/exchange/grants/").content.decode()
    until = timezone.localdate() + dt.timedelta(days=90)
    response = client.post(
        f"/exchange/grants/{request.pk}/",
        {"action": "approve", "approve-items": ["name"], "approve-valid_until": until.isoformat()},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == GrantStatus.APPROVED and request.fields == ["name"]
    assert timezone.localtime(request.valid_until).date() == until


def test_refusing_needs_a_reason_and_strangers_see_nothing(client: Client) -> None:
    resource = population_resource()
    consumer = make_organisation()
    pending = Grant.objects.create(resource=resource, consumer=consumer, fields=["name"], purpose="核验")
    client.force_login(make_staff(make_organisation(), Role.ADMIN))
    assert client.get(f"/exchange/grants/{pending.pk}/").status_code == 404

    client.force_login(make_staff(resource.provider, Role.ADMIN))
    client.post(f"/exchange/grants/{pending.pk}/", {"action": "refuse", "reason-reason": ""})
    assert Grant.objects.get(pk=pending.pk).status == GrantStatus.PENDING
    client.post(f"/exchange/grants/{pending.pk}/", {"action": "refuse", "reason-reason": "用途与资源无关"})
    assert Grant.objects.get(pk=pending.pk).status == GrantStatus.REFUSED


def test_a_person_sees_who_read_their_data_and_nobody_elses(client: Client) -> None:
    resource = population_resource()
    consumer = make_organisation(name="市医保局")
    grant(resource, consumer, ["name"])
    person = make_person()
    gateway.query(
        consumer,
        gateway.Query(
            resource_code=resource.code,
            fields=["name"],
            subject=account_services.resident_id_of(person),
            purpose="办理医保参保登记",
            case_number="33010020261122000009",
        ),
    )
    client.force_login(person)
    page = client.get("/exchange/me/").content.decode()
    assert "市医保局" in page and "办理医保参保登记" in page and "33010020261122000009" in page
    assert client.get("/api/exchange/me/reads").json()[0]["consumer"] == "市医保局"

    client.force_login(make_person())
    assert "市医保局" not in client.get("/exchange/me/").content.decode()


def test_an_administrator_issues_a_key_and_sees_the_private_key_once(client: Client) -> None:
    organisation = make_organisation()
    client.force_login(make_staff(organisation, Role.ADMIN))
    client.post(f"/exchange/keys/issue/{organisation.pk}/", {"label": "业务系统"})
    credential = Credential.objects.get(organisation=organisation)
    first = client.get("/exchange/keys/").content.decode()
    assert credential.key_id in first and "私钥只显示这一次" in first
    assert "私钥只显示这一次" not in client.get("/exchange/keys/").content.decode()
    client.post(f"/exchange/keys/{credential.key_id}/revoke/")
    assert Credential.objects.get(pk=credential.pk).revoked_at is not None


def test_catalogue_api_and_reduced_materials_api(client: Client) -> None:
    population_resource()
    rows = client.get("/api/exchange/resources").json()
    assert rows[0]["code"] == "330000-GA-0001" and rows[0]["sharing_type"] == "conditional"
    assert rows[0]["connected"] and {f["code"] for f in rows[0]["fields"]} >= {"name", "household_status"}
    assert client.get("/api/exchange/resources/nope").status_code == 404
    assert client.get("/api/exchange/reduced-materials").json() == []
    client.force_login(make_staff(make_organisation(), Role.WINDOW))
    assert client.get("/exchange/reduced/").status_code == 200
