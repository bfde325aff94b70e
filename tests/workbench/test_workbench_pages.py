"""The staff workbench through its pages: queues and counts, the case page, every action's form."""

from __future__ import annotations

import re
from typing import Any

import pytest

from accounts.identity_factories import make_person
from cases.case_factories import Office, applicant, filed_case, upload_required
from workbench.workbench_factories import accepted_case, case_in_review, office_with_item, signed_in
from yiwang.accounts.models import Role
from yiwang.cases import services
from yiwang.cases.models import Case, CaseStatus, StepStatus

pytestmark = pytest.mark.django_db


def count_of(html: str, queue: str) -> int:
    match = re.search(rf'data-queue="{queue}">(\d+)<', html)
    assert match, queue
    return int(match.group(1))


def rows(html: str) -> int:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return body.count("<tr>")


def test_staff_only_and_second_factor(client: Any) -> None:
    assert client.get("/workbench/")["Location"].startswith("/account/signin/")
    assert signed_in(make_person()).get("/workbench/").status_code == 403
    office = Office()
    from yiwang.accounts.totp import SESSION_FLAG

    staff_client = signed_in(office.window)
    session = staff_client.session
    del session[SESSION_FLAG]
    session.save()
    assert staff_client.get("/workbench/")["Location"].startswith("/account/totp/")


def test_queues_split_by_role_and_organisation_with_counts_matching_lists() -> None:
    office, item = office_with_item()
    online = filed_case(item, applicant())
    returned_then_resubmitted = filed_case(item, applicant())
    services.return_for_supplement(
        returned_then_resubmitted,
        actor=office.window,
        items=[{"material": "建筑工程施工许可申请表", "problem": "缺少签字"}],
    )
    upload_required(returned_then_resubmitted, returned_then_resubmitted.applicant)
    services.resubmit(returned_then_resubmitted, actor=returned_then_resubmitted.applicant)
    accepted = accepted_case(office, item)
    in_review = case_in_review(office, item)

    window = signed_in(office.window)
    html = window.get("/workbench/?queue=pre_review").content.decode()
    assert count_of(html, "pre_review") == 1 == rows(html)
    assert online.number in html and returned_then_resubmitted.number not in html
    html = window.get("/workbench/?queue=to_accept").content.decode()
    assert count_of(html, "to_accept") == 1 == rows(html)
    assert returned_then_resubmitted.number in html
    html = window.get("/workbench/?queue=all").content.decode()
    assert count_of(html, "all") == 4 == rows(html)

    reviewer = signed_in(office.reviewer)
    html = reviewer.get("/workbench/?queue=my_steps").content.decode()
    assert accepted.number in html and in_review.number in html
    assert count_of(html, "my_steps") == 2 == rows(html)
    assert 'data-queue="pre_review"' not in html  # a reviewer has no acceptance queues

    # Filters stay in the links and narrow list and counts alike.
    html = window.get(f"/workbench/?queue=all&q={online.number}").content.decode()
    assert count_of(html, "all") == 1 == rows(html) and count_of(html, "pre_review") == 1
    assert f"q={online.number}&amp;queue=pre_review" in html

    # Staff of another organisation see none of these cases, nor can they open one.
    other = Office()
    html = signed_in(other.window).get("/workbench/?queue=all").content.decode()
    assert count_of(html, "all") == 0
    assert signed_in(other.window).get(f"/workbench/cases/{online.pk}/").status_code == 404


def test_warning_queues_show_yellow_and_red() -> None:
    office, item = office_with_item()
    yellow, red = filed_case(item, applicant()), filed_case(item, applicant())
    Case.objects.filter(pk=yellow.pk).update(warning_level="yellow")
    Case.objects.filter(pk=red.pk).update(warning_level="red")
    supervisor = office.window.__class__.objects.create_user(username="sup-wb", password="x")
    supervisor.memberships.create(organisation=office.organisation, role=Role.SUPERVISOR)
    client = signed_in(supervisor)
    html = client.get("/workbench/?queue=due_soon").content.decode()
    assert count_of(html, "due_soon") == 1 and yellow.number in html and "wb-warn-yellow" in html
    html = client.get("/workbench/?queue=overdue").content.decode()
    assert count_of(html, "overdue") == 1 and red.number in html and "wb-warn-red" in html
    page = client.get(f"/workbench/cases/{red.pk}/").content.decode()
    assert "您在当前状态下没有可办理的操作" in page  # a supervisor reads, never acts


def test_case_page_materials_viewer_timeline_and_protected_files() -> None:
    office, item = office_with_item()
    case = filed_case(item, applicant())
    client = signed_in(office.window)
    html = client.get(f"/workbench/cases/{case.pk}/").content.decode()
    stored = case.materials.get(name="建筑工程施工许可申请表").files.get()
    file_url = f"/workbench/cases/{case.pk}/files/{stored.pk}/"
    assert file_url in html and stored.sm3 in html and "<iframe" in html
    assert "/media/" not in html
    assert "提交申请" in html and "上传材料" in html  # the timeline names every event
    response = client.get(file_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"].startswith("inline") and response["X-Frame-Options"] == "SAMEORIGIN"
    )
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert signed_in(Office().window).get(file_url).status_code == 404
    assert signed_in(case.applicant).get(file_url).status_code == 403


def test_online_drafts_stay_private_until_filed() -> None:
    office, item = office_with_item()
    person = applicant()
    draft = services.create_draft(item, applicant=person)
    assert signed_in(office.window).get(f"/workbench/cases/{draft.pk}/").status_code == 404


