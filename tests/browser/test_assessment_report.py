"""The assessment in Chromium: an evaluator (Role.EVALUATOR) creates a round of a province's cities, runs it,
opens the report, drills into a region and a leaf's evidence; every page passes axe on a phone."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pyotp
import pytest
from django.utils import timezone

from accounts.identity_factories import PASSWORD, make_staff
from browser.helpers import BROWSER, axe_violations, describe
from catalog.factories import make_organisation, make_region
from web.portal_data import build_portal_catalog
from yiwang.accounts import totp
from yiwang.accounts.models import Role, TotpDevice
from yiwang.assessment.models import Round

pytestmark = [*BROWSER, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _own_cache(settings: Any, tmp_path: Path) -> None:
    caches = {"default": dict(settings.CACHES["default"])}
    caches["default"]["KEY_PREFIX"] = f"browser-assessment-{uuid.uuid4().hex}"
    if "locmem" in caches["default"]["BACKEND"]:
        caches["default"]["LOCATION"] = caches["default"]["KEY_PREFIX"]
    settings.CACHES = caches
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _evaluator() -> tuple[Any, str]:
    province = make_region("330000", "浙江省")
    user = make_staff(
        make_organisation(province, name="浙江省政务服务管理办公室"),
        Role.EVALUATOR,
        subtree=True,
        username=f"pinggu-{uuid.uuid4().hex[:6]}",
    )
    device = totp.start_enrolment(user)
    TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
    return user, totp.secret_of(device)


def _clean(page: Any) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_an_evaluator_runs_a_round_and_reads_a_leafs_evidence(new_page: Any) -> None:
    build_portal_catalog()
    evaluator, secret = _evaluator()
    page = new_page()
    page.goto("/account/staff/signin/?next=/assessment/")
    page.get_by_label("手机号码或账户名").fill(evaluator.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("动态口令").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="验证并登录").click()
    page.goto("/assessment/")
    page.get_by_role("heading", name="新建评估轮次").wait_for()
    _clean(page)

    page.get_by_label("轮次名称").fill("浙江省各市评估（浏览器测试）")
    page.get_by_label("评估对象（行政区划代码）").fill("330000")
    page.get_by_label("以所填地区的全部下级为评估对象").check()
    page.get_by_role("button", name="创建轮次").click()
    page.get_by_role("heading", name="浙江省各市评估（浏览器测试）").wait_for()
    _clean(page)
    assert Round.objects.get(name="浙江省各市评估（浏览器测试）").subjects.count() == 2

    page.get_by_role("button", name="运行评估").click()
    page.get_by_role("heading", name="浙江省各市评估（浏览器测试） 评估报告").wait_for()
    page.get_by_text("本轮评估共覆盖2个重点城市").wait_for()
    _clean(page)

    page.get_by_role("row").filter(has_text="杭州市").get_by_role("link", name="杭州市").click()
    page.get_by_role("heading", name="杭州市 330100").wait_for()
    _clean(page)

    page.get_by_role("link", name="B1.4 层级覆盖").click()
    page.get_by_role("heading", name="B1.4 层级覆盖").wait_for()
    page.get_by_role("heading", name="证据").wait_for()
    page.get_by_text("有已发布实施清单的行政区划÷辖区行政区划数").wait_for()
    page.get_by_text("通过数", exact=True).wait_for()
    _clean(page)
