"""The catalogue admin: pages load, staff see only their organisations, actions go through the services."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.test import Client
from django.urls import reverse

from catalog.factories import make_guide, make_implementation, make_organisation
from yiwang.accounts.models import Membership, Role, User
from yiwang.catalog import codes, services
from yiwang.catalog.models import Bundle, GuideStatus, GuideVersion, PublicStatus
from yiwang.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client: Client) -> Client:
    user = User.objects.create_superuser("root", password=None)
    client.force_login(user)
    return client


def staff_client(client: Client, organisation: Any, role: str = Role.CATALOG_EDITOR) -> Client:
    user = User.objects.create_user(f"staff-{organisation.pk}-{role}", password=None, is_staff=True)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    client.force_login(user)
    return client


def change_url(guide: GuideVersion) -> str:
    return reverse("admin:catalog_guideversion_change", args=[guide.pk])


def form_data(response: Any) -> dict[str, Any]:
    """What the browser would post back unchanged: the main form and every inline formset."""

    def fields(form: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for bound in form:
            value = bound.value()
            if isinstance(bound.field, forms.FileField):
                continue
            if isinstance(bound.field, forms.BooleanField):
                if value:
                    out[bound.html_name] = "on"
                continue
            if isinstance(value, list | tuple):
                out[bound.html_name] = [str(v) for v in value]
            else:
                out[bound.html_name] = "" if value is None else value
        return out

    data = fields(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(fields(formset.management_form))
        for form in formset.forms:
            data.update(fields(form))
    return data


def test_admin_pages_load_for_a_superuser(admin_client_: Client) -> None:
    draft = make_guide(place="")
    services.refresh_quality(draft)
    published = services.publish(services.submit(make_guide()))
    other = services.publish(services.submit(make_guide()))
    bundle = Bundle.objects.create(
        code="YJS-9",
        name="开办企业一件事",
        audience=codes.Audience.ENTERPRISE,
        lead_organisation=published.implementation.organisation,
        region=published.implementation.region,
    )
    services.set_bundle_members(bundle, [published.implementation, other.implementation])

    for name in ("guideversion", "implementation", "bundle", "theme", "basicitem"):
        response = admin_client_.get(reverse(f"admin:catalog_{name}_changelist"))
        assert response.status_code == 200, name

    response = admin_client_.get(change_url(draft))
    assert response.status_code == 200
    text = response.content.decode()
    assert "质量评分" in text and "“办理地点”未填写" in text
    assert 'name="hours"' in text  # a draft is editable

    response = admin_client_.get(change_url(published))
    assert response.status_code == 200
    assert 'name="hours"' not in response.content.decode()  # a published version is read-only

    response = admin_client_.get(reverse("admin:catalog_bundle_change", args=[bundle.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "合并后的申请材料" in text and "建筑工程施工许可申请表" in text

    response = admin_client_.get(
        reverse("admin:catalog_implementation_change", args=[published.implementation_id])
    )
    assert response.status_code == 200 and "第1版" in response.content.decode()


def test_staff_see_and_edit_only_their_own_organisations_guides(client: Client) -> None:
    own, other = make_organisation(), make_organisation()
    mine = make_guide(implementation=make_implementation(organisation=own), name="本局的事项")
    theirs = make_guide(implementation=make_implementation(organisation=other), name="其他局的事项")
    staff_client(client, own)

    response = client.get(reverse("admin:catalog_guideversion_changelist"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "本局的事项" in text and "其他局的事项" not in text

    assert client.get(change_url(mine)).status_code == 200
    assert client.get(change_url(theirs)).status_code == 302  # "does not exist" for this user

    response = client.get(reverse("admin:catalog_implementation_changelist"))
    assert mine.implementation.implementation_code in response.content.decode()
    assert theirs.implementation.implementation_code not in response.content.decode()


def test_a_reviewer_sees_a_draft_read_only(client: Client) -> None:
    organisation = make_organisation()
    guide = make_guide(implementation=make_implementation(organisation=organisation))
    staff_client(client, organisation, Role.CATALOG_REVIEWER)

    response = client.get(change_url(guide))

    assert response.status_code == 200
    assert 'name="hours"' not in response.content.decode()


def test_saving_a_draft_goes_through_the_services(admin_client_: Client) -> None:
    guide = make_guide()
    data = form_data(admin_client_.get(change_url(guide)))
    data["hours"] = "工作日（周一至周五）9:00–17:00"
    data["faqs-0-DELETE"] = "on"

    response = admin_client_.post(change_url(guide), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    guide.refresh_from_db()
    assert guide.hours == "工作日（周一至周五）9:00–17:00"
    assert guide.faqs.count() == 0
    assert "licensing.faq" in {f["rule"] for f in guide.quality_findings}  # quality re-checked
    actions = set(AuditEntry.objects.filter(object_id=str(guide.pk)).values_list("action", flat=True))
    assert {"catalog.guide.update", "catalog.guide.parts"} <= actions


def test_a_version_that_left_draft_cannot_be_saved_from_an_old_page(admin_client_: Client) -> None:
    guide = make_guide()
    data = form_data(admin_client_.get(change_url(guide)))
    services.submit(guide)  # someone else submitted it meanwhile
    data["hours"] = "随时"

    response = admin_client_.post(change_url(guide), data)

    assert response.status_code == 200
    assert "该版本已不是草稿" in response.content.decode()
    guide.refresh_from_db()
    assert guide.hours != "随时" and guide.status == GuideStatus.IN_REVIEW


def test_the_publish_action_on_a_flawed_guide_shows_its_findings(admin_client_: Client) -> None:
    guide = services.submit(make_guide(place=""))

    response = admin_client_.post(
        reverse("admin:catalog_guideversion_changelist"),
        {"action": "publish_action", "_selected_action": [guide.pk]},
        follow=True,
    )

    text = response.content.decode()
    assert "暂不能发布" in text and "“办理地点”未填写" in text
    guide.refresh_from_db()
    assert guide.status == GuideStatus.IN_REVIEW


def test_submit_and_publish_actions(admin_client_: Client) -> None:
    guide = make_guide()
    url = reverse("admin:catalog_guideversion_changelist")

    admin_client_.post(url, {"action": "submit_action", "_selected_action": [guide.pk]})
    response = admin_client_.post(
        url, {"action": "publish_action", "_selected_action": [guide.pk]}, follow=True
    )

    assert "已发布 1 个版本" in response.content.decode()
    guide.refresh_from_db()
    assert guide.status == GuideStatus.PUBLISHED


def test_reject_asks_for_a_reason_first(admin_client_: Client) -> None:
    guide = services.submit(make_guide())
    url = reverse("admin:catalog_guideversion_changelist")

    response = admin_client_.post(url, {"action": "reject_action", "_selected_action": [guide.pk]})
    assert response.status_code == 200 and 'name="reason"' in response.content.decode()
    guide.refresh_from_db()
    assert guide.status == GuideStatus.IN_REVIEW

    admin_client_.post(
        url,
        {
            "action": "reject_action",
            "_selected_action": [guide.pk],
            "apply": "1",
            "reason": "缺少身份证明材料",
        },
    )
    guide.refresh_from_db()
    assert (guide.status, guide.status_reason) == (GuideStatus.DRAFT, "缺少身份证明材料")


def test_new_version_and_withdraw_actions(admin_client_: Client) -> None:
    guide = services.publish(services.submit(make_guide()))
    url = reverse("admin:catalog_guideversion_changelist")

    response = admin_client_.post(
        url, {"action": "new_version_action", "_selected_action": [guide.pk]}, follow=True
    )
    assert "第2版" in response.content.decode()
    assert guide.implementation.versions.filter(version=2, status=GuideStatus.DRAFT).exists()

    admin_client_.post(
        url,
        {"action": "withdraw_action", "_selected_action": [guide.pk], "apply": "1", "reason": "依据文件取消"},
    )
    guide.implementation.refresh_from_db()
    assert guide.implementation.public_status == PublicStatus.WITHDRAWN


def test_bundle_publish_action(admin_client_: Client) -> None:
    first = services.publish(services.submit(make_guide()))
    second = services.publish(services.submit(make_guide()))
    bundle = Bundle.objects.create(
        code="YJS-1",
        name="建设项目一件事",
        audience=codes.Audience.ENTERPRISE,
        lead_organisation=first.implementation.organisation,
        region=first.implementation.region,
    )
    services.set_bundle_members(bundle, [first.implementation, second.implementation])

    admin_client_.post(
        reverse("admin:catalog_bundle_changelist"),
        {"action": "publish_action", "_selected_action": [bundle.pk]},
    )

    bundle.refresh_from_db()
    assert bundle.status == "published"


def test_registry_changes_in_the_admin_are_audited(admin_client_: Client) -> None:
    response = admin_client_.post(
        reverse("admin:catalog_theme_add"),
        {"code": "P99", "name": "退休养老", "audience": codes.Audience.PERSON, "order": 9, "description": ""},
    )

    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="catalog.theme.create")
    assert entry.object_type == "catalog.theme" and "退休养老" in entry.summary
    assert admin_client_.get(reverse("admin:catalog_bundle_add")).status_code == 200