def test_every_action_through_its_form_to_delivery() -> None:
    office, item = office_with_item(
        charges_fee=False, fees=[], supports_online_payment=False
    )  # no payment gate before delivery
    case = filed_case(item, applicant())
    url = f"/workbench/cases/{case.pk}/act"
    window = signed_in(office.window)
    material = case.materials.get(name="建筑工程施工许可申请表")

    # 一次性告知: a ticked material without its problem is refused, and what was typed stays.
    response = window.post(
        f"{url}/return_for_supplement/",
        {
            "version": case.version,
            f"item_{material.pk}": "1",
            "extra_material_1": "申请表第3栏",
            "extra_problem_1": "地址不一致",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "请写明“建筑工程施工许可申请表”存在的问题" in html and 'value="地址不一致"' in html
    response = window.post(
        f"{url}/return_for_supplement/",
        {
            "version": case.version,
            f"item_{material.pk}": "1",
            f"problem_{material.pk}": "缺少签字",
            "extra_material_1": "申请表第3栏",
            "extra_problem_1": "地址不一致",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.RETURNED
    assert case.supplement_requests.get().items == [
        {"material": "建筑工程施工许可申请表", "problem": "缺少签字"},
        {"material": "申请表第3栏", "problem": "地址不一致"},
    ]
    upload_required(case, case.applicant)
    services.resubmit(case, actor=case.applicant)
    case.refresh_from_db()

    # not-accept needs reason and competent body (checked before anything changes).
    response = window.post(f"{url}/not_accept/", {"version": case.version, "reason": "不属于本机关职权"})
    assert response.status_code == 400 and "有权机关" in response.content.decode()
    assert window.post(f"{url}/accept/", {"version": case.version}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED and case.documents.filter(kind="acceptance").exists()

    reviewer = signed_in(office.reviewer)
    assert reviewer.post(f"{url}/start_review/", {"version": case.version}).status_code == 302
    for step in list(case.steps.order_by("lane", "order")):
        step.refresh_from_db()
        assert step.status == StepStatus.ACTIVE
        assert reviewer.post(f"{url}/complete_step/", {"step": step.pk, "opinion": ""}).status_code == 400
        assert (
            reviewer.post(f"{url}/complete_step/", {"step": step.pk, "opinion": "符合条件"}).status_code
            == 302
        )
    case.refresh_from_db()
    approver = signed_in(office.approver)
    html = approver.get("/workbench/?queue=to_decide").content.decode()
    assert case.number in html
    response = approver.post(f"{url}/extend/", {"version": case.version, "days": "5", "reason": ""})
    assert response.status_code == 400 and "理由" in response.content.decode()
    assert approver.post(f"{url}/refuse/", {"version": case.version, "reason": ""}).status_code == 400
    assert (
        approver.post(f"{url}/approve/", {"version": case.version, "reason": "符合法定条件"}).status_code
        == 302
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    assert window.post(f"{url}/complete/", {"version": case.version}).status_code == 302
    case.refresh_from_db()
    response = window.post(f"{url}/deliver/", {"version": case.version, "method": "post"})
    assert response.status_code == 400 and "快递单号" in response.content.decode()
    response = window.post(
        f"{url}/deliver/", {"version": case.version, "method": "post", "tracking_number": "SF1234567890"}
    )
    assert response.status_code == 302, re.findall(
        r'<li><a href="#action[^>]*>([^<]*)<', response.content.decode()
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.DELIVERED and case.tracking_number == "SF1234567890"
    html = window.get(f"/workbench/cases/{case.pk}/").content.decode()
    for label in ("一次性告知补正", "受理", "开始审查", "完成办理环节", "准予", "办结", "送达结果"):
        assert label in html


def test_an_action_that_lost_the_race_says_so() -> None:
    office, item = office_with_item()
    case = filed_case(item, applicant())
    seen = case.version
    second_clerk = office.window.__class__.objects.create_user(username="wb-second", password="x")
    second_clerk.memberships.create(organisation=office.organisation, role=Role.WINDOW)
    services.accept(case, actor=second_clerk)
    response = signed_in(office.window).post(f"/workbench/cases/{case.pk}/act/accept/", {"version": seen})
    assert response.status_code == 409
    assert "已被他人处理" in response.content.decode() and "已受理" in response.content.decode()


def test_special_procedure_forms_need_kind_and_reason() -> None:
    office, item = office_with_item()
    case = case_in_review(office, item)
    reviewer = signed_in(office.reviewer)
    url = f"/workbench/cases/{case.pk}/act"
    response = reviewer.post(f"{url}/start_special/", {"version": case.version, "kind": "专家评审"})
    assert response.status_code == 400 and "原因" in response.content.decode()
    ok = reviewer.post(
        f"{url}/start_special/", {"version": case.version, "kind": "专家评审", "reason": "技术复杂"}
    )
    assert ok.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.SPECIAL_PROCEDURE
    assert (
        reviewer.post(f"{url}/end_special/", {"version": case.version, "result": "评审通过"}).status_code
        == 302
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW


def test_counts_stop_at_the_cap_and_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from yiwang.workbench import selectors

    office, item = office_with_item()
    filed = [filed_case(item, applicant()) for _ in range(3)]
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    html = signed_in(office.window).get("/workbench/?queue=pre_review").content.decode()
    assert 'data-queue="pre_review">2+<' in html
    assert "2 件以上，请用筛选条件缩小范围" in html
    assert rows(html) == 2  # the page still lists what the capped count allows
    narrowed = (
        signed_in(office.window).get(f"/workbench/?queue=pre_review&q={filed[0].number}").content.decode()
    )
    assert count_of(narrowed, "pre_review") == 1 and filed[0].number in narrowed
