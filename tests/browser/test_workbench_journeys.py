"""The staff workbench in Chromium: an online case returned for supplement, accepted, reviewed and
approved through the workbench pages; and the same filed by a clerk at a hall window."""

from __future__ import annotations

import re
from typing import Any

import pytest

from accounts.identity_factories import make_person
from browser.helpers import BROWSER, axe_violations, describe
from browser.workbench_browser import DESKTOP, page_signed_in, staff_sign_in
from cases.case_factories import PDF_BYTES, PNG_BYTES, Office, applicant, filed_case, publish, upload_required
from yiwang.accounts.models import PersonIdentity
from yiwang.accounts.services import resident_id_of
from yiwang.cases import services
from yiwang.cases.models import Case, CaseStatus
from yiwang.core import calendar_data, workdays

pytestmark = [*BROWSER, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _calendar_and_fast_hashing(settings: Any, tmp_path: Any) -> None:
    calendar_data.seed_calendar([2025, 2026, 2027])
    workdays.clear_cache()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.YIWANG_SMS_GATEWAY = "file"
    settings.YIWANG_SMS_OUTBOX = str(tmp_path / "sms.log")


def free_item(office: Office) -> Any:
    return publish(office.organisation, charges_fee=False, fees=[], supports_online_payment=False)


def no_axe(page: Any) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def review_and_approve(new_page: Any, live_server: Any, office: Office, case: Case) -> None:
    reviewer = page_signed_in(new_page, live_server, office.reviewer)
    reviewer.goto("/workbench/?queue=my_steps")
    reviewer.get_by_role("link", name=case.number).click()
    reviewer.get_by_role("button", name="开始审查").click()
    reviewer.get_by_text("已完成：开始审查").wait_for()
    while reviewer.get_by_role("button", name="完成本环节").count():
        reviewer.get_by_label("办理意见（必填）").first.fill("材料齐全，符合条件")
        reviewer.get_by_role("button", name="完成本环节").first.click()
        reviewer.get_by_text("已完成：完成办理环节").wait_for()
    approver = page_signed_in(new_page, live_server, office.approver)
    approver.goto("/workbench/?queue=to_decide")
    approver.get_by_role("link", name=case.number).click()
    no_axe(approver)
    approver.get_by_label("决定意见（选填）").fill("符合法定条件、标准")
    approver.get_by_role("button", name="作出准予决定").click()
    approver.get_by_text("已完成：准予").wait_for()
    assert approver.locator("[data-status]").inner_text() == "准予（已决定）"
    assert approver.get_by_role("link", name="准予行政许可决定书").count() == 1


def test_online_case_returned_supplemented_accepted_reviewed_and_approved(
    new_page: Any, live_server: Any
) -> None:
    office = Office()
    item = free_item(office)
    person = applicant()
    case = filed_case(item, person)

    clerk = new_page(viewport=DESKTOP)
    staff_sign_in(clerk, office.window, "/workbench/")
    clerk.get_by_role("heading", name="办件工作台").wait_for()
    no_axe(clerk)
    assert clerk.locator('[data-queue="pre_review"]').inner_text() == "1"
    clerk.get_by_role("link", name=case.number).click()
    clerk.get_by_role("heading", name=f"办件 {case.number}").wait_for()
    no_axe(clerk)
    # The materials viewer: the uploaded PDF, inline, through the permission-checked view, with its SM3.
    clerk.locator(".wb-file summary").first.click()
    assert (
        clerk.locator(".wb-file iframe")
        .first.get_attribute("src")
        .startswith(f"/workbench/cases/{case.pk}/files/")
    )
    # 一次性告知: forgetting the problem of a ticked material is refused with what was typed kept.
    clerk.get_by_role("checkbox", name="建筑工程施工许可申请表").check()
    clerk.get_by_label("第 1 项：材料或内容").fill("申请表第3栏")
    clerk.get_by_label("问题", exact=True).first.fill("建设地址与规划许可证不一致")
    clerk.get_by_role("button", name="出具一次性告知书").click()
    clerk.get_by_role("alert").wait_for()
    assert "存在的问题" in clerk.get_by_role("alert").inner_text()
    assert clerk.get_by_label("第 1 项：材料或内容").input_value() == "申请表第3栏"
    no_axe(clerk)
    clerk.get_by_label("“建筑工程施工许可申请表”的问题").fill("缺少法定代表人签字")
    with clerk.expect_navigation(timeout=30_000):  # the notice PDF is rendered before the redirect
        clerk.get_by_role("button", name="出具一次性告知书").click()
    clerk.get_by_text("已完成：一次性告知补正").wait_for(timeout=30_000)
    assert clerk.get_by_role("link", name="一次性告知书（补正材料通知书）").count() == 1

    upload_required(case, person)  # the applicant supplements online (the portal's pages)
    services.resubmit(case, actor=person)

    clerk.goto("/workbench/?queue=to_accept")
    assert clerk.locator('[data-queue="to_accept"]').inner_text() == "1"
    clerk.get_by_role("link", name=case.number).click()
    clerk.get_by_role("button", name="受理", exact=True).click()
    clerk.get_by_text("已完成：受理。").wait_for()
    assert clerk.get_by_role("link", name="受理通知书", exact=True).count() == 1

    review_and_approve(new_page, live_server, office, case)
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    actions = list(case.events.values_list("action", flat=True))
    assert actions.index("return_for_supplement") < actions.index("accept") < actions.index("approve")


def test_the_same_at_a_hall_window(new_page: Any, live_server: Any, tmp_path: Any) -> None:
    office = Office()
    item = free_item(office)
    person = make_person()
    clerk = page_signed_in(new_page, live_server, office.window, viewport={"width": 390, "height": 844})
    clerk.goto("/workbench/")
    clerk.get_by_role("link", name="窗口收件").click()
    no_axe(clerk)
    clerk.get_by_label("姓名（与身份证一致）").fill("冒名者")
    clerk.get_by_label("公民身份号码").fill(resident_id_of(person))
    clerk.get_by_role("button", name="核验身份").click()
    assert "姓名与人口库登记的姓名不一致" in clerk.get_by_role("alert").inner_text()
    clerk.get_by_label("姓名（与身份证一致）").fill(person.display_name)
    clerk.get_by_role("button", name="核验身份").click()
    masked = PersonIdentity.objects.get(user=person).resident_id_masked
    clerk.get_by_text(masked).wait_for()
    clerk.get_by_label("第二步：选择申请事项").select_option(item.implementation_code)
    clerk.get_by_role("button", name="选择").click()
    clerk.get_by_label("联系地址").fill("杭州市西湖区文三路100号")
    clerk.get_by_label("申请事项说明").fill("申请新建住宅楼施工许可")
    no_axe(clerk)
    clerk.get_by_role("button", name="建立申请，下一步扫描材料").click()
    clerk.get_by_text("已为申请人建立申请").wait_for()
    case = Case.objects.get(applicant=person)
    for index, material in enumerate(case.materials.filter(necessity="required", status="missing")):
        scan = tmp_path / f"scan{index}.png"
        scan.write_bytes(PNG_BYTES if index % 2 == 0 else PDF_BYTES)
        if index % 2:
            scan = scan.rename(tmp_path / f"scan{index}.pdf")
        clerk.get_by_label(f"扫描件：{material.name}").set_input_files(str(scan))
        clerk.locator(f"#scan-{material.pk} ~ button").click()
        clerk.get_by_text(f"已上传“{material.name}”").wait_for()
    clerk.get_by_role("button", name="提交并生成办件编号").click()
    clerk.get_by_text("已完成：提交申请").wait_for()
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.channel == "window"
    receipt = clerk.request.get(f"/workbench/cases/{case.pk}/receipt/")
    assert receipt.ok and receipt.body().startswith(b"%PDF")
    assert clerk.get_by_role("link", name="打印收件回执").count() == 1
    assert resident_id_of(person) not in clerk.content()

    clerk.goto("/workbench/?queue=to_accept")
    clerk.get_by_role("link", name=case.number).click()
    clerk.get_by_role("button", name="受理", exact=True).click()
    clerk.get_by_text("已完成：受理。").wait_for()
    review_and_approve(new_page, live_server, office, case)
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    assert re.fullmatch(r"\d{20}", case.number or "")
