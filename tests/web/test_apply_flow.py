"""Applying online through the pages: start, sign-in, form (prefill, server validation, drafts), materials
(content-checked uploads, 容缺 promise, shared materials), check your answers, submit exactly once."""

from __future__ import annotations

from typing import Any

from cases.case_factories import JPEG_BYTES, PDF_BYTES, PNG_BYTES, applicant
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
    upload_pdf,
)
from yiwang.cases.models import Case, CaseFile, CaseStatus


def test_start_page_says_what_you_need_and_asks_to_sign_in(client: Any, scene: Scene) -> None:
    code = scene.item.implementation_code
    response = client.get(f"/apply/{code}")
    html = response.content.decode()
    assert response.status_code == 200
    assert "建筑工程施工许可申请表" in html and "无需上传，部门共享获取" in html
    assert f'href="/account/signin/?next=%2Fapply%2F{code}"' in html
    assert 'action="/apply/' not in html  # no form before signing in
    begin_anonymously = client.post(f"/apply/{code}/start", {"key": "k" * 12})
    assert begin_anonymously.status_code == 302
    assert begin_anonymously["Location"].startswith("/account/signin/?next=")
    assert not Case.objects.exists()


def test_a_double_click_on_start_makes_one_draft(client: Any, scene: Scene) -> None:
    client.force_login(scene.person)
    first = begin(client, scene, key="same-key-123")
    second = begin(client, scene, key="same-key-123")
    assert first.pk == second.pk and Case.objects.count() == 1
    assert first.status == CaseStatus.DRAFT and first.applicant == scene.person
    # The draft is offered for resuming on the start page.
    html = client.get(f"/apply/{scene.item.implementation_code}").content.decode()
    assert f'href="/apply/drafts/{first.pk}/form"' in html


def test_form_is_prefilled_from_the_account(client: Any, scene: Scene) -> None:
    client.force_login(scene.person)
    case = begin(client, scene)
    html = client.get(f"/apply/drafts/{case.pk}/form").content.decode()
    assert f'value="{scene.person.display_name}"' in html and f'value="{scene.person.phone}"' in html
    assert 'autocomplete="tel"' in html and 'type="tel"' in html
    assert '<textarea id="field-application_matter"' in html  # maxLength 500: a multi-line box


def test_server_validation_keeps_what_was_typed_and_links_each_error(client: Any, scene: Scene) -> None:
    client.force_login(scene.person)
    case = begin(client, scene)
    response = fill_form(client, case, scene, contact_phone="12345", address="")
    html = response.content.decode()
    assert response.status_code == 400
    assert (
        'class="error-summary' in html
        and 'href="#field-contact_phone"' in html
        and 'href="#field-address"' in html
    )
    assert "“联系电话”格式不正确" in html and "请填写“联系地址”" in html
    assert 'value="12345"' in html and 'aria-invalid="true"' in html
    case.refresh_from_db()
    assert case.form_data == {}  # a wrong value is never stored


def test_a_partial_draft_can_be_saved_and_resumed(client: Any, scene: Scene) -> None:
    client.force_login(scene.person)
    case = begin(client, scene)
    response = client.post(f"/apply/drafts/{case.pk}/form", {"applicant_name": "张三", "action": "save"})
    assert response.status_code == 302 and response["Location"] == f"/apply/drafts/{case.pk}/form"
    case.refresh_from_db()
    assert case.form_data == {"applicant_name": "张三"}
    html = client.get(f"/apply/drafts/{case.pk}/form").content.decode()
    assert 'value="张三"' in html and "草稿已保存" in html
    # Continuing with missing fields saves what is there and says what is missing.
    response = client.post(
        f"/apply/drafts/{case.pk}/form",
        {"applicant_name": "张三", "address": "杭州市西湖区", "action": "continue"},
    )
    assert response.status_code == 400 and "请填写“申请事项说明”" in response.content.decode()
    case.refresh_from_db()
    assert case.form_data == {"applicant_name": "张三", "address": "杭州市西湖区"}
    # The draft is listed in 我的办件.
    assert f'href="/apply/drafts/{case.pk}/form"' in client.get("/my-cases").content.decode()


