"""The fast filing path (draft + submit): what it reads once per guide version, what it still reads on
every call, and the audit chain it writes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cases.case_factories import applicant, filed_case, form_for, publish, upload_required
from catalog.factories import make_guide
from yiwang.accounts.models import RealNameLevel
from yiwang.cases import formschema, guideplan, prefill, services
from yiwang.cases.errors import CaseError
from yiwang.cases.models import AutoApprovalRule, Case, CaseStatus, MaterialStatus
from yiwang.catalog import codes
from yiwang.catalog import services as catalog_services
from yiwang.core import audit
from yiwang.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_a_newly_published_version_is_filed_on_its_own_materials() -> None:
    implementation = publish()
    first = filed_case(implementation, applicant())  # the first version's plan is now cached
    guide = make_guide(
        implementation=implementation,
        materials=[{"name": "新版申请表", "original_count": 1, "issuing_body": "申请人"}],
    )
    catalog_services.publish(catalog_services.submit(guide))
    person = applicant()
    second = services.create_draft(implementation, applicant=person, form_data=form_for(person))
    assert second.guide_id == guide.pk != first.guide_id
    assert list(second.materials.values_list("name", flat=True)) == ["新版申请表"]


def test_a_draft_of_a_withdrawn_item_cannot_be_submitted() -> None:
    implementation = publish()
    person = applicant()
    draft = services.create_draft(implementation, applicant=person, form_data=form_for(person))
    upload_required(draft, person)
    catalog_services.withdraw(implementation, reason="依据文件取消")
    with pytest.raises(CaseError, match="未发布"):
        services.submit(draft, actor=person)
    assert Case.objects.get(pk=draft.pk).status == CaseStatus.DRAFT
    with pytest.raises(CaseError, match="未发布"):
        services.create_draft(implementation, applicant=person, form_data=form_for(person))


def test_a_missing_required_material_still_stops_submission() -> None:
    person = applicant()
    draft = services.create_draft(publish(), applicant=person, form_data=form_for(person))
    with pytest.raises(CaseError, match="建筑工程施工许可申请表"):
        services.submit(draft, actor=person)
    assert Case.objects.get(pk=draft.pk).number is None


def test_the_plan_of_a_version_is_built_once_and_validates_like_the_schema() -> None:
    guideplan.clear()
    implementation = publish()
    person = applicant()
    services.create_draft(implementation, applicant=person, form_data=form_for(person))
    plan = guideplan.plan_for(
        implementation.published_version_id, implementation.published_version.published_at
    )
    assert guideplan.plan_for(plan.guide_id, implementation.published_version.published_at) is plan
    with pytest.raises(formschema.FormInvalid):
        plan.validate({"contact_phone": "12"}, for_enterprise=False, partial=True)


def test_filing_writes_one_audit_row_per_change_on_an_intact_chain() -> None:
    implementation = publish(
        materials=[{"name": "户口簿", "obtainable_by": "data", "obtainable_source": "人口库"}]
    )
    person = applicant()
    with CaptureQueriesContext(connection) as captured:
        case = services.file_application(
            implementation, applicant=person, form_data=form_for(person), idempotency_key="path-1"
        )
    assert case.status == CaseStatus.SUBMITTED and case.number
    actions = list(
        AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk)).values_list(
            "action", flat=True
        )
    )
    # Filed in one call, the applicant never had a draft: one change, one audit row and one history
    # event, which keep what the draft's record said (the guide version filed under, the channel).
    assert actions == ["cases.submit"]
    submitted = AuditEntry.objects.get(object_type="cases.case", object_id=str(case.pk))
    assert submitted.data["guide_version"] == case.guide.version and submitted.data["channel"] == "api"
    history = list(case.events.values_list("action", "data"))
    assert [action for action, _data in history] == ["submit"]
    assert history[0][1]["guide_version"] == case.guide.version
    assert list(audit.verify_chain()) == []
    # Regression guard for the busiest write: 36 statements before the fast path, 12 on PostgreSQL now.
    assert len(captured) <= 16, [q["sql"][:80] for q in captured]


def test_audit_rows_after_a_rolled_back_savepoint_still_chain() -> None:
    """The head a transaction holds is remembered between its rows; a savepoint rolled back with a row
    in it must not leave the remembered head ahead of the database."""
    with transaction.atomic():
        first = audit.record(actor=None, action="t.a", object_type="t", object_id=1)
        try:
            with transaction.atomic():
                audit.record(actor=None, action="t.b", object_type="t", object_id=2)
                raise RuntimeError("undo")
        except RuntimeError:
            pass
        third = audit.record(actor=None, action="t.c", object_type="t", object_id=3)
    assert (third.chain, third.seq, third.prev_hash) == (first.chain, first.seq + 1, first.hash)
    assert list(audit.verify_chain()) == []


def test_a_provider_selector_keeps_the_provider_away_from_materials_it_cannot_obtain() -> None:
    seen: list[list[str]] = []

    def provider(case: Any, materials: Any) -> list[prefill.PrefillResult]:
        seen.append([m.name for m in materials])
        return [prefill.PrefillResult(m.pk, True, "测试来源", "已获取") for m in materials]

    def selects(materials: Any) -> list[Any]:
        return [m for m in materials if m.name == "营业执照"]

    prefill.register_prefill_provider(provider, selects=selects)
    try:
        person = applicant()
        draft = services.create_draft(publish(), applicant=person, form_data=form_for(person))
    finally:
        prefill.unregister_prefill_provider(provider)
    assert seen == [["营业执照"]]
    statuses = dict(draft.materials.values_list("name", "status"))
    assert statuses["营业执照"] == MaterialStatus.FETCHED
    assert statuses["建设工程规划许可证"] == MaterialStatus.TO_BE_FETCHED


def test_many_audit_rows_in_one_transaction_share_one_chain_and_one_marker() -> None:
    with transaction.atomic():
        before = len(connection.run_on_commit)
        rows = [audit.record(actor=None, action="t.n", object_type="t", object_id=i) for i in range(30)]
        assert len(connection.run_on_commit) - before == 1  # the remembered head's marker, once
    assert {r.chain for r in rows} == {rows[0].chain}
    assert [r.seq for r in rows] == list(range(rows[0].seq, rows[0].seq + 30))
    assert list(audit.verify_chain()) == []


def test_a_filing_refused_in_one_call_leaves_no_draft_and_the_retry_starts_over() -> None:
    """file_application is one transaction: a refused submission takes its draft back with it."""
    implementation = publish()  # its guide has required materials, which an API call cannot upload here
    person = applicant()
    for _attempt in range(2):
        with pytest.raises(CaseError, match="必要材料"):
            services.file_application(
                implementation, applicant=person, form_data=form_for(person), idempotency_key="one-go"
            )
        assert not Case.objects.filter(applicant=person).exists()
        assert not AuditEntry.objects.filter(object_type="cases.case").exists()


# An item whose required materials are all obtained by sharing: a one-call filing needs no upload.
SHARED_ONLY = [
    {
        "name": name,
        "obtainable_by": codes.MaterialObtainable.LICENCE,
        "obtainable_source": f"{name}电子证照",
        "source_channel": codes.MaterialSourceChannel.GOVERNMENT,
    }
    for name in ("营业执照", "建设工程规划许可证")
]


def _sharing(obtained: bool) -> Any:
    def provider(case: Any, materials: Any) -> list[prefill.PrefillResult]:
        message = "已获取" if obtained else "共享库未查到"
        return [prefill.PrefillResult(m.pk, obtained, "测试来源", message) for m in materials]

    return provider


def test_a_one_call_filing_counts_a_material_sharing_could_not_obtain_as_missing() -> None:
    """The one-call path checks the material list it just wrote instead of reading it back under a lock:
    what sharing failed to obtain must be missing there too."""
    implementation = publish(materials=SHARED_ONLY)
    person = applicant()
    provider = _sharing(obtained=False)
    prefill.register_prefill_provider(provider)
    try:
        with pytest.raises(CaseError, match="营业执照"):
            services.file_application(
                implementation, applicant=person, form_data=form_for(person), idempotency_key="shared"
            )
    finally:
        prefill.unregister_prefill_provider(provider)
    assert not Case.objects.filter(applicant=person).exists()


def test_a_one_call_filing_is_decided_by_its_items_automatic_rule() -> None:
    """The one-call path learns from its preflight whether a 秒批 rule is on."""
    implementation = publish(materials=SHARED_ONLY)
    AutoApprovalRule.objects.create(implementation=implementation, description="材料齐全且人口库核验通过")
    person = applicant(level=RealNameLevel.L2)
    provider = _sharing(obtained=True)
    prefill.register_prefill_provider(provider)
    try:
        case = services.file_application(
            implementation, applicant=person, form_data=form_for(person), idempotency_key="rule"
        )
    finally:
        prefill.unregister_prefill_provider(provider)
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED and case.auto_decided
    assert set(case.materials.values_list("status", flat=True)) == {MaterialStatus.FETCHED}


def test_the_applicants_inbox_row_commits_with_the_change_and_sms_waits_for_the_commit(
    sms_outbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from yiwang.cases import notify
    from yiwang.core.models import InboxMessage

    implementation = publish()
    person = applicant()
    case = filed_case(implementation, person)
    before = InboxMessage.objects.filter(user=person).count()
    with pytest.raises(RuntimeError), transaction.atomic():
        notify.applicant(case, "【一网】回滚的通知。")
        assert InboxMessage.objects.filter(user=person).count() == before + 1  # written in the change
        raise RuntimeError("the change rolls back")
    assert InboxMessage.objects.filter(user=person).count() == before  # and went with it
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify.applicant(case, "【一网】提交的通知。")
        assert "提交的通知" not in (sms_outbox.read_text(encoding="utf-8") if sms_outbox.exists() else "")
    assert InboxMessage.objects.filter(user=person).count() == before + 1
    assert "提交的通知" in sms_outbox.read_text(encoding="utf-8")  # after the commit
    assert "回滚的通知" not in sms_outbox.read_text(encoding="utf-8")
