"""The /account/ pages through the Django test client: sign-in steps, registration, reset, my account."""

from __future__ import annotations

import pyotp
import pytest
from django.test import Client

from accounts.identity_factories import (
    PASSWORD,
    authorise,
    make_enterprise,
    make_person,
    make_phone,
    make_resident_id,
    make_staff,
)
from catalog.factories import make_organisation
from yiwang.accounts import services, sms, totp
from yiwang.accounts.models import OtpPurpose, RealNameLevel, Role, TotpDevice, User, UserSession
from yiwang.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def sign_in_person(client: Client, user: User, capture: object) -> None:
    with capture(execute=True):  # type: ignore[operator]
        response = client.post("/account/signin/", {"identifier": user.phone, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/account/signin/code/"
    code = sms.latest_code(user.phone)
    response = client.post("/account/signin/code/", {"code": code})
    assert response.status_code == 302, response.content.decode()


def test_person_signs_in_with_password_then_sms_code(
    client: Client, django_capture_on_commit_callbacks: object
) -> None:
    person = make_person()
    sign_in_person(client, person, django_capture_on_commit_callbacks)
    page = client.get("/account/")
    assert page.status_code == 200
    html = page.content.decode()
    identity = person.identity
    assert identity.resident_id_masked in html
    assert AuditEntry.objects.filter(action="auth.signed_in", object_id=str(person.pk)).exists()
    assert UserSession.objects.filter(user=person, ended_at__isnull=True).count() == 1


def test_wrong_password_is_explained_audited_and_locks_after_five(client: Client) -> None:
    person = make_person()
    for _ in range(5):
        response = client.post(
            "/account/signin/", {"identifier": person.phone, "password": "wrong-password-1"}
        )
        assert "密码不正确" in response.content.decode()
    response = client.post("/account/signin/", {"identifier": person.phone, "password": PASSWORD})
    assert "已临时锁定" in response.content.decode()
    assert AuditEntry.objects.filter(action="auth.sign_in_failed", object_id=str(person.pk)).count() == 5


def test_wrong_and_replayed_sms_codes_do_not_sign_in(
    client: Client, django_capture_on_commit_callbacks: object
) -> None:
    person = make_person()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        client.post("/account/signin/", {"identifier": person.phone, "password": PASSWORD})
    code = sms.latest_code(person.phone)
    assert code
    wrong = client.post("/account/signin/code/", {"code": f"{(int(code) + 1) % 10**6:06d}"})
    assert "验证码不正确" in wrong.content.decode() and "error-summary" in wrong.content.decode()
    assert client.post("/account/signin/code/", {"code": code}).status_code == 302
    other = Client()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        other.post("/account/signin/", {"identifier": person.phone, "password": PASSWORD})
    replay = other.post("/account/signin/code/", {"code": code})
    assert replay.status_code == 200 and (
        "已经使用过" in replay.content.decode() or "已被更新的验证码取代" in replay.content.decode()
    )


def test_registration_page_sends_a_code_and_registers(
    client: Client, django_capture_on_commit_callbacks: object
) -> None:
    phone, number = make_phone(), make_resident_id()
    form = {"phone": phone, "name": "黄小花", "resident_id": number, "password": PASSWORD, "code": ""}
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        sent = client.post("/account/register/", {**form, "action": "send_code"})
    assert sent.status_code == 200 and "验证码已发送" in sent.content.decode()
    assert number in sent.content.decode()  # nothing the person typed is lost
    code = sms.latest_code(phone)
    done = client.post("/account/register/", {**form, "code": code, "action": "register"})
    assert done.status_code == 302 and done["Location"] == "/account/"
    user = User.objects.get(username=phone)
    assert user.identity.level == RealNameLevel.L1


def test_registration_page_shows_field_errors_with_a_summary(client: Client) -> None:
    response = client.post(
        "/account/register/",
        {
            "phone": "12345",
            "name": "",
            "resident_id": "340524198001010013",
            "password": "short",
            "code": "",
            "action": "register",
        },
    )
    html = response.content.decode()
    assert "error-summary" in html and 'href="#id_resident_id"' in html
    assert "校验位不正确" in html and "手机号码应为" in html


def test_staff_sign_in_enrols_totp_then_reaches_admin(client: Client) -> None:
    staff = make_staff(make_organisation(), Role.ADMIN, username="admin-clerk")
    User.objects.filter(pk=staff.pk).update(is_staff=True)
    assert client.get("/admin/login/?next=/admin/")["Location"].startswith("/account/staff/signin/")
    response = client.post(
        "/account/staff/signin/?next=/admin/",
        {"identifier": "admin-clerk", "password": PASSWORD, "next": "/admin/"},
    )
    assert response["Location"] == "/account/totp/"
    page = client.get("/account/totp/")
    assert "<svg" in page.content.decode() and "绑定动态口令" in page.content.decode()
    secret = totp.secret_of(TotpDevice.objects.get(user=staff))
    done = client.post("/account/totp/", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302 and done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_admin_sends_staff_without_second_factor_to_totp(client: Client) -> None:
    staff = make_staff(make_organisation(), Role.ADMIN)
    User.objects.filter(pk=staff.pk).update(is_staff=True, is_superuser=True)
    client.force_login(staff)
    session = client.session
    del session[totp.SESSION_FLAG]
    session.save()
    response = client.get("/admin/core/region/")
    assert response.status_code == 302 and response["Location"].startswith("/account/totp/?next=")


def test_sign_out_everywhere_ends_every_session(
    client: Client, django_capture_on_commit_callbacks: object
) -> None:
    person = make_person()
    other_device = Client()
    sign_in_person(client, person, django_capture_on_commit_callbacks)
    from yiwang.accounts import lockout

    lockout.reset(lockout.SMS_PER_MINUTE, f"{person.phone}:{OtpPurpose.LOGIN}")
    sign_in_person(other_device, person, django_capture_on_commit_callbacks)
    assert other_device.get("/account/").status_code == 200
    page = client.get("/account/").content.decode()
    assert page.count("password+sms") == 2
    response = client.post("/account/sessions/end-all/")
    assert response.status_code == 302
    assert other_device.get("/account/").status_code == 302  # signed out there too
    assert client.get("/account/").status_code == 302
    assert not UserSession.objects.filter(user=person, ended_at__isnull=True).exists()


def test_password_reset_by_sms(client: Client, django_capture_on_commit_callbacks: object) -> None:
    person = make_person()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        client.post("/account/password-reset/", {"phone": person.phone, "action": "send_code"})
    code = sms.latest_code(person.phone)
    new_password = "Xin-De-Mima-2025-abc"
    response = client.post(
        "/account/password-reset/",
        {"phone": person.phone, "code": code, "password": new_password, "action": "reset"},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password(new_password)
    assert AuditEntry.objects.filter(action="account.password_reset").exists()


def test_unregistered_phone_gets_the_same_answer_and_no_sms(client: Client) -> None:
    phone = make_phone()
    response = client.post("/account/password-reset/", {"phone": phone, "action": "send_code"})
    assert "如该号码已注册" in response.content.decode()
    assert sms.latest_code(phone) is None


def test_level_page_upgrades_to_l2_or_says_why_not(client: Client) -> None:
    person = make_person()
    client.force_login(person)
    assert client.post("/account/level/").status_code == 302
    person.identity.refresh_from_db()
    assert person.identity.level == RealNameLevel.L2
    stranger = make_person(in_registry=False)
    client.force_login(stranger)
    response = client.post("/account/level/")
    assert response.status_code == 400 and "人口库中没有该身份证号码" in response.content.decode()


def test_enterprise_switch_and_agent_authorisation_pages(client: Client) -> None:
    enterprise = make_enterprise()
    agent = make_person()
    client.force_login(enterprise.representative)
    response = client.post(
        f"/account/enterprise/{enterprise.pk}/agents/",
        {"agent_phone": agent.phone, "item_codes": "CODE-1\nCODE-2", "valid_until": "2099-12-31"},
    )
    assert response.status_code == 302
    grant = enterprise.authorisations.get()
    assert grant.item_codes == ["CODE-1", "CODE-2"]

    agent_client = Client()
    agent_client.force_login(agent)
    assert agent_client.get(f"/account/enterprise/{enterprise.pk}/agents/").status_code == 404
    agent_client.post("/account/enterprise/", {"action": "switch", "enterprise": str(enterprise.pk)})
    assert enterprise.name in agent_client.get("/account/").content.decode()

    client.post(f"/account/enterprise/{enterprise.pk}/agents/{grant.pk}/revoke/")
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    page = agent_client.get("/account/enterprise/").content.decode()
    assert "当前以个人身份办事" in page  # the revoked context ended at once


def test_enterprise_registration_page_reports_registry_problems(client: Client) -> None:
    person = make_person(level=RealNameLevel.L2)
    client.force_login(person)
    response = client.post("/account/enterprise/", {"action": "register", "uscc": "91350100M000100Y43"})
    assert "法人库中没有该统一社会信用代码" in response.content.decode()


def test_switching_to_an_unauthorised_enterprise_is_refused(client: Client) -> None:
    enterprise = make_enterprise()
    stranger = make_person()
    authorise(enterprise, make_person(), all_items=True)
    client.force_login(stranger)
    client.post("/account/enterprise/", {"action": "switch", "enterprise": str(enterprise.pk)})
    assert "当前以个人身份办事" in client.get("/account/enterprise/").content.decode()


def test_admin_pages_for_identity_and_the_in_person_action(client: Client) -> None:
    admin = User.objects.create_superuser("identity-admin", "a@example.org", PASSWORD)
    client.force_login(admin)
    person = make_person(level=RealNameLevel.L2)
    for url in [
        "/admin/accounts/user/",
        f"/admin/accounts/user/{person.pk}/change/",
        "/admin/accounts/enterprise/",
        "/admin/accounts/membership/",
        "/admin/accounts/usersession/",
        "/admin/oauth2_provider/application/add/",
    ]:
        assert client.get(url).status_code == 200, url
    page = client.get(f"/admin/accounts/user/{person.pk}/change/").content.decode()
    assert person.identity.resident_id_masked in page
    assert services.resident_id_of(person) not in page
    client.post("/admin/accounts/user/", {"action": "verify_in_person", "_selected_action": [person.pk]})
    person.identity.refresh_from_db()
    assert person.identity.level == RealNameLevel.L3


def test_a_person_downloads_their_data_and_sees_who_read_it(client: Client) -> None:
    person = make_person(level=RealNameLevel.L2)
    admin = User.objects.create_superuser("data-admin", "d@example.org", PASSWORD)
    admin_client = Client()
    admin_client.force_login(admin)
    admin_client.get(f"/admin/accounts/user/{person.pk}/change/")
    client.force_login(person)
    page = client.get("/account/data/").content.decode()
    assert "data-admin" in page and "管理后台查看账户信息" in page
    download = client.get("/account/data/download/")
    assert download["Content-Disposition"].startswith("attachment")
    data = download.json()
    assert data["identity"]["resident_id"] == services.resident_id_of(person)
    assert data["identity"]["real_name_level"] == 2
    assert any(row["action"] == "identity.viewed" for row in data["access_log"])
    assert AuditEntry.objects.filter(action="identity.exported", object_id=str(person.pk)).exists()
