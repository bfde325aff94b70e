"""我的办件 and 我的消息: the list, a case with its progress and timeline, notices to download, the
one-time notice answered by supplementing, 容缺 materials provided later, withdrawal, and the inbox."""

from __future__ import annotations

from typing import Any

from cases.case_factories import PDF_BYTES, applicant
from web.apply_fixtures import (  # noqa: F401 (fixtures are found by their registered names)
    Scene,
    begin,
    calendar_fixture,
    filed,
    fill_form,
    quick_hashing_fixture,
    scene_fixture,
    sms_fixture,
    upload,
)
from web.html_checks import html_lang, untranslated
from yiwang.cases import services
from yiwang.cases.models import Case, CaseStatus
from yiwang.core import inbox
from yiwang.payments import services as payment_services


def test_list_and_detail_show_status_next_step_and_deadline(client: Any, scene: Scene) -> None:
    client.force_login(scene.person)
    case = filed(client, scene)
    listing = client.get("/my-cases").content.decode()
    assert case.number in listing and "已提交，待受理" in listing
    assert f"将于 {case.acceptance_due:%Y-%m-%d} 前决定是否受理" in listing
    html = client.get(f"/my-cases/{case.number}").content.decode()
    assert "下一步" in html and f"{case.acceptance_due:%Y-%m-%d}" in html
    assert 'aria-current="step"' in html  # the stage in progress is marked
    assert "提交申请" in html and "上传材料" in html  # the history
    assert f'href="/my-cases/{case.number}/withdraw"' in html


def test_notices_can_be_downloaded_as_pdf(client: Any, scene: Scene) -> None:
    client.force_login(scene.person)
    case = filed(client, scene)
    services.accept(case, actor=scene.office.window)
    html = client.get(f"/my-cases/{case.number}").content.decode()
    document = case.documents.get()
    assert f'href="/my-cases/{case.number}/documents/{document.pk}"' in html and "受理通知书" in html
    response = client.get(f"/my-cases/{case.number}/documents/{document.pk}")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert f'filename="{case.number}-acceptance.pdf"' in response["Content-Disposition"]


