"""An approver of the issuing organisation signs in (password + TOTP), issues a licence by hand, finds it
in 本机构签发的证照, revokes it with a reason; the public verification page reports it revoked at once."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pyotp
import pytest

from accounts.identity_factories import PASSWORD, make_person, make_staff
from browser.helpers import BROWSER, axe_violations, describe
from licences.licence_factories import make_type
from yiwang.accounts import services as account_services
from yiwang.accounts.models import Role
from yiwang.licences.models import Licence, LicenceStatus

pytestmark = [*BROWSER, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _own_cache(settings: Any, tmp_path: Path) -> None:
    caches = {"default": dict(settings.CACHES["default"])}
    caches["default"]["KEY_PREFIX"] = f"browser-licence-manage-{uuid.uuid4().hex}"
    if "locmem" in caches["default"]["BACKEND"]:
        caches["default"]["LOCATION"] = caches["default"]["KEY_PREFIX"]
    settings.CACHES = caches
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.YIWANG_SMS_GATEWAY = "file"
    settings.YIWANG_SMS_OUTBOX = str(tmp_path / "sms-outbox.log")


def test_approver_issues_revokes_and_verification_shows_it(new_page: Any) -> None:
    licence_type = make_type()
    issuer = licence_type.issuers.get()
    holder = make_person()
    official = make_staff(issuer, Role.APPROVER, username=f"approver-{uuid.uuid4().hex[:8]}")

    page = new_page()
    page.goto("/licences/manage/")
    page.get_by_label("手机号码或账户名").fill(official.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.get_by_role("heading", name="绑定动态口令").wait_for()
    secret = page.locator(".totp-qr code").inner_text().strip()
    page.get_by_label("动态口令").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="完成绑定并登录").click()
    page.goto("/licences/manage/")
    page.get_by_role("heading", name="本机构签发的证照").wait_for()
    assert not describe(axe_violations(page)), describe(axe_violations(page))

    page.get_by_role("link", name="签发证照").click()
    page.get_by_label("证照类型").select_option(licence_type.code)
    page.get_by_role("button", name="选择").click()
    page.get_by_label("持证主体证件号码").fill(account_services.resident_id_of(holder))
    page.get_by_label("持证主体名称").fill(holder.display_name)
    page.get_by_label("住所").fill("杭州市西湖区文三路100号")
    page.get_by_label("许可事项").fill("新建住宅楼施工")
    assert not describe(axe_violations(page)), describe(axe_violations(page))
    page.get_by_role("button", name="签发", exact=True).click()
    page.get_by_text("已签发证照").wait_for()
    licence = Licence.objects.get(holder_name=holder.display_name)
    assert licence.issued_by == official

    page.goto("/licences/manage/")
    page.get_by_label("证照标识或持证主体证件号码").fill(licence.identifier)
    page.get_by_role("button", name="查找").click()
    page.get_by_role("link", name=licence.licence_type.name).click()
    page.get_by_role("heading", name="变更状态").wait_for()
    page.get_by_label("操作").select_option("revoke")
    page.get_by_role("button", name="确认").click()
    page.get_by_role("alert").wait_for()  # the reason is required: error summary, nothing changed
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.VALID
    page.get_by_label("原因").fill("以欺骗手段取得许可，依法撤销")
    page.get_by_role("button", name="确认").click()
    page.get_by_text(f"已撤销证照 {licence.identifier}").wait_for()
    assert not describe(axe_violations(page)), describe(axe_violations(page))
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.REVOKED

    public = new_page()
    public.goto(f"/licences/verify/?identifier={licence.identifier}")
    public.get_by_text("证照真实，但当前状态为“撤销”").wait_for()
    assert "以欺骗手段取得许可" in public.content()
