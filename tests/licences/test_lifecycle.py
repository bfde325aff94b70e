"""Lifecycle: suspend, reinstate, revoke, cancel, expire, and the version chain of renewals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from accounts.identity_factories import make_person
from licences.licence_factories import approver, issue_to, make_type
from yiwang.core import events
from yiwang.core.models import AuditEntry
from yiwang.licences import identifiers, services, verification
from yiwang.licences.errors import LicenceError
from yiwang.licences.models import Licence, LicenceStatus

pytestmark = pytest.mark.django_db


def test_revoked_licence_is_reported_as_revoked_at_once(django_capture_on_commit_callbacks: Any) -> None:
    licence = issue_to()
    official = approver(licence.issuer)
    seen: list[tuple[str, dict[str, Any]]] = []
    events.subscribe("licence.revoke", lambda e, p: seen.append((e, p)))
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(licence, "revoke", actor=official, reason="以欺骗手段取得许可")
    result = verification.by_identifier(licence.identifier)
    assert result.signature_ok and not result.valid
    assert result.status == LicenceStatus.REVOKED and result.status_label == "撤销"
    assert result.status_reason == "以欺骗手段取得许可"
    assert "撤销" in result.verdict
    entry = AuditEntry.objects.filter(action="licences.revoke", object_id=str(licence.pk)).get()
    assert entry.data["reason"] == "以欺骗手段取得许可"
    assert list(licence.events.values_list("action", "to_status")) == [
        ("issue", "valid"),
        ("revoke", "revoked"),
    ]
    assert seen and seen[0][1]["identifier"] == licence.identifier


def test_suspend_and_reinstate_need_reasons_and_follow_the_table() -> None:
    licence = issue_to()
    official = approver(licence.issuer)
    with pytest.raises(LicenceError, match="须说明原因"):
        services.change_status(licence, "suspend", actor=official, reason="  ")
    services.change_status(licence, "suspend", actor=official, reason="责令停业整顿期间")
    assert verification.by_identifier(licence.identifier).status == "suspended"
    with pytest.raises(LicenceError, match="不能暂扣"):
        services.change_status(licence, "suspend", actor=official, reason="再次暂扣")
    services.change_status(licence, "reinstate", actor=official, reason="整改完毕")
    assert verification.by_identifier(licence.identifier).valid
    services.change_status(licence, "cancel", actor=official, reason="持证人申请注销")
    with pytest.raises(LicenceError, match="不能暂扣发还"):
        services.change_status(licence, "reinstate", actor=official, reason="误操作")
    with pytest.raises(LicenceError, match="未知的证照操作"):
        services.change_status(licence, "expire", actor=official, reason="手工过期")


def test_a_stale_copy_cannot_overwrite_a_newer_status() -> None:
    licence = issue_to()
    official = approver(licence.issuer)
    stale = Licence.objects.get(pk=licence.pk)
    services.change_status(licence, "revoke", actor=official, reason="撤销许可")
    with pytest.raises(LicenceError):
        services.change_status(stale, "suspend", actor=official, reason="暂扣")
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.REVOKED


def test_expiry_job_expires_only_licences_past_their_validity() -> None:
    licence_type = make_type(validity_months=12)
    old = issue_to(licence_type=licence_type, valid_from=timezone.localdate() - dt.timedelta(days=400))
    current = issue_to(licence_type=licence_type)
    assert old.valid_until == old.valid_from.replace(year=old.valid_from.year + 1) - dt.timedelta(days=1)
    assert services.expire_due() == 1
    assert services.expire_due() == 0  # idempotent
    old.refresh_from_db()
    assert old.status == LicenceStatus.EXPIRED and "届满" in old.status_reason
    assert Licence.objects.get(pk=current.pk).status == LicenceStatus.VALID
    result = verification.by_identifier(old.identifier)
    assert result.signature_ok and not result.valid and not result.in_validity
    # the job as a management command
    from django.core.management import call_command

    call_command("licences", "expire", date=(current.valid_until + dt.timedelta(days=1)).isoformat())
    assert Licence.objects.get(pk=current.pk).status == LicenceStatus.EXPIRED


def test_renewal_issues_the_next_version_linked_to_the_previous() -> None:
    person = make_person()
    licence_type = make_type()
    first = issue_to(person, licence_type)
    official = approver(first.issuer)
    second = issue_to(
        person,
        licence_type,
        actor=official,
        data={"address": "杭州市西湖区文三路200号", "application_matter": "新建住宅楼施工（变更）"},
        previous=first,
    )
    one, two = identifiers.parse(first.identifier), identifiers.parse(second.identifier)
    assert (two.type_code, two.issuer_code, two.serial, two.version) == (
        one.type_code,
        one.issuer_code,
        one.serial,
        2,
    )
    assert second.previous == first
    first.refresh_from_db()
    assert first.status == LicenceStatus.SUPERSEDED and "第 002 版" in first.status_reason
    old = verification.by_identifier(first.identifier)
    assert not old.valid and old.successor == second.identifier
    assert verification.by_identifier(second.identifier).valid
    signed = second.signed_content
    assert f'"prev":"{first.identifier}"' in signed and '"version":2' in signed
    from yiwang.licences import selectors

    assert [lic.version for lic in selectors.history(first)] == [1, 2]
    # a superseded version cannot be renewed again, and another person's licence cannot be the base
    with pytest.raises(LicenceError, match="不能延续或变更"):
        issue_to(person, licence_type, actor=official, previous=first)
    with pytest.raises(LicenceError, match="同一持证主体"):
        issue_to(make_person(), licence_type, actor=official, previous=second)


def test_bad_data_is_refused_with_the_field_names() -> None:
    licence_type = make_type()
    with pytest.raises(LicenceError, match="住所"):
        issue_to(licence_type=licence_type, data={"application_matter": "施工"})
    with pytest.raises(LicenceError, match="colour"):
        issue_to(
            licence_type=licence_type, data={"address": "某地", "application_matter": "施工", "colour": "红"}
        )