def test_someone_elses_case_is_not_found(client: Any, scene: Scene) -> None:
    client.force_login(scene.person)
    case = filed(client, scene)
    services.accept(case, actor=scene.office.window)
    document = case.documents.get()
    client.force_login(applicant())
    for url in (
        f"/my-cases/{case.number}",
        f"/my-cases/{case.number}/submitted",
        f"/my-cases/{case.number}/documents/{document.pk}",
        f"/my-cases/{case.number}/materials",
        f"/my-cases/{case.number}/withdraw",
        f"/my-cases/{case.pk}",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "没有找到您的办件" in response.content.decode(), url
    assert client.post(f"/my-cases/{case.number}/withdraw", {"confirm": "1"}).status_code == 404
    assert Case.objects.get(pk=case.pk).status == CaseStatus.ACCEPTED
    assert case.number not in client.get("/my-cases").content.decode()


def test_a_returned_case_is_supplemented_from_the_one_time_notice(client: Any, scene: Scene) -> None:
    client.force_login(scene.person)
    case = filed(client, scene)
    services.return_for_supplement(
        case,
        actor=scene.office.window,
        items=[{"material": "建筑工程施工许可申请表", "problem": "缺少建设单位盖章"}],
    )
    html = client.get(f"/my-cases/{case.number}").content.decode()
    assert "待补正" in html and f'href="/my-cases/{case.number}/materials"' in html
    assert "一次性告知书" in html  # the supplement notice is downloadable
    page = client.get(f"/my-cases/{case.number}/materials").content.decode()
    assert "缺少建设单位盖章" in page and "需补正" in page
    early = client.post(f"/my-cases/{case.number}/materials", {"op": "finish"})
    assert early.status_code == 400 and "以下材料仍需补正" in early.content.decode()
    material = case.materials.get(name="建筑工程施工许可申请表")
    spoofed = upload(
        client, f"/my-cases/{case.number}/materials", material.pk, "a.pdf", b"GIF89a", "application/pdf"
    )
    assert spoofed.status_code == 400
    assert (
        upload(
            client,
            f"/my-cases/{case.number}/materials",
            material.pk,
            "盖章.pdf",
            PDF_BYTES,
            "application/pdf",
        ).status_code
        == 302
    )
    done = client.post(f"/my-cases/{case.number}/materials", {"op": "finish"})
    assert done.status_code == 302 and done["Location"] == f"/my-cases/{case.number}"
    case.refresh_from_db()
    assert (
        case.status == CaseStatus.SUBMITTED and not case.supplement_requests.filter(answered_at=None).exists()
    )


def test_a_deferred_material_is_provided_after_submission(client: Any, scene: Scene) -> None:
    from yiwang.web.views.case_pages import promise_latest

    client.force_login(scene.person)
    case = begin(client, scene)
    fill_form(client, case, scene)
    url = f"/apply/drafts/{case.pk}/materials"
    contract = case.materials.get(name="施工合同")
    client.post(
        url,
        {
            "op": "defer",
            "material": contract.pk,
            "promise_due": promise_latest(case).isoformat(),
            "agree": "1",
        },
    )
    form = case.materials.get(name="建筑工程施工许可申请表")
    upload(client, url, form.pk, "表.pdf", PDF_BYTES, "application/pdf")
    client.post(f"/apply/drafts/{case.pk}/check")
    case.refresh_from_db()
    services.accept(case, actor=scene.office.window)
    html = client.get(f"/my-cases/{case.number}").content.decode()
    assert "您有容缺承诺的材料待补交" in html and "施工合同" in html
    page = client.get(f"/my-cases/{case.number}/materials").content.decode()
    assert "施工合同" in page and "建筑工程施工许可申请表" not in page.split('id="materials"', 1)[1]
    response = upload(
        client, f"/my-cases/{case.number}/materials", contract.pk, "合同.pdf", PDF_BYTES, "application/pdf"
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == "submitted"


def test_withdrawal_needs_confirmation(client: Any, scene: Scene) -> None:
    client.force_login(scene.person)
    case = filed(client, scene)
    page = client.get(f"/my-cases/{case.number}/withdraw").content.decode()
    assert "撤回后办理即终止" in page
    unconfirmed = client.post(f"/my-cases/{case.number}/withdraw", {"reason": "填错了"})
    assert unconfirmed.status_code == 400 and 'value="填错了"' not in unconfirmed.content.decode()
    assert "填错了" in unconfirmed.content.decode()  # the reason typed is kept
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED
    done = client.post(f"/my-cases/{case.number}/withdraw", {"reason": "填错了", "confirm": "1"})
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN
    html = client.get(f"/my-cases/{case.number}").content.decode()
    assert "已撤回" in html and f'href="/my-cases/{case.number}/withdraw"' not in html
    again = client.get(f"/my-cases/{case.number}/withdraw")
    assert again.status_code == 302


def test_a_draft_can_be_abandoned(client: Any, scene: Scene) -> None:
    client.force_login(scene.person)
    case = begin(client, scene)
    response = client.post(f"/my-cases/{case.pk}/withdraw", {"confirm": "1"})
    assert response.status_code == 302 and response["Location"] == "/my-cases"
    assert Case.objects.get(pk=case.pk).status == CaseStatus.WITHDRAWN
    listing = client.get("/my-cases")
    assert listing.status_code == 200 and f"/apply/drafts/{case.pk}/" not in listing.content.decode()
    assert client.get(f"/my-cases/{case.pk}")["Location"] == "/my-cases"


def test_decided_case_shows_the_result(client: Any, scene: Scene) -> None:
    client.force_login(scene.person)
    case = filed(client, scene)
    office = scene.office
    services.accept(case, actor=office.window)
    services.start_review(case, actor=office.reviewer)
    for step in case.steps.order_by("lane", "order"):
        services.complete_step(case, step, actor=office.approver, opinion="同意")
    services.approve(case, actor=office.approver, reason="符合条件")
    order = payment_services.create_order_for_case(case)  # the item charges a 10 元 fee
    assert order is not None
    html = client.get(f"/my-cases/{case.number}").content.decode()
    assert f'href="{order.pay_url}"' in html and "缴纳费用" in html
    assert "准予（已决定）" in html and "决定书" in html and "符合条件" in html
    assert f'href="/my-cases/{case.number}/withdraw"' not in html


def test_inbox_lists_marks_read_and_counts_unread(client: Any, scene: Scene) -> None:
    client.force_login(scene.person)
    mine = inbox.send(
        scene.person, title="办件已受理", body="您的办件已受理。", link="/my-cases", case_number="1"
    )
    inbox.send(scene.person, title="补正通知", body="请补正。", link="https://evil.example/")
    theirs = inbox.send(applicant(), title="别人的消息", body="x")
    html = client.get("/messages").content.decode()
    assert "办件已受理" in html and "补正通知" in html and "别人的消息" not in html
    assert "2 条未读" in html  # in the header and on the page
    assert client.get(f"/messages/{theirs.pk}").status_code == 404
    opened = client.get(f"/messages/{mine.pk}").content.decode()
    assert "您的办件已受理。" in opened and 'href="/my-cases"' in opened
    mine.refresh_from_db()
    assert mine.read_at is not None
    other = inbox.messages_for(scene.person).get(title="补正通知")
    assert "evil.example" not in client.get(f"/messages/{other.pk}").content.decode().split("<main", 1)[1]
    assert client.post("/messages/read-all").status_code == 302
    assert inbox.unread_count(scene.person) == 0
    assert "条未读" not in client.get("/").content.decode()


def test_pages_are_in_english_when_chosen(client: Any, scene: Scene) -> None:
    client.force_login(scene.person)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    case = filed(client, scene)
    services.return_for_supplement(
        case, actor=scene.office.window, items=[{"material": "建筑工程施工许可申请表", "problem": "缺少盖章"}]
    )
    draft = begin(client, scene, key="second-draft-key")
    inbox.send(scene.person, title="办件需补正", body="请补正。", link="/my-cases")
    for url in (
        f"/apply/{scene.item.implementation_code}",
        f"/apply/drafts/{draft.pk}/form",
        f"/apply/drafts/{draft.pk}/materials",
        f"/apply/drafts/{draft.pk}/check",
        "/my-cases",
        f"/my-cases/{case.number}",
        f"/my-cases/{case.number}/submitted",
        f"/my-cases/{case.number}/materials",
        f"/my-cases/{case.number}/withdraw",
        "/messages",
    ):
        html = client.get(url).content.decode()
        assert html_lang(html) == "en", url
        assert untranslated(html) == [], url


def test_the_api_gives_the_same_progress_as_the_page(client: Any, scene: Scene) -> None:
    client.force_login(scene.person)
    case = filed(client, scene)
    detail = client.get(f"/api/cases/mine/{case.number}").json()
    stages = {stage["key"]: stage for stage in detail["progress"]}
    assert stages["submit"]["state"] == "done" and stages["accept"]["state"] == "current"
    assert stages["accept"]["due"] == f"{case.acceptance_due:%Y-%m-%d}"
