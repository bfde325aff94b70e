"""Data sharing in Chromium: a provider's administrator approves a grant request in the page; a person sees
who read their data and why."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pyotp
import pytest
from django.utils import timezone

from accounts.identity_factories import PASSWORD, make_person, make_staff
from browser.helpers import BROWSER, axe_violations, describe
from catalog.factories import make_organisation
from exchange.exchange_factories import grant, population_resource
from yiwang.accounts import services as account_services
from yiwang.accounts import sms, totp
from yiwang.accounts.models import Role, TotpDevice
from yiwang.exchange import gateway
from yiwang.exchange.models import Grant, GrantStatus

pytestmark = [*BROWSER, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _own_cache_and_sms_outbox(settings: Any, tmp_path: Path) -> None:
    caches = {"default": dict(settings.CACHES["default"])}
    caches["default"]["KEY_PREFIX"] = f"browser-exchange-{uuid.uuid4().hex}"
    if "locmem" in caches["default"]["BACKEND"]:
        caches["default"]["LOCATION"] = caches["default"]["KEY_PREFIX"]
    settings.CACHES = caches
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.YIWANG_SMS_GATEWAY = "file"
    settings.YIWANG_SMS_OUTBOX = str(tmp_path / "sms-outbox.log")


def _staff_with_authenticator(organisation: Any) -> tuple[Any, str]:
    user = make_staff(organisation, Role.ADMIN, username=f"gongan-admin-{uuid.uuid4().hex[:6]}")
    device = totp.start_enrolment(user)
    TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
    return user, totp.secret_of(device)


def _sign_in_staff(page: Any, user: Any, secret: str, next_path: str) -> None:
    page.goto(f"/account/staff/signin/?next={next_path}")
    page.get_by_label("手机号码或账户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("动态口令").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="验证并登录").click()
    page.wait_for_load_state()


def _sign_in_person(page: Any, person: Any) -> None:
    page.goto("/account/signin/")
    page.get_by_label("手机号码或账户名").fill(person.phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("短信验证码").fill(sms.latest_code(person.phone) or "")
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_role("heading", name="我的账户").wait_for()


def test_a_consumer_requests_access_and_creates_a_key_in_the_pages(new_page: Any) -> None:
    population_resource(provider=make_organisation(name="浙江省公安厅"))
    consumer = make_organisation(name="杭州市民政局")
    admin, secret = _staff_with_authenticator(consumer)
    page = new_page()
    _sign_in_staff(page, admin, secret, "/exchange/")
    page.goto("/exchange/")
    page.get_by_role("heading", name="政务信息资源目录").wait_for()
    assert not describe(axe_violations(page)), describe(axe_violations(page))
    page.get_by_role("link", name="人口基础信息").click()
    page.get_by_role("heading", name="申请共享").wait_for()
    assert not describe(axe_violations(page)), describe(axe_violations(page))
    page.get_by_label("户籍状态（household_status）").check()
    page.get_by_role("button", name="提交申请").click()
    page.get_by_role("alert").wait_for()  # purpose and basis missing: said at the top, nothing lost
    assert page.get_by_label("户籍状态（household_status）").is_checked()
    page.get_by_label("使用用途").fill("办理最低生活保障审批时核验申请人户籍")
    page.get_by_label("申请依据").fill("《社会救助暂行办法》第十一条")
    page.get_by_role("button", name="提交申请").click()
    page.get_by_text("申请已提交，等待浙江省公安厅审批。").wait_for()
    assert Grant.objects.get(consumer=consumer).fields == ["household_status"]

    page.goto("/exchange/keys/")
    page.get_by_label("新密钥说明").fill("低保系统")
    page.get_by_role("button", name="生成新密钥").click()
    page.get_by_role("heading", name="新密钥已生成：请立即保存私钥").wait_for()
    assert not describe(axe_violations(page)), describe(axe_violations(page))
    page.goto("/exchange/reduced/")
    page.get_by_role("heading", name="减材料统计").wait_for()
    assert not describe(axe_violations(page)), describe(axe_violations(page))


def test_an_applicant_sees_which_materials_were_obtained(new_page: Any) -> None:
    from cases.case_factories import form_for, publish
    from yiwang.cases import services as case_services

    resource = population_resource(provider=make_organisation(name="浙江省公安厅"))
    office = make_organisation(name="西湖区民政局")
    grant(resource, office)
    implementation = publish(
        office,
        materials=[
            {
                "name": "居民户口簿",
                "obtainable_by": "sharing",
                "obtainable_source": "浙江省人口综合库（公安人口库）",
            }
        ],
    )
    person = make_person(name="褚申请")
    case = case_services.create_draft(implementation, applicant=person, form_data=form_for(person))
    page = new_page()
    _sign_in_person(page, person)
    page.goto(f"/exchange/cases/{case.pk}/")
    page.get_by_role("heading", name="居民户口簿").wait_for()
    page.get_by_text("已从浙江省公安厅获取，无需提交。").wait_for()
    assert not describe(axe_violations(page)), describe(axe_violations(page))


def test_a_provider_approves_a_grant_request_in_the_page(new_page: Any) -> None:
    resource = population_resource(provider=make_organisation(name="浙江省公安厅"))
    consumer = make_organisation(name="杭州市民政局")
    request = Grant.objects.create(
        resource=resource,
        consumer=consumer,
        fields=["name", "birth_date", "household_status"],
        purpose="办理最低生活保障审批时核验申请人户籍",
        basis="《社会救助暂行办法》第十一条",
    )
    admin, secret = _staff_with_authenticator(resource.provider)

    page = new_page()
    page.goto("/account/staff/signin/?next=/exchange/grants/")
    page.get_by_label("手机号码或账户名").fill(admin.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("动态口令").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="验证并登录").click()
    page.goto("/exchange/grants/")
    page.get_by_role("heading", name="待我单位审批的申请").wait_for()
    assert not describe(axe_violations(page)), describe(axe_violations(page))

    page.get_by_role("link", name="人口基础信息").click()
    page.get_by_role("heading", name="共享授权：人口基础信息").wait_for()
    assert not describe(axe_violations(page)), describe(axe_violations(page))
    page.get_by_label("出生日期（birth_date）").uncheck()  # approve less than asked
    page.get_by_role("button", name="批准授权").click()
    page.get_by_text("已批准授权。").wait_for()

    request.refresh_from_db()
    assert request.status == GrantStatus.APPROVED
    assert request.fields == ["name", "household_status"] and request.decided_by == admin


def test_a_person_sees_who_read_their_data(new_page: Any) -> None:
    resource = population_resource()
    consumer = make_organisation(name="杭州市医疗保障局")
    grant(resource, consumer, ["name"])
    person = make_person(name="陈查看")
    gateway.query(
        consumer,
        gateway.Query(
            resource_code=resource.code,
            fields=["name"],
            subject=account_services.resident_id_of(person),
            purpose="办理城乡居民医保参保登记",
            case_number="33010020261122000123",
        ),
    )

    page = new_page()
    page.goto("/account/signin/")
    page.get_by_label("手机号码或账户名").fill(person.phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("短信验证码").fill(sms.latest_code(person.phone) or "")
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_role("heading", name="我的账户").wait_for()

    page.goto("/exchange/me/")
    page.get_by_role("heading", name="谁查看了我的数据").wait_for()
    row = page.get_by_role("row").filter(has_text="杭州市医疗保障局")
    assert "办理城乡居民医保参保登记" in row.inner_text() and "33010020261122000123" in row.inner_text()
    assert not describe(axe_violations(page)), describe(axe_violations(page))
