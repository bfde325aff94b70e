"""A person applies online with uploads in Chromium (phone width), a clerk returns it for supplement, the
person supplements, the clerk accepts, a reviewer and a decider approve, and the person sees the result and
downloads the decision. Staff steps call cases.services directly (their workbench pages have their own
browser tests). Every page the person sees is checked with axe."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from accounts.identity_factories import PASSWORD
from browser.helpers import BROWSER, axe_violations, describe, enhanced_contrast_violations
from cases.case_factories import PDF_BYTES, Office, applicant, publish
from yiwang.accounts import sms
from yiwang.cases import services
from yiwang.cases.models import Case, CaseStatus
from yiwang.core import calendar_data, workdays

pytestmark = [*BROWSER, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _calendar_sms_and_media(settings: Any, tmp_path: Path) -> None:
    calendar_data.seed_calendar([2025, 2026, 2027])
    workdays.clear_cache()
    caches = {"default": dict(settings.CACHES["default"])}
    caches["default"]["KEY_PREFIX"] = f"browser-apply-{uuid.uuid4().hex}"
    if "locmem" in caches["default"]["BACKEND"]:
        caches["default"]["LOCATION"] = caches["default"]["KEY_PREFIX"]
    settings.CACHES = caches
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.YIWANG_SMS_GATEWAY = "file"
    settings.YIWANG_SMS_OUTBOX = str(tmp_path / "sms-outbox.log")
    settings.MEDIA_ROOT = str(tmp_path / "media")


def accessible(page: Any, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"{where}:\n{describe(violations)}"


def choose_file(page: Any, material: str, name: str, data: bytes, mime: str) -> None:
    row = page.locator("li.material", has=page.get_by_role("heading", name=material))
    row.locator("input[type=file]").set_input_files({"name": name, "mimeType": mime, "buffer": data})
    row.get_by_role("button", name=re.compile(r"^上传")).click()


def test_apply_supplement_and_see_the_approval(new_page: Any, tmp_path: Path) -> None:
    office = Office()
    item = publish(office.organisation)
    person = applicant()
    page = new_page()  # 390 px wide

    # Start page, then sign in and come back to it.
    page.goto(f"/apply/{item.implementation_code}")
    page.get_by_role("heading", name="申请前请准备").wait_for()
    accessible(page, "start page")
    page.get_by_role("link", name="登录后申请").click()
    page.get_by_label("手机号码或账户名").fill(person.phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("短信验证码").fill(sms.latest_code(person.phone) or "")
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(re.compile(rf"/apply/{item.implementation_code}$"))
    expect(page.get_by_role("link", name="我的办件")).to_be_visible()
    page.get_by_role("button", name="开始申请").click()

    # The form: prefilled, validated on the server, nothing lost on an error.
    page.get_by_role("heading", name="填写申请表").wait_for()
    assert page.get_by_label("申请人姓名或名称").input_value() == person.display_name
    assert page.get_by_label("联系电话").input_value() == person.phone
    page.get_by_label("联系电话").fill("12345")
    page.get_by_label("申请事项说明").fill("新建住宅楼施工许可")
    page.get_by_role("button", name="保存并继续").click()
    summary = page.get_by_role("alert")
    assert "“联系电话”格式不正确" in summary.inner_text() and "请填写“联系地址”" in summary.inner_text()
    assert page.get_by_label("申请事项说明").input_value() == "新建住宅楼施工许可"
    accessible(page, "form with errors")
    summary.get_by_role("link", name=re.compile("联系地址")).click()
    assert page.evaluate("document.activeElement.id") == "field-address"
    page.get_by_label("联系地址").fill("杭州市西湖区文三路100号")
    page.get_by_label("联系电话").fill(person.phone)
    page.get_by_role("button", name="保存并继续").click()

    # Materials: a spoofed file is refused, the real one accepted, the contract deferred on a promise.
    page.get_by_role("heading", name="上传材料", exact=True).wait_for()
    expect(page.get_by_text("营业执照电子证照")).to_be_visible()  # to be fetched: nothing to upload
    choose_file(page, "建筑工程施工许可申请表", "申请表.pdf", b"MZ not a pdf", "application/pdf")
    assert "不是可接受的格式" in page.locator("li.material.field-error").inner_text()
    accessible(page, "materials with an error")
    choose_file(page, "建筑工程施工许可申请表", "申请表.pdf", PDF_BYTES, "application/pdf")
    page.get_by_text("已上传").first.wait_for()
    contract = page.locator("li.material", has=page.get_by_role("heading", name="施工合同"))
    contract.get_by_text("暂时没有？签署容缺承诺，先提交申请").click()
    contract.get_by_label("我已阅读并签署以上承诺").check()
    contract.get_by_role("button", name="签署承诺").click()
    page.get_by_text("已签署").first.wait_for()
    accessible(page, "materials")
    page.get_by_role("link", name="继续：确认申请内容").click()

    # Check your answers, then submit (a double click files once).
    page.get_by_role("heading", name="确认申请内容").wait_for()
    accessible(page, "check your answers")
    page.get_by_role("button", name="提交申请").dblclick()
    page.get_by_role("heading", name="申请已提交").wait_for()
    assert Case.objects.filter(applicant=person).count() == 1
    case = Case.objects.get(applicant=person)
    assert case.number and page.locator(".case-number").inner_text() == case.number
    assert f"{case.acceptance_due:%Y-%m-%d}" in page.locator(".next-step").inner_text()
    accessible(page, "confirmation")

    # The clerk asks for one correction (一次性告知).
    services.return_for_supplement(
        case,
        actor=office.window,
        items=[{"material": "建筑工程施工许可申请表", "problem": "缺少建设单位盖章"}],
    )
    page.get_by_role("link", name="查看办理进度").click()
    page.get_by_text("待补正").first.wait_for()
    accessible(page, "case returned for supplement")
    page.get_by_role("link", name="查看一次性告知并补正").click()
    assert (
        "缺少建设单位盖章"
        in page.get_by_role("heading", name=re.compile("一次性告知")).locator("..").inner_text()
    )
    choose_file(page, "建筑工程施工许可申请表", "盖章申请表.pdf", PDF_BYTES + b"%stamped", "application/pdf")
    page.get_by_text("已上传").first.wait_for()
    accessible(page, "supplement page")
    page.get_by_role("button", name="提交补正材料").click()
    page.get_by_text("补正材料已提交").wait_for()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED

    # The clerk accepts, a reviewer and a decider approve.
    services.accept(case, actor=office.window)
    services.start_review(case, actor=office.reviewer)
    for step in Case.objects.get(pk=case.pk).steps.order_by("lane", "order"):
        services.complete_step(case, step, actor=office.reviewer if step.order < 3 else office.approver)
    services.approve(case, actor=office.approver, reason="符合施工许可条件")

    # The person sees the result and downloads the decision.
    page.reload()
    page.get_by_text("准予（已决定）").first.wait_for()
    expect(page.get_by_role("cell", name="符合施工许可条件")).to_be_visible()
    accessible(page, "decided case")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("决定书")).click()
    saved = tmp_path / "decision.pdf"
    download.value.save_as(saved)
    assert (
        saved.read_bytes().startswith(b"%PDF-")
        and download.value.suggested_filename == f"{case.number}-decision.pdf"
    )
    page.get_by_role("link", name="我的办件").first.click()
    expect(page.get_by_role("link", name="建筑工程施工许可证核发")).to_be_visible()
    accessible(page, "my cases")
    # Elderly mode: one click, larger text, contrast of at least 7:1.
    page.get_by_role("button", name="适老模式").click()
    page.wait_for_function("document.documentElement.classList.contains('elderly')")
    page.goto(f"/my-cases/{case.number}")
    assert not enhanced_contrast_violations(page), describe(enhanced_contrast_violations(page))
    accessible(page, "case page in elderly mode")


def test_withdraw_on_a_wide_screen_in_english(new_page: Any, client: Any) -> None:
    office = Office()
    item = publish(office.organisation)
    person = applicant()
    case = services.create_draft(item, applicant=person)
    from cases.case_factories import form_for, upload_required

    services.update_draft(case, actor=person, form_data=form_for(person))
    upload_required(case, person)
    services.submit(case, actor=person)
    case.refresh_from_db()
    client.force_login(person)
    page = new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page.goto("/")
    page.context.add_cookies(
        [{"name": k, "value": v.value, "url": page.url} for k, v in client.cookies.items()]
    )
    page.goto("/")
    page.get_by_role("button", name="English").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    page.goto(f"/my-cases/{case.number}")
    page.get_by_role("heading", name="Progress").wait_for()
    accessible(page, "case page in English")
    page.get_by_role("link", name="Withdraw application").click()
    page.get_by_role("button", name="Withdraw application").click()
    assert "Tick" in page.get_by_role("alert").inner_text()
    accessible(page, "withdrawal with an error")
    page.get_by_label("I confirm I want to withdraw this application").check()
    page.get_by_role("button", name="Withdraw application").click()
    page.get_by_text("The application has been withdrawn.").wait_for()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.WITHDRAWN
