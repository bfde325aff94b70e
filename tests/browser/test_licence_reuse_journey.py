"""Issue 6's journey in Chromium: a person applies online; a material is obtained from the person's
electronic licence through the exchange (nothing to upload); the approved case issues a new licence; the
person opens it in 我的证照; a third party verifies it by its identifier."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from accounts.identity_factories import PASSWORD, make_person
from browser.helpers import BROWSER, axe_violations, describe
from cases.case_factories import NO_FEE, PDF_BYTES, Office, publish
from catalog.factories import make_organisation
from licences.licence_factories import approve_case, issue_to, make_type
from yiwang.accounts import sms
from yiwang.cases.models import Case, MaterialStatus
from yiwang.core import calendar_data, workdays
from yiwang.exchange import services as exchange_services
from yiwang.exchange.models import SharingType, SubjectKind
from yiwang.licences.models import Licence

pytestmark = [*BROWSER, pytest.mark.django_db(transaction=True)]

PLANNING_PERMIT = "建设工程规划许可证"


@pytest.fixture(autouse=True)
def _setup(settings: Any, tmp_path: Path) -> None:
    caches = {"default": dict(settings.CACHES["default"])}
    caches["default"]["KEY_PREFIX"] = f"browser-reuse-{uuid.uuid4().hex}"
    if "locmem" in caches["default"]["BACKEND"]:
        caches["default"]["LOCATION"] = caches["default"]["KEY_PREFIX"]
    settings.CACHES = caches
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.YIWANG_SMS_GATEWAY = "file"
    settings.YIWANG_SMS_OUTBOX = str(tmp_path / "sms-outbox.log")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    calendar_data.seed_calendar([2025, 2026, 2027])
    workdays.clear_cache()


def _licence_library(consumer: Any) -> None:
    """The licence library as a shared resource, granted to the department that handles the item."""
    resource = exchange_services.save_resource(
        actor=None,
        provider=make_organisation(name="省大数据发展管理局"),
        code="330000-DSJ-0001",
        name="电子证照库",
        sharing_type=SharingType.UNCONDITIONAL,
        subject_kind=SubjectKind.HOLDER,
        fields=[
            {"code": "identifier", "name": "证照标识"},
            {"code": "type_name", "name": "证照名称"},
            {"code": "issuer_name", "name": "颁发机构"},
            {"code": "holder_name", "name": "持证人"},
            {"code": "valid_until", "name": "有效期至"},
            {"code": "data", "name": "照面信息"},
        ],
        adapter="licence",
        source_names=["电子证照"],
        prefill_fields=["identifier", "type_name", "issuer_name", "holder_name", "valid_until", "data"],
    )
    exchange_services.request_grant(
        actor=None,
        resource=resource,
        consumer=consumer,
        fields=resource.prefill_fields,
        purpose="办事材料免提交",
    )


def accessible(page: Any, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"{where}:\n{describe(violations)}"


def test_a_licence_is_reused_in_an_application_and_the_new_licence_is_verified(new_page: Any) -> None:
    office = Office()
    _licence_library(office.organisation)
    person = make_person(name="冯复用")
    held = issue_to(person, make_type(name=PLANNING_PERMIT, sequence=21, result_names=(PLANNING_PERMIT,)))
    result_type = make_type(office.organisation)  # the item's result, 建筑工程施工许可证
    item = publish(
        office.organisation,
        materials=[
            {
                "name": PLANNING_PERMIT,
                "obtainable_by": "licence",
                "obtainable_source": f"{PLANNING_PERMIT}电子证照",
            },
            {"name": "施工合同"},
        ],
        **NO_FEE,
    )

    page = new_page()
    page.goto(f"/apply/{item.implementation_code}")
    page.get_by_role("link", name="登录后申请").click()
    page.get_by_label("手机号码或账户名").fill(person.phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("短信验证码").fill(sms.latest_code(person.phone) or "")
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(re.compile(rf"/apply/{item.implementation_code}$"))
    page.get_by_role("button", name="开始申请").click()
    page.get_by_role("heading", name="填写申请表").wait_for()
    page.get_by_label("联系地址").fill("杭州市西湖区文三路100号")
    page.get_by_label("申请事项说明").fill("新建住宅楼施工许可")
    page.get_by_role("button", name="保存并继续").click()

    # The planning permit comes from the licence library: nothing to upload, and the source is named.
    page.get_by_role("heading", name="上传材料", exact=True).wait_for()
    permit = page.locator("li.material", has=page.get_by_role("heading", name=PLANNING_PERMIT))
    assert "无需上传" in permit.inner_text() and "已共享获取" in permit.inner_text()
    assert permit.locator("input[type=file]").count() == 0
    case = Case.objects.get(applicant=person)
    assert case.materials.get(name=PLANNING_PERMIT).status == MaterialStatus.FETCHED
    contract = page.locator("li.material", has=page.get_by_role("heading", name="施工合同"))
    contract.locator("input[type=file]").set_input_files(
        {"name": "合同.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
    )
    contract.get_by_role("button", name=re.compile(r"^上传")).click()
    page.get_by_text("已上传").first.wait_for()
    accessible(page, "materials with a licence obtained by sharing")
    page.get_by_role("link", name="继续：确认申请内容").click()
    page.get_by_role("button", name="提交申请").click()
    page.get_by_role("heading", name="申请已提交").wait_for()

    # The department approves; the approval issues the new licence to the applicant.
    approve_case(Case.objects.get(pk=case.pk), office)
    issued = Licence.objects.get(licence_type=result_type, holder_name="冯复用")
    assert issued.identifier != held.identifier

    page.goto("/licences/")
    page.get_by_role("heading", name="我的证照").wait_for()
    page.get_by_role("link", name=result_type.name).click()
    page.get_by_role("heading", name=result_type.name).wait_for()
    assert issued.identifier in page.content()
    accessible(page, "the new licence in the wallet")

    stranger = new_page()
    stranger.goto("/licences/verify/")
    stranger.get_by_label("证照标识").fill(issued.identifier)
    stranger.get_by_role("button", name="核验", exact=True).click()
    stranger.get_by_role("heading", name="✓ 证照真实有效").wait_for()
    accessible(stranger, "verification")
