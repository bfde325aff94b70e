"""The guide life cycle through catalog.services: draft → in review → published → superseded/withdrawn."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from catalog.factories import make_guide, make_implementation, make_organisation
from yiwang.accounts.models import Membership, Role, User
from yiwang.catalog import services
from yiwang.catalog.models import GuideStatus, GuideVersion, Implementation, Material, PublicStatus
from yiwang.core import audit, events
from yiwang.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def staff(organisation: Any, role: str, username: str) -> User:
    user = User.objects.create_user(username=username, password=None, is_staff=True)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


def published_guide(**overrides: Any) -> GuideVersion:
    guide = make_guide(**overrides)
    return services.publish(services.submit(guide))


def test_a_draft_is_submitted_then_published_and_mirrored_on_the_implementation() -> None:
    guide = make_guide()
    assert guide.status == GuideStatus.DRAFT

    services.submit(guide)
    guide.refresh_from_db()
    assert guide.status == GuideStatus.IN_REVIEW and guide.submitted_at is not None

    services.publish(guide)
    guide.refresh_from_db()
    implementation = Implementation.objects.get(pk=guide.implementation_id)
    assert guide.status == GuideStatus.PUBLISHED
    assert guide.snapshot is not None and guide.snapshot["name"] == guide.name
    assert guide.quality_score == 100
    assert implementation.public_status == PublicStatus.PUBLISHED
    assert implementation.published_version_id == guide.pk
    assert implementation.name == guide.name and implementation.for_enterprise
    actions = list(
        AuditEntry.objects.filter(object_type="catalog.guide", object_id=str(guide.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == ["catalog.guide.submit", "catalog.guide.publish"]
    assert list(audit.verify_chain()) == []


def test_publishing_with_blocking_findings_is_refused_with_the_findings() -> None:
    guide = services.submit(make_guide(place="", supervision_phone=""))

    with pytest.raises(services.PublishRefused) as refused:
        services.publish(guide)

    rules = {f["rule"] for f in refused.value.findings if f["severity"] == "blocking"}
    assert {"completeness.place", "completeness.supervision_phone"} <= rules
    assert "办理地点" in str(refused.value)
    guide.refresh_from_db()
    assert guide.status == GuideStatus.IN_REVIEW
    assert Implementation.objects.get(pk=guide.implementation_id).public_status == PublicStatus.UNPUBLISHED


def test_a_published_version_never_changes() -> None:
    guide = published_guide()

    with pytest.raises(services.TransitionError, match="只有草稿可以修改"):
        services.update_draft(guide, fields={"hours": "随时"})
    with pytest.raises(services.TransitionError):
        services.set_parts(guide, faqs=[])
    guide.refresh_from_db()
    assert guide.hours != "随时" and guide.faqs.count() == 1


def test_new_version_copies_every_part_and_publishing_it_supersedes_the_old_one() -> None:
    first = make_guide()
    services.set_parts(
        first,
        variants=[{"code_suffix": "01", "name": "新办"}],
        situations=[{"name": "外地企业", "variant": "01"}],
        materials=[
            {"name": "申请表", "original_count": 1},
            {"name": "外地营业执照", "copy_count": 1, "situation": "外地企业"},
        ],
    )
    services.publish(services.submit(first))
    implementation = first.implementation

    second = services.new_version(implementation, change_note="调整承诺时限")
    with pytest.raises(services.CatalogError, match="已有未发布的草稿"):
        services.new_version(implementation)

    assert (second.version, second.status, second.change_note) == (2, GuideStatus.DRAFT, "调整承诺时限")
    for part in services.PART_MODELS:
        assert getattr(second, part).count() == getattr(first, part).count(), part
    assert set(second.themes.all()) == set(first.themes.all())
    tied = Material.objects.get(guide=second, name="外地营业执照")
    assert tied.situation is not None and tied.situation.guide_id == second.pk
    assert tied.situation.variant is not None and tied.situation.variant.guide_id == second.pk

    services.update_draft(second, fields={"promised_limit": 6})
    services.publish(services.submit(second))

    first.refresh_from_db()
    implementation.refresh_from_db()
    assert first.status == GuideStatus.SUPERSEDED
    assert implementation.published_version_id == second.pk
    assert first.materials.count() == 2  # the old version keeps its rows for the record


def test_withdraw_takes_the_item_off_the_catalogue_and_needs_a_reason() -> None:
    guide = published_guide()
    implementation = guide.implementation

    with pytest.raises(services.CatalogError, match="原因"):
        services.withdraw(implementation, reason="  ")
    services.withdraw(implementation, reason="依据省政府令取消")

    implementation.refresh_from_db()
    guide.refresh_from_db()
    assert implementation.public_status == PublicStatus.WITHDRAWN
    assert implementation.published_version is None
    assert guide.status == GuideStatus.WITHDRAWN and guide.status_reason == "依据省政府令取消"
    with pytest.raises(services.TransitionError):
        services.withdraw(implementation, reason="再次取消")


def test_reject_needs_a_reason_and_returns_the_version_to_draft() -> None:
    guide = services.submit(make_guide())

    with pytest.raises(services.CatalogError, match="原因"):
        services.reject(guide, reason="")
    services.reject(guide, reason="材料清单缺少身份证明")

    guide.refresh_from_db()
    assert guide.status == GuideStatus.DRAFT and guide.status_reason == "材料清单缺少身份证明"
    services.update_draft(guide, fields={"hours": "工作日 9:00–17:00"})  # editable again


def test_a_stale_second_publish_of_the_same_version_is_refused() -> None:
    guide = services.submit(make_guide())
    first_tab = GuideVersion.objects.get(pk=guide.pk)
    second_tab = GuideVersion.objects.get(pk=guide.pk)

    services.publish(first_tab)
    with pytest.raises(services.TransitionError):
        services.publish(second_tab)
    with pytest.raises(services.TransitionError):
        services.submit(second_tab)  # also stale: the row is no longer a draft

    assert (
        GuideVersion.objects.filter(implementation=guide.implementation_id, status="published").count() == 1
    )
    assert AuditEntry.objects.filter(action="catalog.guide.publish").count() == 1


def test_staff_act_only_on_their_own_organisation_and_role() -> None:
    own = make_organisation()
    other = make_organisation()
    guide = make_guide(implementation=make_implementation(organisation=own))
    outsider = staff(other, Role.CATALOG_EDITOR, "outsider")
    editor = staff(own, Role.CATALOG_EDITOR, "editor")
    reviewer = staff(own, Role.CATALOG_REVIEWER, "reviewer")

    with pytest.raises(PermissionDenied, match=own.name):
        services.update_draft(guide, fields={"hours": "工作日"}, actor=outsider)
    with pytest.raises(PermissionDenied):
        services.submit(guide, actor=outsider)

    services.update_draft(guide, fields={"hours": "工作日（周一至周五）9:00–17:00"}, actor=editor)
    services.submit(guide, actor=editor)
    with pytest.raises(PermissionDenied):
        services.publish(guide, actor=editor)  # editors prepare, reviewers publish
    services.publish(guide, actor=reviewer)

    entry = AuditEntry.objects.get(action="catalog.guide.publish")
    assert entry.actor == reviewer
    assert list(audit.verify_chain()) == []


@pytest.fixture
def announced() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    received: list[tuple[str, dict[str, Any]]] = []

    def handler(event: str, payload: dict[str, Any]) -> None:
        received.append((event, payload))

    for name in ("catalog.published", "catalog.withdrawn"):
        events.subscribe(name, handler)
    yield received
    for name in ("catalog.published", "catalog.withdrawn"):
        events._handlers[name].remove(handler)


def test_published_and_withdrawn_are_announced_after_commit(
    announced: list[tuple[str, dict[str, Any]]], django_capture_on_commit_callbacks: Any
) -> None:
    guide = services.submit(make_guide())

    with django_capture_on_commit_callbacks(execute=True):
        services.publish(guide)
        assert announced == []  # nothing before the transaction commits
    assert announced == [
        ("catalog.published", {"implementation_id": guide.implementation_id, "guide_id": guide.pk})
    ]

    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw(guide.implementation, reason="测试取消")
    assert announced[-1] == ("catalog.withdrawn", {"implementation_id": guide.implementation_id})


def test_a_refused_publish_announces_nothing(
    announced: list[tuple[str, dict[str, Any]]], django_capture_on_commit_callbacks: Any
) -> None:
    guide = services.submit(make_guide(place=""))
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(services.PublishRefused),
    ):
        services.publish(guide)
    assert callbacks == [] and announced == []


def test_bundle_changes_need_a_role_in_the_lead_organisation_and_a_current_status() -> None:
    from yiwang.catalog import codes
    from yiwang.catalog.models import Bundle, BundleStatus

    lead = make_organisation()
    other = make_organisation()
    first = published_guide(implementation=make_implementation(organisation=lead))
    second = published_guide(implementation=make_implementation(organisation=lead))
    bundle = Bundle.objects.create(
        code="YJS-T01",
        name="测试一件事",
        audience=codes.Audience.PERSON,
        lead_organisation=lead,
        region=lead.region,
    )
    outsider = staff(other, Role.ADMIN, "outsider")
    editor = staff(lead, Role.CATALOG_EDITOR, "editor")
    reviewer = staff(lead, Role.CATALOG_REVIEWER, "reviewer")

    with pytest.raises(PermissionDenied, match=lead.name):
        services.set_bundle_members(bundle, [first.implementation, second.implementation], actor=outsider)
    services.set_bundle_members(bundle, [first.implementation, second.implementation], actor=editor)
    with pytest.raises(PermissionDenied):
        services.publish_bundle(bundle, actor=editor)  # editors prepare, reviewers publish
    with pytest.raises(PermissionDenied):
        services.withdraw_bundle(bundle, reason="调整", actor=outsider)

    services.publish_bundle(bundle, actor=reviewer)
    with pytest.raises(services.TransitionError):
        services.publish_bundle(bundle, actor=reviewer)  # already published: the stale second try is refused
    with pytest.raises(services.CatalogError):
        services.set_bundle_members(bundle, [first.implementation], actor=editor)
    services.withdraw_bundle(bundle, reason="合并到新的一件事", actor=reviewer)
    bundle.refresh_from_db()
    assert bundle.status == BundleStatus.WITHDRAWN
    assert list(audit.verify_chain()) == []
