"""The wallet, verification and management pages, and the JSON API."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from accounts.identity_factories import make_person, make_staff
from cases.case_factories import Office, filed_case, publish
from licences.licence_factories import approver, issue_to, make_type
from yiwang.accounts import services as account_services
from yiwang.accounts.models import Role
from yiwang.licences import rendering
from yiwang.licences.models import Licence, LicenceStatus, SigningKey, UseGrant

pytestmark = pytest.mark.django_db


def test_wallet_lists_own_licences_and_hides_others(client: Client) -> None:
    holder = make_person()
    licence = issue_to(holder)
    other = issue_to()
    client.force_login(holder)
    page = client.get("/licences/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "我的证照" in text and licence.licence_type.name in text
    assert other.identifier not in text
    detail = client.get(f"/licences/mine/{licence.identifier}/").content.decode()
    assert licence.holder_id_masked in detail
    assert account_services.resident_id_of(holder) not in detail  # never unmasked on screen
    assert client.get(f"/licences/mine/{other.identifier}/").status_code == 404
    assert client.get(f"/licences/mine/{other.identifier}/pdf").status_code == 404


def test_wallet_needs_sign_in(client: Client) -> None:
    response = client.get("/licences/")
    assert response.status_code == 302 and "signin" in response["Location"]


def test_download_disclosure_and_grant_through_the_pages(client: Client) -> None:
    holder = make_person()
    licence = issue_to(holder)
    client.force_login(holder)
    response = client.get(f"/licences/mine/{licence.identifier}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")

    client.post(f"/licences/mine/{licence.identifier}/disclosure", {"public_fields": ["holder_name"]})
    assert Licence.objects.get(pk=licence.pk).public_fields == ["holder_name"]
    bad = client.post(f"/licences/mine/{licence.identifier}/disclosure", {"public_fields": ["nope"]})
    assert bad.status_code == 400

    office = Office()
    case = filed_case(publish(office.organisation), holder)
    refused = client.post(f"/licences/mine/{licence.identifier}/grant", {"case": "", "days": "30"})
    assert refused.status_code == 400 and "请选择要授权用证的办件" in refused.content.decode()
    client.post(f"/licences/mine/{licence.identifier}/grant", {"case": str(case.pk), "days": "30"})
    grant = UseGrant.objects.get(licence=licence)
    assert grant.organisation == office.organisation and grant.case == case
    client.post(f"/licences/mine/{licence.identifier}/grants/{grant.pk}/revoke")
    assert UseGrant.objects.get(pk=grant.pk).revoked_at is not None


def test_public_verification_page(client: Client) -> None:
    licence = issue_to()
    ok = client.get("/licences/verify/", {"identifier": licence.identifier}).content.decode()
    assert "证照真实有效" in ok and "新建住宅楼施工" in ok and "杭州市西湖区文三路100号" not in ok
    wrong = client.get("/licences/verify/", {"identifier": licence.identifier[:-1] + "Z"}).content.decode()
    assert "校验位不正确" in wrong
    by_qr = client.get("/licences/verify/", {"q": rendering.qr_payload(licence)}).content.decode()
    assert "证照真实有效" in by_qr
    pdf = rendering.pdf_for_download(licence)
    by_file = client.post("/licences/verify/", {"file": io.BytesIO(pdf)}).content.decode()
    assert "与签发的文件逐字节一致" in by_file


def test_management_page_changes_status_for_the_issuers_approver_only(client: Client) -> None:
    licence = issue_to()
    official = approver(licence.issuer)
    client.force_login(make_staff(licence.issuer, Role.WINDOW))
    assert client.get(f"/licences/manage/{licence.identifier}/").status_code == 404
    client.force_login(official)
    listing = client.get("/licences/manage/", {"q": licence.identifier}).content.decode()
    assert licence.identifier in listing
    missing_reason = client.post(
        f"/licences/manage/{licence.identifier}/", {"action": "revoke", "reason": ""}
    )
    assert missing_reason.status_code == 400
    client.post(f"/licences/manage/{licence.identifier}/", {"action": "revoke", "reason": "以欺骗手段取得"})
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.REVOKED


def test_api_keys_and_verification(client: Client) -> None:
    licence = issue_to()
    keys = client.get("/api/licences/keys").json()
    assert [k["fingerprint"] for k in keys] == [licence.signing_key.fingerprint]
    assert keys[0]["organisation_code"] == licence.issuer.uscc and len(keys[0]["public_key"]) == 128
    result = client.get("/api/licences/verify", {"identifier": licence.identifier}).json()
    assert result["valid"] and result["fields"] == [
        {"name": "application_matter", "label": "许可事项", "value": "新建住宅楼施工"}
    ]
    payload = client.post(
        "/api/licences/verify/payload",
        {"payload": rendering.qr_payload(licence)},
        content_type="application/json",
    ).json()
    assert payload["valid"]
    upload = client.post(
        "/api/licences/verify/file", {"file": io.BytesIO(rendering.pdf_for_download(licence))}
    )
    assert upload.json()["file_matched"] is True


def test_api_issue_status_and_rotation_permissions(client: Client) -> None:
    licence_type = make_type()
    issuer = licence_type.issuers.get()
    person = make_person()
    body = {
        "type_code": licence_type.code,
        "issuer_code": issuer.uscc,
        "holder_kind": "person",
        "holder_identifier": account_services.resident_id_of(person),
        "holder_name": person.display_name,
        "data": {"address": "杭州市", "application_matter": "施工"},
    }
    assert client.post("/api/licences/issue", body, content_type="application/json").status_code == 401
    client.force_login(make_staff(issuer, Role.WINDOW))
    assert client.post("/api/licences/issue", body, content_type="application/json").status_code == 403
    client.force_login(approver(issuer))
    bad = client.post(
        "/api/licences/issue",
        {**body, "holder_identifier": "330106199003070011"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "校验位" in bad.json()["detail"]
    created = client.post("/api/licences/issue", body, content_type="application/json")
    assert created.status_code == 201
    identifier = created.json()["identifier"]
    assert created.json()["holder_id_masked"].count("*") == 11
    revoked = client.post(
        f"/api/licences/licence/{identifier}/status",
        {"action": "revoke", "reason": "违法取得"},
        content_type="application/json",
    )
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert client.get("/api/licences/verify", {"identifier": identifier}).json()["status"] == "revoked"

    rotate = client.post(
        f"/api/licences/keys/{issuer.uscc}/rotate", {"reason": "轮换"}, content_type="application/json"
    )
    assert rotate.status_code == 403
    client.force_login(make_staff(issuer, Role.ADMIN))
    rotate = client.post(
        f"/api/licences/keys/{issuer.uscc}/rotate", {"reason": "轮换"}, content_type="application/json"
    )
    assert rotate.status_code == 200
    assert SigningKey.objects.filter(organisation=issuer).count() == 2
    assert client.get("/api/licences/verify", {"identifier": identifier}).json()["signature_ok"]


def test_api_department_reads_a_shared_licence(client: Client) -> None:
    from yiwang.licences import services

    holder = make_person()
    licence = issue_to(holder)
    office = Office()
    case = filed_case(publish(office.organisation), holder)
    client.force_login(office.window)
    assert client.get(f"/api/licences/shared/{case.number}").json() == []
    services.grant_use(licence, actor=holder, case=case)
    shared = client.get(f"/api/licences/shared/{case.number}").json()
    assert [s["identifier"] for s in shared] == [licence.identifier]
    assert shared[0]["data"]["address"] == "杭州市西湖区文三路100号"
    client.force_login(Office().window)
    assert client.get(f"/api/licences/shared/{case.number}").status_code == 404


def test_issue_page_for_an_approver(client: Client) -> None:
    licence_type = make_type()
    issuer = licence_type.issuers.get()
    person = make_person()
    client.force_login(make_staff(issuer, Role.WINDOW))
    assert "没有审批/决定岗位" in client.get("/licences/manage/issue/").content.decode()
    client.force_login(approver(issuer))
    chooser = client.get("/licences/manage/issue/").content.decode()
    assert licence_type.code in chooser
    url = f"/licences/manage/issue/?type={licence_type.code}"
    form = client.get(url).content.decode()
    assert "住所" in form and "许可事项" in form
    post = {
        "issuer": str(issuer.pk),
        "holder_identifier": "330106199003070011",
        "holder_name": person.display_name,
        "data_address": "杭州市西湖区",
        "data_application_matter": "施工",
    }
    refused = client.post(url, post)
    assert refused.status_code == 400 and "校验位" in refused.content.decode()
    response = client.post(url, {**post, "holder_identifier": account_services.resident_id_of(person)})
    assert response.status_code == 302
    licence = Licence.objects.get(holder_name=person.display_name)
    assert licence.data == {"address": "杭州市西湖区", "application_matter": "施工"}
    assert response["Location"] == f"/licences/manage/{licence.identifier}/"