def test_malformed_form_data_is_refused_field_by_field(client: Any, scene: Scene) -> None:
    client.force_login(scene.person)
    case = begin(client, scene)
    response = client.post(
        f"/apply/drafts/{case.pk}/form",
        {
            "applicant_name": "x" * 5000,
            "contact_phone": ["13900000000", "not-a-phone"],  # repeated field: the last one counts
            "address": "杭州",
            "application_matter": "申请",
            "is_admin": "1",  # not a field of the form: ignored, never stored
            "action": "continue",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "“申请人姓名或名称”不能超过 64 个字" in html and "“联系电话”格式不正确" in html
    case.refresh_from_db()
    assert case.form_data == {}


def test_materials_are_checked_by_content(client: Any, scene: Scene, settings: Any) -> None:
    client.force_login(scene.person)
    case = begin(client, scene)
    url = f"/apply/drafts/{case.pk}/materials"
    form = case.materials.get(name="建筑工程施工许可申请表")
    page = client.get(url).content.decode()
    assert page.count('type="file"') == 2  # the form and the deferrable contract; shared ones need none
    assert "无需上传" in page and "营业执照电子证照" in page
    spoofed = upload(client, url, form.pk, "申请表.pdf", b"MZ\x90\x00 this is a program", "application/pdf")
    assert spoofed.status_code == 400 and "不是可接受的格式" in spoofed.content.decode()
    renamed = upload(client, url, form.pk, "申请表.pdf", PNG_BYTES, "application/pdf")
    assert renamed.status_code == 400 and "内容实际是 PNG 图片" in renamed.content.decode()
    wrong_extension = upload(client, url, form.pk, "申请表.png", JPEG_BYTES, "image/jpeg")
    assert (
        wrong_extension.status_code == 400
        and "扩展名 .png 与内容（JPEG 图片）不符" in wrong_extension.content.decode()
    )
    settings.YIWANG_CASE_UPLOAD_MAX_BYTES = 1024 * 1024
    oversized = upload(
        client, url, form.pk, "大.pdf", PDF_BYTES + b"0" * (2 * 1024 * 1024), "application/pdf"
    )
    assert oversized.status_code == 400 and "超过 1 MB 的上限" in oversized.content.decode()
    no_file = client.post(url, {"op": "upload", "material": str(form.pk)})
    assert no_file.status_code == 400 and "请选择要上传的" in no_file.content.decode()
    assert not CaseFile.objects.exists()
    good = upload(client, url, form.pk, "申请表.pdf", PDF_BYTES, "application/pdf")
    assert good.status_code == 302
    form.refresh_from_db()
    assert form.status == "submitted" and form.files.get().content_type == "application/pdf"
    assert "申请表.pdf" in client.get(url).content.decode()


def test_a_material_of_another_case_cannot_be_targeted(client: Any, scene: Scene) -> None:
    other = applicant()
    client.force_login(other)
    theirs = begin(client, scene, key="their-key-0001")
    client.force_login(scene.person)
    mine = begin(client, scene, key="my-key-000001")
    target = theirs.materials.get(name="建筑工程施工许可申请表")
    response = upload(
        client, f"/apply/drafts/{mine.pk}/materials", target.pk, "a.pdf", PDF_BYTES, "application/pdf"
    )
    assert response.status_code == 400 and "这份申请中没有这项材料" in response.content.decode()
    assert not CaseFile.objects.exists()


def test_deferrable_material_needs_a_signed_promise(client: Any, scene: Scene) -> None:
    client.force_login(scene.person)
    case = begin(client, scene)
    url = f"/apply/drafts/{case.pk}/materials"
    contract = case.materials.get(name="施工合同")
    unsigned = client.post(url, {"op": "defer", "material": contract.pk, "promise_due": "2099-01-01"})
    assert unsigned.status_code == 400 and "请勾选“我已阅读并签署以上承诺”" in unsigned.content.decode()
    too_late = client.post(
        url, {"op": "defer", "material": contract.pk, "promise_due": "2099-01-01", "agree": "1"}
    )
    assert too_late.status_code == 400 and "承诺补交期限须在今天到" in too_late.content.decode()
    from yiwang.web.views.case_pages import promise_latest

    due = promise_latest(case)
    signed = client.post(
        url, {"op": "defer", "material": contract.pk, "promise_due": due.isoformat(), "agree": "1"}
    )
    assert signed.status_code == 302
    contract.refresh_from_db()
    assert contract.status == "deferred" and contract.promise_due == due
    assert "承诺" in contract.promise_text and scene.person.display_name in contract.promise_text


def test_check_page_lists_what_is_missing_and_offers_no_submit_until_complete(
    client: Any, scene: Scene
) -> None:
    client.force_login(scene.person)
    case = begin(client, scene)
    html = client.get(f"/apply/drafts/{case.pk}/check").content.decode()
    assert (
        '必要材料尚未上传：<span lang="zh-Hans">建筑工程施工许可申请表</span>' in html
        and "请填写“联系地址”" in html
    )
    assert f'action="/apply/drafts/{case.pk}/check"' not in html
    refused = client.post(f"/apply/drafts/{case.pk}/check")
    assert refused.status_code == 400 and "申请表填写有误" in refused.content.decode()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DRAFT


def test_submit_once_and_see_the_confirmation(client: Any, scene: Scene, sms: Any) -> None:
    client.force_login(scene.person)
    case = filed(client, scene)
    assert case.status == CaseStatus.SUBMITTED and len(case.number) == 20
    # A second click (or a reload of the POST) files nothing more and shows the same case.
    again = client.post(f"/apply/drafts/{case.pk}/check")
    assert again.status_code == 302 and again["Location"] == f"/my-cases/{case.number}/submitted"
    assert Case.objects.count() == 1 and Case.objects.get().number == case.number
    html = client.get(f"/my-cases/{case.number}/submitted").content.decode()
    assert case.number in html and "申请已提交" in html
    assert f"将于 {case.acceptance_due:%Y-%m-%d} 前决定是否受理" in html
    # The draft pages no longer edit the filed case.
    assert client.get(f"/apply/drafts/{case.pk}/form").status_code == 404


def test_someone_elses_draft_is_not_found(client: Any, scene: Scene) -> None:
    client.force_login(scene.person)
    case = begin(client, scene)
    client.force_login(applicant())
    for step in ("form", "materials", "check", "situations"):
        assert client.get(f"/apply/drafts/{case.pk}/{step}").status_code == 404, step
    assert client.post(f"/apply/drafts/{case.pk}/form", {"applicant_name": "x"}).status_code == 404
    assert client.post(f"/apply/drafts/{case.pk}/check").status_code == 404


def test_draft_pages_need_sign_in(client: Any, scene: Scene) -> None:
    client.force_login(scene.person)
    case = begin(client, scene)
    client.logout()
    response = client.get(f"/apply/drafts/{case.pk}/form")
    assert response.status_code == 302 and response["Location"].startswith("/account/signin/?next=")


def test_a_person_without_real_name_is_sent_to_verify(client: Any, scene: Scene) -> None:
    from yiwang.accounts.models import User

    bare = User.objects.create_user(username="nobody", password="x-Long-enough-1")
    client.force_login(bare)
    response = client.post(f"/apply/{scene.item.implementation_code}/start", {"key": "k" * 12})
    assert response.status_code == 302 and response["Location"].startswith("/account/level/")
    assert not Case.objects.exists()


def test_situations_decide_the_materials(client: Any, scene: Scene) -> None:
    from web.apply_fixtures import publish_with_situations

    item = publish_with_situations(scene)
    client.force_login(scene.person)
    start = client.get(f"/apply/{item.implementation_code}").content.decode()
    assert "委托他人办理" in start and "选择符合您情况的情形" in start
    response = client.post(f"/apply/{item.implementation_code}/start", {"key": "situation-key-1"})
    case = Case.objects.get(implementation=item)
    assert response["Location"] == f"/apply/drafts/{case.pk}/situations"
    page = client.get(response["Location"]).content.decode()
    assert "委托他人办理" in page and "由代理人代为申请" in page and "第 1 步，共 4 步" in page
    entrusted = item.published_version.situations.get(name="委托他人办理")
    forged = client.post(f"/apply/drafts/{case.pk}/situations", {"situation": ["999999"]})
    assert forged.status_code == 400 and "所选情形不属于本事项" in forged.content.decode()
    chosen = client.post(f"/apply/drafts/{case.pk}/situations", {"situation": [str(entrusted.pk)]})
    assert chosen.status_code == 302 and chosen["Location"] == f"/apply/drafts/{case.pk}/form"
    assert set(case.materials.values_list("name", flat=True)) == {"身份证明", "授权委托书"}
    again = client.get(f"/apply/drafts/{case.pk}/situations").content.decode()
    assert f'value="{entrusted.pk}" checked' in again
    client.post(f"/apply/drafts/{case.pk}/situations", {})
    assert set(case.materials.values_list("name", flat=True)) == {"身份证明"}


def test_an_agent_applies_for_the_enterprise_it_acts_for(client: Any, scene: Scene) -> None:
    from accounts.identity_factories import authorise, make_enterprise
    from cases.case_factories import publish
    from yiwang.catalog import codes

    item = publish(scene.office.organisation, service_objects=[codes.ServiceObject.ENTERPRISE.value])
    enterprise = make_enterprise()
    authorise(enterprise, scene.person, codes=(item.implementation_code,))
    client.force_login(scene.person)
    start = client.get(f"/apply/{item.implementation_code}").content.decode()
    assert "请先切换为代表企业办事" in start and 'href="/account/enterprise/"' in start
    refused = client.post(f"/apply/{item.implementation_code}/start", {"key": "enterprise-key-1"})
    assert refused.status_code == 302 and not Case.objects.exists()
    client.post("/account/enterprise/", {"action": "switch", "enterprise": str(enterprise.pk)})
    assert (
        f"您将代表“{enterprise.name}”申请"
        in client.get(f"/apply/{item.implementation_code}").content.decode()
    )
    client.post(f"/apply/{item.implementation_code}/start", {"key": "enterprise-key-1"})
    case = Case.objects.get()
    assert case.enterprise == enterprise and case.agent == scene.person
    html = client.get(f"/apply/drafts/{case.pk}/form").content.decode()
    assert f'value="{enterprise.uscc}"' in html and f'value="{enterprise.name}"' in html


def test_an_item_not_handled_online_says_where_to_go(client: Any, scene: Scene) -> None:
    from cases.case_factories import publish

    item = publish(
        scene.office.organisation,
        is_online=False,
        online_depth=1,
        online_url="",
        visits=1,
        onsite_reason="需现场核验原件",
    )
    html = client.get(f"/apply/{item.implementation_code}").content.decode()
    assert "本事项暂不支持网上办理" in html and "文三路100号" in html
    assert "<form" not in html.split("<main", 1)[1]


def test_the_representative_sees_cases_an_agent_filed_for_the_enterprise(scene: Scene) -> None:
    from accounts.identity_factories import authorise, make_enterprise, make_person
    from cases.case_factories import publish
    from yiwang.cases import selectors, services
    from yiwang.catalog import codes

    item = publish(scene.office.organisation, service_objects=[codes.ServiceObject.ENTERPRISE.value])
    enterprise = make_enterprise()
    authorise(enterprise, scene.person, codes=(item.implementation_code,))
    case = services.create_draft(item, applicant=scene.person, enterprise=enterprise)
    own = services.create_draft(item, applicant=enterprise.representative)
    assert list(selectors.my_cases(scene.person)) == [case]
    assert set(selectors.my_cases(enterprise.representative)) == {case, own}
    assert list(selectors.my_cases(make_person())) == []
