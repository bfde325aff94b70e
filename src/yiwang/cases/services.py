"""Case writes: one function per business operation (architecture.md "How code is shaped").

Each runs in one transaction: lock the case row, check the transition table (cases.transitions) and the
actor's role, make a guarded UPDATE (… WHERE id = … AND status = from AND version = seen; exactly one
row or the operation is refused), write the CaseEvent and the audit row, issue documents, and announce
`case.*` domain events and notifications only after commit.

Actors: a signed-in user, or `SYSTEM` for the sweep and 秒批 rules. `None` is never accepted as an actor,
so a view that forgets to pass the user cannot act with the system's rights.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts import permissions
from yiwang.accounts.models import Enterprise, PersonIdentity
from yiwang.catalog.models import GuideVersion, Implementation, PublicStatus
from yiwang.catalog.models import SpecialProcedure as CatalogSpecialProcedure
from yiwang.core import audit, events
from yiwang.core.models import Organisation
from yiwang.core.workdays import add_working_days, working_days_between

from . import deadlines, documents, filingsql, formschema, gates, guideplan, notify, prefill, transitions
from .errors import CaseError, Conflict, NotPermitted, TransitionRefused
from .models import (
    AutoApprovalRule,
    Case,
    CaseEvent,
    CaseFile,
    CaseMaterial,
    CaseNumberCounter,
    CaseStatus,
    CaseStep,
    Channel,
    DeliveryMethod,
    DocumentKind,
    MaterialStatus,
    SpecialProcedureRun,
    StepStatus,
    SupplementRequest,
)
from .uploads import inspect_upload


class _System:
    """The platform itself acting (deadline sweep, 秒批 rules)."""

    is_authenticated = False
    pk = None

    def __str__(self) -> str:
        return "系统"


SYSTEM: Any = _System()

PUBLISHED_EVENTS = {
    "submit": "case.filed",
    "accept": "case.accepted",
    "deemed_accept": "case.accepted",
    "approve": "case.approved",
    "approve_immediately": "case.approved",
    "refuse": "case.refused",
    "refuse_immediately": "case.refused",
    "complete": "case.completed",
    "deliver": "case.delivered",
}

SUPPLEMENT_DEFAULT_DAYS = 5
BUNDLE_EXTENSION_CEILING_DAYS = 15  # 行政许可法 第四十二条: 统一/联合/集中办理 +15


def _today() -> dt.date:
    return timezone.localdate()


# --- who may act ----------------------------------------------------------------------------------


def roles_of(actor: Any, case: Case, organisation: Organisation | None = None) -> set[str]:
    """The transition-table roles `actor` holds on `case` (at `organisation`, default the case's)."""
    if actor is SYSTEM:
        return {transitions.SYSTEM}
    if not getattr(actor, "is_authenticated", False):
        return set()
    roles: set[str] = set()
    if actor.pk == case.applicant_id or (
        case.enterprise is not None
        and permissions.may_act_for(actor, case.enterprise, case.implementation.implementation_code)
    ):
        roles.add(transitions.APPLICANT)
    organisation = organisation or case.organisation
    for role in (transitions.WINDOW, transitions.REVIEWER, transitions.APPROVER):
        if permissions.has_role_at(
            actor, role, organisation_id=organisation.pk, region_code=organisation.region_id
        ):
            roles.add(role)
    return roles


def _require(actor: Any, who: Iterable[str], case: Case, organisation: Organisation | None = None) -> None:
    if actor is None:
        raise NotPermitted(_("未指明操作人，不能办理。"))
    wanted = set(who)
    # The applicant acting on their own case needs no staff-role lookups (three queries saved per step).
    if (
        transitions.APPLICANT in wanted
        and getattr(actor, "pk", None) == case.applicant_id
        and actor is not SYSTEM
    ):
        return
    if not roles_of(actor, case, organisation) & wanted:
        raise NotPermitted(_("您无权对办件 %(n)s 执行此操作。") % {"n": case.number or case.pk})


# --- the one place a status changes ------------------------------------------------------------------


def _lock(case: Case | int) -> Case:
    pk = case if isinstance(case, int) else case.pk
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("implementation", "guide", "organisation", "enterprise", "applicant")
        .get(pk=pk)
    )


def _state(case: Case) -> dict[str, Any]:
    return {"id": case.pk, "number": case.number, "status": case.status, "version": case.version}


def _event(
    case: Case,
    action: str,
    actor: Any,
    *,
    from_status: str = "",
    to_status: str = "",
    comment: str = "",
    data: Mapping[str, Any] | None = None,
) -> CaseEvent:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return CaseEvent.objects.create(
        case=case,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=user,
        actor_label=str(actor)[:64] if actor is not None else "",
        occurred_at=timezone.now(),
        comment=comment,
        data=dict(data or {}),
    )


def _note(
    case: Case, action: str, actor: Any, comment: str = "", data: Mapping[str, Any] | None = None
) -> CaseEvent:
    """An event without a status change (uploads, draft edits, rule checks), audited like the rest."""
    event = _event(
        case, action, actor, from_status=case.status, to_status=case.status, comment=comment, data=data
    )
    audit.record(
        actor=actor if actor is not SYSTEM else None,
        action=f"cases.{action}",
        object_type="cases.case",
        object_id=case.pk,
        after=_state(case),
        summary=f"{case.number or '草稿'}：{transitions.label(action)}",
        data=dict(data or {}),
    )
    return event


def _move(
    case: Case,
    action: str,
    *,
    actor: Any,
    comment: str = "",
    fields: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    message: str = "",
    organisation: Organisation | None = None,
    late: Callable[[], Mapping[str, Any]] | None = None,
) -> CaseEvent:
    """Apply one transition to a case locked by `_lock` (same transaction). Updates `case` in place.
    `organisation` is where the actor's role is checked (default: the case's organisation).

    `late`: fields that take a lock everybody queues on (submission's case number). Everything that can
    is done before it: the history event is written first and the audit chain head is taken, so only
    the guarded UPDATE, the audit row and the commit run while that lock is held."""
    transition = transitions.find(case, action)
    _require(actor, transition.who, case, organisation)
    if transition.guard is not None and (problem := transition.guard(case)):
        raise TransitionRefused(problem)
    before = _state(case)
    values: dict[str, Any] = dict(fields or {})
    for name, value in values.items():
        setattr(case, name, value)
    values.update(deadlines.clock_fields(case, transition.target))
    values["status"] = transition.target
    values["updated_at"] = timezone.now()

    def history() -> CaseEvent:
        return _event(
            case,
            action,
            actor,
            from_status=transition.source,
            to_status=transition.target,
            comment=comment,
            data=data,
        )

    event: CaseEvent | None = None
    if late is not None:
        # A refused UPDATE below raises, and the service's transaction takes this row back with it.
        event = history()
        audit.take_chain()
        values.update(late())
    changed = Case.objects.filter(pk=case.pk, status=transition.source, version=case.version).update(
        version=F("version") + 1, **values
    )
    if changed != 1:
        raise Conflict(
            _("办件 %(n)s 刚刚已被他人处理，请刷新后查看最新状态。") % {"n": case.number or case.pk}
        )
    for name, value in values.items():
        setattr(case, name, value)
    case.version += 1
    if event is None:
        event = history()
    audit.record(
        actor=actor if actor is not SYSTEM else None,
        action=f"cases.{action}",
        object_type="cases.case",
        object_id=case.pk,
        before=before,
        after=_state(case),
        summary=f"{case.number or '草稿'}：{transitions.label(action)}",
        data={"comment": comment[:200], **dict(data or {})},
    )
    events.publish(
        PUBLISHED_EVENTS.get(action, f"case.{action}"),
        {
            "case_id": case.pk,
            "number": case.number,
            "action": action,
            "from": transition.source,
            "to": transition.target,
            "implementation_id": case.implementation_id,
            "organisation_id": case.organisation_id,
            "applicant_id": case.applicant_id,
        },
    )
    if message:
        notify.applicant(case, message)
    return event


# --- drafts ------------------------------------------------------------------------------------------


def _open_plan(
    implementation_id: int,
    name: str,
    public_status: str,
    guide_id: int | None,
    published_at: dt.datetime | None,
) -> guideplan.GuidePlan:
    """The plan of the implementation's published guide, or CaseError when it takes no applications."""
    if public_status != PublicStatus.PUBLISHED or guide_id is None:
        raise CaseError(_("事项“%(n)s”目前未发布，暂不能申请。") % {"n": name or implementation_id})
    return guideplan.plan_for(guide_id, published_at)


def _template_material(case: Case, template: guideplan.MaterialTemplate) -> CaseMaterial:
    status = MaterialStatus.TO_BE_FETCHED if template.obtainable_by else MaterialStatus.MISSING
    return CaseMaterial(
        case=case,
        catalog_material_id=template.catalog_material_id,
        name=template.name,
        necessity=template.necessity,
        obtainable_by=template.obtainable_by,
        obtainable_source=template.obtainable_source,
        order=template.order,
        status=status,
    )


def _copy_materials(case: Case, plan: guideplan.GuidePlan) -> list[CaseMaterial]:
    return CaseMaterial.objects.bulk_create([_template_material(case, t) for t in plan.materials])


def _schema(guide: GuideVersion, enterprise: Enterprise | None) -> dict[str, Any]:
    """The form schema; an application for an enterprise always carries the enterprise's fields."""
    return formschema.form_schema_for(guide, for_enterprise=True if enterprise is not None else None)


def create_draft(
    implementation: Implementation,
    *,
    applicant: Any,
    enterprise: Enterprise | None = None,
    channel: str = Channel.WEB,
    form_data: Mapping[str, Any] | None = None,
    idempotency_key: str = "",
    bundle: Any = None,
) -> Case:
    """Start an application (the applicant, or an agent acting for `enterprise`). With an idempotency key
    a retried call returns the case the first call created."""
    if not getattr(applicant, "is_authenticated", False):
        raise NotPermitted(_("请先登录再申请。"))
    key = (idempotency_key or "").strip()[:64]
    args = (implementation, applicant, enterprise, channel, form_data, key, bundle)
    if connection.in_atomic_block:  # inside the caller's transaction: a savepoint keeps it usable
        with transaction.atomic():
            return _draft(*args, savepoint=True)[0]
    # Our own transaction: no savepoint around the insert (two round trips). A concurrent retry with the
    # same key that wins the insert rolls this whole transaction back; its case is looked up afterwards.
    try:
        with transaction.atomic():
            return _draft(*args, savepoint=False)[0]
    except IntegrityError:
        return _winner(applicant, key)


def _winner(applicant: Any, key: str) -> Case:
    """After our insert lost to a concurrent one with the same idempotency key (IntegrityError, our
    transaction rolled back): the case that call made. Re-raises when there is none (another constraint)."""
    existing = Case.objects.filter(applicant=applicant, idempotency_key=key).first() if key else None
    if existing is None:
        raise  # the IntegrityError being handled (called from its except block only)
    return existing


def _draft(
    implementation: Implementation,
    applicant: Any,
    enterprise: Enterprise | None,
    channel: str,
    form_data: Mapping[str, Any] | None,
    key: str,
    bundle: Any,
    *,
    savepoint: bool,
    recorded: bool = True,
) -> tuple[Case, filingsql.SubmissionFacts | None]:
    """The draft, in the caller's transaction, and what submitting it in that same transaction must check
    (None for a case the key already named, or when the new material rows' ids are unknown).
    `recorded=False` (filing in one call): no history event or audit row of its own; the submission that
    follows in the same transaction records the filing once, with what the draft's record would have
    said."""
    # One round trip: the case the key already names (a retry) and the item's current publication.
    existing_id, publication, has_auto_rule = filingsql.draft_preflight(implementation.pk, applicant.pk, key)
    if existing_id is not None:
        return Case.objects.get(pk=existing_id), None
    plan = _open_plan(implementation.pk, *publication)
    if enterprise is not None and not permissions.may_act_for(
        applicant, enterprise, implementation.implementation_code
    ):
        raise NotPermitted(_("您未获“%(e)s”授权办理该事项，请联系法定代表人授权。") % {"e": enterprise.name})
    if channel not in Channel.values:
        raise CaseError(_("申请渠道不正确。"))
    data = dict(form_data or {})
    if data:
        plan.validate(data, for_enterprise=enterprise is not None, partial=True)
    case = Case(
        implementation=implementation,
        guide_id=plan.guide_id,
        bundle=bundle,
        organisation_id=implementation.organisation_id,
        region_id=implementation.region_id,
        applicant=applicant,
        enterprise=enterprise,
        agent=applicant if enterprise is not None and enterprise.representative_id != applicant.pk else None,
        channel=channel,
        form_data=data,
        idempotency_key=key,
        is_immediate=plan.is_immediate,
        limit_days=plan.limit_days,
        acceptance_days=plan.acceptance_days,
    )
    try:
        with transaction.atomic(savepoint=savepoint):
            case.save()
    except IntegrityError:
        if not savepoint:
            raise  # the transaction is spoilt: create_draft looks the winner up after the rollback
        return _winner(applicant, key), None  # a concurrent retry with the same key won the insert
    materials = _copy_materials(case, plan)
    pending = [m for m in materials if m.status == MaterialStatus.TO_BE_FETCHED]
    # The rows just inserted are the draft's whole list (ids known where the database returns them).
    known = all(m.pk for m in pending)
    created = {"guide_version": plan.version, "channel": channel}
    if recorded or not known:
        # Without the ids the submission reads the draft back under its lock, as for any draft: then the
        # draft keeps a record of its own.
        _note(case, "create", applicant, data=created)
    prefill.run_prefill(case, pending if known else None)
    if not known:
        return case, None
    return case, filingsql.SubmissionFacts(
        publication=publication,
        lacks_required=any(
            m.necessity == "required" and m.status == MaterialStatus.MISSING for m in materials
        ),
        has_auto_rule=has_auto_rule,
        created_record=None if recorded else created,
    )


@transaction.atomic
def update_draft(case: Case, *, actor: Any, form_data: Mapping[str, Any]) -> Case:
    """Save the form of a draft (missing fields allowed; wrong values refused field by field)."""
    case = _lock(case)
    _require(actor, {transitions.APPLICANT}, case)
    if case.status != CaseStatus.DRAFT:
        raise TransitionRefused(_("申请已提交，不能再修改草稿。如需更正，请等待补正告知或撤回后重新申请。"))
    schema = _schema(case.guide, case.enterprise)
    data = formschema.validate_form(schema, dict(form_data), partial=True)
    Case.objects.filter(pk=case.pk, status=CaseStatus.DRAFT).update(form_data=data, updated_at=timezone.now())
    case.form_data = data
    _note(case, "update_draft", actor)
    return case


@transaction.atomic
def choose_situations(case: Case, *, actor: Any, situation_ids: Sequence[int]) -> Case:
    """办理情形: rebuild a draft's material list for the chosen situations of its guide.

    The list becomes the guide's common materials plus those of every chosen situation. Materials that
    stay keep their uploads and 容缺 promises; materials of situations no longer chosen are dropped
    (their files with them); newly needed ones are added. An empty choice means the common list only."""
    case = _lock(case)
    _require(actor, {transitions.APPLICANT}, case)
    if case.status != CaseStatus.DRAFT:
        raise TransitionRefused(_("申请已提交，不能再更改办理情形。"))
    wanted = list(dict.fromkeys(int(pk) for pk in situation_ids))
    situations = list(case.guide.situations.filter(pk__in=wanted).order_by("order", "id"))
    unknown = sorted(set(wanted) - {s.pk for s in situations})
    if unknown:
        raise CaseError(
            _("所选办理情形不属于该事项的办事指南（编号：%(ids)s），请重新选择。")
            % {"ids": "、".join(str(pk) for pk in unknown)}
        )
    needed = {
        m.pk: m
        for m in case.guide.materials.filter(
            Q(situation__isnull=True) | Q(situation__in=situations)
        ).order_by("order", "id")
    }
    present = dict(
        case.materials.filter(catalog_material__isnull=False).values_list("catalog_material_id", "pk")
    )
    dropped = [pk for material_id, pk in present.items() if material_id not in needed]
    CaseMaterial.objects.filter(pk__in=dropped).delete()
    CaseMaterial.objects.bulk_create(
        _template_material(case, guideplan.MaterialTemplate.of(material))
        for material_id, material in needed.items()
        if material_id not in present
    )
    case.situations.set(situations)
    Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())
    _note(
        case,
        "choose_situations",
        actor,
        comment="、".join(s.name for s in situations) or _("通用情形"),
        data={"situations": [s.pk for s in situations], "materials": len(needed)},
    )
    prefill.run_prefill(case)  # newly listed shared materials are fetched like those of the draft
    return case


# --- materials -----------------------------------------------------------------------------------------

_UPLOAD_STATUSES = (CaseStatus.DRAFT, CaseStatus.RETURNED, CaseStatus.SUPPLEMENTING)
# 容缺: a deferred material may arrive any time until the case is completed.
_DEFERRED_UPLOAD_STATUSES = (
    CaseStatus.SUBMITTED,
    CaseStatus.ACCEPTED,
    CaseStatus.IN_REVIEW,
    CaseStatus.SPECIAL_PROCEDURE,
    CaseStatus.APPROVED,
)


@transaction.atomic
def upload_material(
    case: Case,
    material: CaseMaterial,
    *,
    actor: Any,
    name: str,
    content_type: str,
    data: bytes,
) -> CaseFile:
    """Add a file to a material after checking its content (uploads.inspect_upload)."""
    case = _lock(case)
    _require(actor, {transitions.APPLICANT, transitions.WINDOW}, case)
    material = CaseMaterial.objects.select_for_update().get(pk=material.pk, case=case)
    deferred_later = material.status == MaterialStatus.DEFERRED and case.status in _DEFERRED_UPLOAD_STATUSES
    if case.status not in _UPLOAD_STATUSES and not deferred_later:
        raise TransitionRefused(
            _("办件当前状态为“%(s)s”，不能上传材料。") % {"s": CaseStatus(case.status).label}
        )
    inspected = inspect_upload(name, content_type, data)
    stored = CaseFile(
        material=material,
        original_name=name[:200],
        content_type=inspected.content_type,
        size=inspected.size,
        sm3=inspected.sm3,
        uploaded_by=actor,
    )
    stored.file.save(f"{case.pk}-{material.pk}-{inspected.sm3[:16]}", ContentFile(data), save=False)
    stored.save()
    material.status = MaterialStatus.SUBMITTED
    material.save(update_fields=["status"])
    _note(
        case,
        "upload",
        actor,
        comment=material.name,
        data={"material": material.name, "file": name[:200], "sm3": inspected.sm3, "size": inspected.size},
    )
    return stored


@transaction.atomic
def defer_material(
    case: Case, material: CaseMaterial, *, actor: Any, promise_text: str, promise_due: dt.date
) -> CaseMaterial:
    """容缺: the applicant signs a promise to provide a deferrable material by a date."""
    case = _lock(case)
    _require(actor, {transitions.APPLICANT}, case)
    material = CaseMaterial.objects.select_for_update().get(pk=material.pk, case=case)
    if case.status not in (CaseStatus.DRAFT, CaseStatus.RETURNED):
        raise TransitionRefused(_("只能在提交申请前选择容缺后补。"))
    if material.necessity != "deferrable":
        raise CaseError(_("“%(m)s”不是可容缺的材料，请按要求提交。") % {"m": material.name})
    if not promise_text.strip():
        raise CaseError(_("请填写并签署容缺受理承诺书内容。"))
    latest = add_working_days(_today(), case.limit_days)
    if promise_due < _today() or promise_due > latest:
        raise CaseError(
            _("承诺补交期限须在今天到 %(d)s 之间（不超过事项的承诺办结时限）。") % {"d": f"{latest:%Y-%m-%d}"}
        )
    material.status = MaterialStatus.DEFERRED
    material.promise_text = promise_text.strip()
    material.promise_signed_at = timezone.now()
    material.promise_due = promise_due
    material.save(update_fields=["status", "promise_text", "promise_signed_at", "promise_due"])
    _note(case, "defer_material", actor, comment=material.name, data={"promise_due": promise_due.isoformat()})
    return material


def _missing_required(case: Case) -> list[str]:
    return list(
        case.materials.filter(necessity="required", status=MaterialStatus.MISSING).values_list(
            "name", flat=True
        )
    )


# --- submission ------------------------------------------------------------------------------------------


def allocate_number(region_code: str, day: dt.date) -> str:
    """The next 办件编号 in a region on a day (call inside the submitting transaction)."""
    # One round trip: insert the day's counter or bump it, under the row lock the upsert takes (PostgreSQL
    # and SQLite ≥ 3.35 both have INSERT … ON CONFLICT … RETURNING). The lock is held until commit.
    table = connection.ops.quote_name(CaseNumberCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (region_code, day, last) VALUES (%s, %s, 1) "  # noqa: S608 - table name is ours
            f"ON CONFLICT (region_code, day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [region_code, day.isoformat()],
        )
        last = int(cursor.fetchone()[0])
    if last > 999_999:
        raise CaseError(_("本区划今日办件编号已用尽，请联系管理员。"))
    return f"{region_code}{day:%Y%m%d}{last:06d}"


def _validate_for_submission(case: Case, plan: guideplan.GuidePlan, facts: filingsql.SubmissionFacts) -> None:
    plan.validate(case.form_data, for_enterprise=case.enterprise_id is not None)
    # The facts say whether any required material is missing; the names are read only on refusal.
    missing = _missing_required(case) if facts.lacks_required else []
    if missing:
        raise CaseError(
            _("以下必要材料尚未上传：%(m)s。请上传后再提交（可共享获取的材料无需上传）。")
            % {"m": "、".join(missing)}
        )


@transaction.atomic
def submit(case: Case, *, actor: Any, idempotency_key: str = "") -> Case:
    """File a draft. Submitting again (double click, retry) returns the same case; never a second one."""
    return _submit(case, actor=actor, idempotency_key=idempotency_key)


def _submit(
    case: Case, *, actor: Any, idempotency_key: str, fresh: filingsql.SubmissionFacts | None = None
) -> Case:
    """`submit` in the caller's transaction. `fresh`: `case` is a draft `_draft` inserted in this same
    transaction (its row is invisible to others), with what `_draft` read in place of the lock statement."""
    key = (idempotency_key or "").strip()[:64]
    # A key is unique per applicant: when this draft already carries it, the case filed under the key can
    # only be this one, and the locked row below says whether it is filed. Only another key needs a lookup.
    if (
        key
        and case.idempotency_key != key
        and (
            existing := Case.objects.filter(applicant_id=case.applicant_id, idempotency_key=key)
            .exclude(status=CaseStatus.DRAFT)
            .first()
        )
    ):
        return existing
    facts = fresh
    if facts is None:
        case, facts = _lock_for_submission(case)
    if key and case.idempotency_key == key and case.status != CaseStatus.DRAFT:
        return case  # filed under this key: the retry gets the case it filed
    already_filed = case.status != CaseStatus.DRAFT and not key
    if already_filed and roles_of(actor, case) & {transitions.APPLICANT, transitions.WINDOW}:
        return case  # already filed: the retry sees the case it filed
    plan = _open_plan(case.implementation_id, *facts.publication)
    _validate_for_submission(case, plan, facts)
    # The facts say whether a 秒批 rule is on; read it before the number (the counter row stays locked
    # until commit, so nothing avoidable should run after it).
    rule = _auto_approval_rule(case) if facts.has_auto_rule else None
    now = timezone.now()
    today = timezone.localdate(now)
    fields: dict[str, Any] = {
        "submitted_at": now,
        "submitted_on": today,
        "guide_id": plan.guide_id,
        "is_immediate": plan.is_immediate,
        "limit_days": plan.limit_days,
        "acceptance_days": plan.acceptance_days,
    }
    if key and not case.idempotency_key:
        fields["idempotency_key"] = key
    # The number last: the day's counter row stays locked until commit and every submission in the
    # region queues on it, so it is taken after everything that does not need it (see _move's `late`).
    _move(
        case,
        "submit",
        actor=actor,
        fields=fields,
        data=facts.created_record,
        late=lambda: {"number": allocate_number(case.region_id, today)},
    )
    notify.applicant(
        case,
        _("【一网】您的申请“%(item)s”已提交，办件编号 %(n)s，将于 %(d)s 前告知是否受理。")
        % {"item": plan.name, "n": case.number, "d": f"{case.acceptance_due:%Y-%m-%d}"},
    )
    if rule is not None:
        _try_auto_approval(case, rule)
    return case


def _lock_for_submission(case: Case) -> tuple[Case, filingsql.SubmissionFacts]:
    """Lock the draft, reading in the same statement what submission checks (cases.filingsql): the
    implementation's current publication, whether a required material is missing, whether a 秒批 rule is
    on, and the applicant. The guide row itself is not read: cases.guideplan has its content."""
    return filingsql.lock_for_submission(case.pk)


def file_application(
    implementation: Implementation,
    *,
    applicant: Any,
    form_data: Mapping[str, Any],
    idempotency_key: str,
    enterprise: Enterprise | None = None,
    channel: str = Channel.API,
) -> Case:
    """Create and submit in one call (API clients). The same idempotency key always yields one case.

    One transaction: the draft and its submission commit together, so a failure leaves nothing behind
    and a retry with the same key starts over; the filing is one event and one audit row (the applicant
    never saw a draft). Locks come in the usual order: the new case row (nobody else sees it yet), the
    audit chain head, the region's number counter last. A concurrent call with the same key that wins
    the insert rolls this transaction back; its case is returned (and submitted, when another path left
    it a draft)."""
    if not getattr(applicant, "is_authenticated", False):
        raise NotPermitted(_("请先登录再申请。"))
    key = (idempotency_key or "").strip()[:64]
    try:
        with transaction.atomic():
            case, facts = _draft(
                implementation,
                applicant,
                enterprise,
                channel,
                form_data,
                key,
                None,
                savepoint=False,
                recorded=False,
            )
            if case.status != CaseStatus.DRAFT:
                return case
            return _submit(case, actor=applicant, idempotency_key=key, fresh=facts)
    except IntegrityError:
        existing = _winner(applicant, key)
    if existing.status != CaseStatus.DRAFT:
        return existing
    return submit(existing, actor=applicant, idempotency_key=key)


# --- pre-review and acceptance ------------------------------------------------------------------------


def _clean_items(items: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    cleaned = [
        {"material": str(i.get("material", "")).strip(), "problem": str(i.get("problem", "")).strip()}
        for i in items
    ]
    if not cleaned or any(not i["material"] or not i["problem"] for i in cleaned):
        raise CaseError(_("请一次列明需补正的全部内容，每一项写明材料名称和存在的问题。"))
    return cleaned


def _request_supplement(
    case: Case,
    action: str,
    *,
    actor: Any,
    items: Sequence[Mapping[str, str]],
    deadline: dt.date | None,
    extra: Mapping[str, Any] | None = None,
) -> SupplementRequest:
    cleaned = _clean_items(items)
    deadline = deadline or add_working_days(_today(), SUPPLEMENT_DEFAULT_DAYS)
    if deadline < _today():
        raise CaseError(_("补正期限不能早于今天。"))
    names = {item["material"] for item in cleaned}
    event = _move(
        case,
        action,
        actor=actor,
        fields=extra,
        comment="；".join(f"{i['material']}：{i['problem']}" for i in cleaned),
        data={"items": cleaned, "deadline": deadline.isoformat()},
        message=_("【一网】办件 %(n)s 需要补正材料，共 %(c)d 项，请于 %(d)s 前一次补正。详见一次性告知书。")
        % {"n": case.number, "c": len(cleaned), "d": f"{deadline:%Y-%m-%d}"},
    )
    request = SupplementRequest.objects.create(
        case=case,
        items=cleaned,
        deadline=deadline,
        after_acceptance=action == "request_supplement",
        requested_by=actor,
    )
    case.materials.filter(name__in=names).exclude(status=MaterialStatus.TO_BE_FETCHED).update(
        status=MaterialStatus.MISSING
    )
    documents.issue(
        case, event, DocumentKind.SUPPLEMENT, documents.supplement_notice(case, cleaned, deadline)
    )
    return request


@transaction.atomic
def return_for_supplement(
    case: Case, *, actor: Any, items: Sequence[Mapping[str, str]], deadline: dt.date | None = None
) -> SupplementRequest:
    """Pre-review: one complete list of everything missing (一次性告知); the acceptance clock restarts
    when the applicant resubmits."""
    return _request_supplement(
        _lock(case), "return_for_supplement", actor=actor, items=items, deadline=deadline
    )


def _answer_supplement(case: Case) -> None:
    case.supplement_requests.filter(answered_at__isnull=True).update(answered_at=timezone.now())


@transaction.atomic
def resubmit(case: Case, *, actor: Any) -> Case:
    case = _lock(case)
    if case.status == CaseStatus.RETURNED:
        missing = _missing_required(case)
        if missing:
            raise CaseError(_("以下材料仍需补正：%(m)s。") % {"m": "、".join(missing)})
    now = timezone.now()
    _move(
        case,
        "resubmit",
        actor=actor,
        fields={"submitted_at": now, "submitted_on": timezone.localdate(now)},
        message=_("【一网】办件 %(n)s 的补正材料已收到，我们将尽快审查是否受理。") % {"n": case.number},
    )
    _answer_supplement(case)
    return case


@transaction.atomic
def accept(case: Case, *, actor: Any, comment: str = "") -> Case:
    case = _lock(case)
    event = _move(
        case,
        "accept",
        actor=actor,
        comment=comment,
        fields={"accepted_on": _today()},
        message=_("【一网】办件 %(n)s 已受理。") % {"n": case.number},
    )
    documents.issue(case, event, DocumentKind.ACCEPTANCE, documents.acceptance_notice(case))
    return case


@transaction.atomic
def not_accept(case: Case, *, actor: Any, reason: str, competent_body: str = "") -> Case:
    if not reason.strip():
        raise CaseError(_("不予受理须写明理由。"))
    case = _lock(case)
    event = _move(
        case,
        "not_accept",
        actor=actor,
        comment=reason.strip(),
        fields={"not_accepted_reason": reason.strip(), "competent_body": competent_body.strip()},
        data={"competent_body": competent_body.strip()},
        message=_("【一网】办件 %(n)s 不予受理，理由及救济途径见不予受理通知书。") % {"n": case.number},
    )
    documents.issue(case, event, DocumentKind.NON_ACCEPTANCE, documents.non_acceptance_notice(case))
    return case


@transaction.atomic
def transfer(case: Case, *, actor: Any, to_organisation: Organisation, reason: str) -> Case:
    """Not this organisation's competence: hand the application to the competent one."""
    if not reason.strip():
        raise CaseError(_("移送须写明理由。"))
    case = _lock(case)
    if to_organisation.pk == case.organisation_id:
        raise CaseError(_("不能移送给本机关。"))
    _move(
        case,
        "transfer",
        actor=actor,
        comment=reason.strip(),
        fields={"transferred_to": to_organisation, "competent_body": to_organisation.name},
        data={"to_organisation": to_organisation.pk},
        message=_("【一网】办件 %(n)s 已移送有权机关“%(o)s”办理。")
        % {"n": case.number, "o": to_organisation.name},
    )
    return case


# --- review steps ----------------------------------------------------------------------------------------


def _create_steps(case: Case) -> None:
    """Copy the review steps: one lane for an item; one lane per member department for a bundle."""
    if case.steps.exists():
        return
    lanes: list[tuple[GuideVersion, Organisation]] = [(case.guide, case.organisation)]
    if case.bundle is not None:
        lanes = []
        for member in case.bundle.memberships.select_related(
            "implementation__published_version", "implementation__organisation"
        ).order_by("order", "id"):
            guide = member.implementation.published_version
            if guide is not None:
                lanes.append((guide, member.implementation.organisation))
    rows = [
        CaseStep(
            case=case,
            lane=lane,
            order=index,  # the guide's own orders may start at 0 or repeat; the lane's sequence must not
            name=step.name,
            role=step.role,
            organisation=organisation,
            time_limit=step.time_limit,
        )
        for lane, (guide, organisation) in enumerate(lanes)
        for index, step in enumerate(guide.steps.order_by("order", "id"), start=1)
    ]
    CaseStep.objects.bulk_create(rows)


def _activate_next(case: Case, lane: int) -> None:
    step = case.steps.filter(lane=lane, status=StepStatus.PENDING).order_by("order", "id").first()
    if step is not None:
        step.status = StepStatus.ACTIVE
        step.started_at = timezone.now()
        step.due_on = add_working_days(_today(), step.time_limit)
        step.warn_on = deadlines.warning_day(_today(), step.time_limit)
        step.warning_level = deadlines.level_on(_today(), step.due_on, step.warn_on)
        step.save(update_fields=["status", "started_at", "due_on", "warn_on", "warning_level"])


@transaction.atomic
def start_review(case: Case, *, actor: Any) -> Case:
    """Begin the review: the first step of every lane becomes active (lanes run in parallel)."""
    case = _lock(case)
    _move(case, "start_review", actor=actor)
    _create_steps(case)
    for lane in sorted(set(case.steps.values_list("lane", flat=True))):
        _activate_next(case, lane)
    return case


@transaction.atomic
def complete_step(case: Case, step: CaseStep, *, actor: Any, opinion: str = "") -> CaseStep:
    """Finish the active step of a lane; the lane's next step starts. All lanes done = the join."""
    case = _lock(case)
    # of=("self",): FOR UPDATE on the joined organisation row would block every insert that references it
    # (foreign-key checks take KEY SHARE) and deadlock against the audit chain lock.
    step = (
        CaseStep.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=step.pk, case=case)
    )
    if step.status != StepStatus.ACTIVE:
        raise TransitionRefused(
            _("环节“%(s)s”当前为“%(st)s”，不能办理。") % {"s": step.name, "st": StepStatus(step.status).label}
        )
    transition = transitions.find(case, "complete_step")
    _require(actor, transition.who, case, organisation=step.organisation)  # before touching the step
    step.status = StepStatus.DONE
    step.finished_at = timezone.now()
    step.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    step.opinion = opinion.strip()
    step.save(update_fields=["status", "finished_at", "decided_by", "opinion"])
    _activate_next(case, step.lane)
    joined = not case.steps.exclude(status=StepStatus.DONE).exists()
    # The step's own department acts on it, also when the case belongs to a bundle's lead department.
    _move(
        case,
        "complete_step",
        actor=actor,
        organisation=step.organisation,
        comment=opinion.strip(),
        data={"step": step.name, "lane": step.lane, "by": str(actor), "all_steps_done": joined},
    )
    return step


# --- suspension: supplement after acceptance, special procedures ---------------------------------------


def _supplement_suspends() -> bool:
    return bool(getattr(settings, "YIWANG_CASE_SUPPLEMENT_SUSPENDS", True))


def _resume_fields(case: Case) -> tuple[dict[str, Any], int]:
    if case.suspended_since is None:
        return {}, 0
    days = max(0, working_days_between(case.suspended_since, _today()))
    return {"suspended_since": None, "suspended_days": case.suspended_days + days}, days


@transaction.atomic
def request_supplement(
    case: Case, *, actor: Any, items: Sequence[Mapping[str, str]], deadline: dt.date | None = None
) -> SupplementRequest:
    """补正 after acceptance; stops the clock where configured (YIWANG_CASE_SUPPLEMENT_SUSPENDS)."""
    case = _lock(case)
    extra = {"suspended_since": _today()} if _supplement_suspends() else {}
    return _request_supplement(
        case, "request_supplement", actor=actor, items=items, deadline=deadline, extra=extra
    )


@transaction.atomic
def supplement(case: Case, *, actor: Any) -> Case:
    case = _lock(case)
    missing = _missing_required(case)
    if missing:
        raise CaseError(_("以下材料仍需补正：%(m)s。") % {"m": "、".join(missing)})
    fields, days = _resume_fields(case)
    _move(case, "supplement", actor=actor, fields=fields, data={"suspended_days": days})
    _answer_supplement(case)
    return case


@transaction.atomic
def start_special_procedure(
    case: Case, *, actor: Any, kind: str, reason: str, counts_toward_limit: bool | None = None
) -> SpecialProcedureRun:
    """听证、检验、检测、鉴定、专家评审 …: time not counted toward the limit (第四十五条) unless the guide
    says this procedure counts."""
    if not kind.strip() or not reason.strip():
        raise CaseError(_("启动特别程序须写明种类和原因。"))
    case = _lock(case)
    if counts_toward_limit is None:
        configured = CatalogSpecialProcedure.objects.filter(guide=case.guide, name=kind.strip()).first()
        counts_toward_limit = bool(configured and configured.counts_toward_limit)
    today = _today()
    _move(
        case,
        "start_special",
        actor=actor,
        comment=reason.strip(),
        fields={} if counts_toward_limit else {"suspended_since": today},
        data={"kind": kind.strip(), "counts_toward_limit": counts_toward_limit},
        message=_("【一网】办件 %(n)s 进入特别程序（%(k)s），所需时间%(c)s计入办理时限。")
        % {"n": case.number, "k": kind.strip(), "c": "" if counts_toward_limit else "不"},
    )
    return SpecialProcedureRun.objects.create(
        case=case,
        kind=kind.strip(),
        reason=reason.strip(),
        counts_toward_limit=counts_toward_limit,
        started_on=today,
    )


@transaction.atomic
def end_special_procedure(case: Case, *, actor: Any, result: str) -> SpecialProcedureRun:
    if not result.strip():
        raise CaseError(_("结束特别程序须写明结果。"))
    case = _lock(case)
    run = case.special_procedures.filter(ended_on__isnull=True).order_by("-started_on", "-id").first()
    fields, days = _resume_fields(case)
    _move(
        case,
        "end_special",
        actor=actor,
        comment=result.strip(),
        fields=fields,
        data={"suspended_days": days, "kind": run.kind if run else ""},
    )
    if run is None:  # pragma: no cover - the table only allows end_special while one runs
        raise CaseError(_("没有进行中的特别程序。"))
    run.ended_on = _today()
    run.result = result.strip()
    run.suspended_days = days
    run.save(update_fields=["ended_on", "result", "suspended_days"])
    return run


@transaction.atomic
def extend(case: Case, *, actor: Any, days: int, reason: str) -> Case:
    """Extend the decision deadline once, with reasons, within the law's ceiling (第四十二条)."""
    case = _lock(case)
    ceiling = BUNDLE_EXTENSION_CEILING_DAYS if case.bundle_id else deadlines.EXTENSION_CEILING_DAYS
    if not reason.strip():
        raise CaseError(_("延长办结期限须写明理由，并告知申请人。"))
    if not 1 <= days <= ceiling:
        raise CaseError(_("延长天数应为 1 到 %(c)d 个工作日。") % {"c": ceiling})
    _move(
        case,
        "extend",
        actor=actor,
        comment=reason.strip(),
        fields={"extension_days": days, "extension_reason": reason.strip()[:300]},
        data={"days": days},
        message=_("【一网】办件 %(n)s 的办结期限经批准延长 %(d)d 个工作日。理由：%(r)s")
        % {"n": case.number, "d": days, "r": reason.strip()},
    )
    return case


# --- 补正 deadline passed (the sweep) -------------------------------------------------------------------


@transaction.atomic
def lapse_supplement(request: SupplementRequest, *, today: dt.date | None = None) -> Case | None:
    """The applicant did not supplement by the deadline of the 一次性告知书 (called by the sweep).

    Before acceptance (returned): the application is deemed abandoned (视为放弃申请) and closed as
    withdrawn. After acceptance (supplementing): the clock resumes as of the deadline (the suspension
    never runs past the period granted) and review continues on the record as it stands, so the
    reviewer can decide. Returns the case, or None when the request was answered or handled meanwhile."""
    today = today or _today()
    case = _lock(request.case_id)  # the case first, then the request: the order supplement() takes them in
    request = SupplementRequest.objects.select_for_update().get(pk=request.pk)
    if request.answered_at is not None or request.lapsed_at is not None or request.deadline >= today:
        return None
    deadline = f"{request.deadline:%Y-%m-%d}"
    if case.status == CaseStatus.RETURNED:
        _move(
            case,
            "lapse",
            actor=SYSTEM,
            comment=_("补正期限（%(d)s）届满未补正，依一次性告知书视为放弃申请。") % {"d": deadline},
            data={"supplement_request": request.pk, "deadline": deadline},
            message=_(
                "【一网】办件 %(n)s 未在 %(d)s 前补正材料，视为放弃申请，办件已终止。如仍需办理，请重新申请。"
            )
            % {"n": case.number, "d": deadline},
        )
    elif case.status == CaseStatus.SUPPLEMENTING:
        days = 0
        fields: dict[str, Any] = {}
        if case.suspended_since is not None:
            days = max(0, working_days_between(case.suspended_since, request.deadline))
            fields = {"suspended_since": None, "suspended_days": case.suspended_days + days}
        _move(
            case,
            "supplement_lapse",
            actor=SYSTEM,
            comment=_("补正期限（%(d)s）届满未补正，自期限届满次日恢复计时，按现有材料继续审查。")
            % {"d": deadline},
            fields=fields,
            data={"supplement_request": request.pk, "deadline": deadline, "suspended_days": days},
            message=_("【一网】办件 %(n)s 的补正期限 %(d)s 已届满，我们将按现有材料继续审查并作出决定。")
            % {"n": case.number, "d": deadline},
        )
        notify.staff(
            [case.organisation_id],
            {
                case.organisation_id: _(
                    "【一网】办件 %(n)s 补正期限已届满未补正，已恢复计时，请按现有材料审查决定。"
                )
                % {"n": case.number}
            },
            title=_("补正期限届满"),
        )
    else:
        return None
    SupplementRequest.objects.filter(pk=request.pk).update(lapsed_at=timezone.now())
    return case


def issue_acceptance_notice(case_id: int) -> bool:
    """The 受理通知书 of a deemed acceptance (the sweep changes status in bulk; the notice follows after
    commit). Idempotent: False when the case already has its acceptance notice."""
    with transaction.atomic():
        case = _lock(case_id)
        if case.documents.filter(kind=DocumentKind.ACCEPTANCE).exists():
            return False
        event = (
            case.events.filter(action__in=["deemed_accept", "accept"]).order_by("-occurred_at", "-id").first()
        )
        if event is None or not case.accepted_on:
            return False
        documents.issue(case, event, DocumentKind.ACCEPTANCE, documents.acceptance_notice(case))
    return True


# --- decision, completion, delivery, withdrawal ----------------------------------------------------------


def _decide(
    case: Case,
    action: str,
    *,
    actor: Any,
    reason: str,
    auto: bool = False,
    data: Mapping[str, Any] | None = None,
) -> Case:
    approved = action in ("approve", "approve_immediately")
    event = _move(
        case,
        action,
        actor=actor,
        comment=reason.strip(),
        fields={"decided_on": _today(), "decision_reason": reason.strip(), "auto_decided": auto},
        data=data,
        message=(
            _("【一网】办件 %(n)s 已作出准予决定。")
            if approved
            else _("【一网】办件 %(n)s 已作出不予准予决定，理由见决定书。")
        )
        % {"n": case.number},
    )
    documents.issue(case, event, DocumentKind.DECISION, documents.decision_notice(case))
    if approved:
        gates.run_decision_hooks(case, event)  # e.g. the payment order of a fee-charging item
    return case


@transaction.atomic
def approve(case: Case, *, actor: Any, reason: str = "") -> Case:
    return _decide(_lock(case), "approve", actor=actor, reason=reason)


@transaction.atomic
def refuse(case: Case, *, actor: Any, reason: str) -> Case:
    if not reason.strip():
        raise CaseError(_("不予准予须说明理由，并告知申请人依法享有的救济权利。"))
    return _decide(_lock(case), "refuse", actor=actor, reason=reason)


@transaction.atomic
def complete(case: Case, *, actor: Any) -> Case:
    case = _lock(case)
    _move(case, "complete", actor=actor, fields={"completed_on": _today()})
    return case


@transaction.atomic
def deliver(case: Case, *, actor: Any, method: str, tracking_number: str = "") -> Case:
    if method not in DeliveryMethod.values:
        raise CaseError(_("送达方式应为邮寄送达、窗口领取或电子送达。"))
    if method == DeliveryMethod.POST and not tracking_number.strip():
        raise CaseError(_("邮寄送达须填写快递单号。"))
    case = _lock(case)
    _move(
        case,
        "deliver",
        actor=actor,
        fields={
            "delivered_on": _today(),
            "delivery_method": method,
            "tracking_number": tracking_number.strip(),
        },
        data={"method": method, "tracking_number": tracking_number.strip()},
        message=_("【一网】办件 %(n)s 的办理结果已送达（%(m)s%(t)s）。")
        % {
            "n": case.number,
            "m": DeliveryMethod(method).label,
            "t": f"，快递单号 {tracking_number.strip()}" if tracking_number.strip() else "",
        },
    )
    return case


@transaction.atomic
def withdraw(case: Case, *, actor: Any, reason: str = "") -> Case:
    case = _lock(case)
    fields, _days = _resume_fields(case)
    _move(case, "withdraw", actor=actor, comment=reason.strip(), fields=fields)
    return case


# --- 即办件 and 秒批 ----------------------------------------------------------------------------------------


def _finish_steps(case: Case, actor: Any) -> None:
    """Complete every step in order, lane by lane (即办件 and 秒批 run the whole flow at once)."""
    while True:
        step = case.steps.filter(status=StepStatus.ACTIVE).order_by("lane", "order").first()
        if step is None:
            return
        complete_step(case, step, actor=actor, opinion=_("即时办理"))
        case.refresh_from_db()


@transaction.atomic
def handle_immediately(case: Case, *, actor: Any, approve_it: bool, reason: str = "") -> Case:
    """即办件: accept and decide at once at the window (one transaction, every step recorded)."""
    if not approve_it and not reason.strip():
        raise CaseError(_("不予准予须说明理由，并告知申请人依法享有的救济权利。"))
    case = _lock(case)
    if not case.is_immediate:
        raise CaseError(_("该事项不是即办件，请按受理、审查、决定的流程办理。"))
    accept(case, actor=actor)
    start_review(case, actor=actor)
    _finish_steps(_lock(case), actor)
    case = _lock(case)
    if approve_it:
        return _decide(case, "approve_immediately", actor=actor, reason=reason)
    return _decide(case, "refuse_immediately", actor=actor, reason=reason)


def auto_approval_problems(case: Case, rule: AutoApprovalRule) -> list[str]:
    """Why the 秒批 rule does not hold for this case (empty: it holds)."""
    problems: list[str] = []
    if rule.require_all_materials:
        outstanding = list(
            case.materials.filter(necessity="required")
            .exclude(
                status__in=[MaterialStatus.SUBMITTED, MaterialStatus.FETCHED, MaterialStatus.TO_BE_FETCHED]
            )
            .values_list("name", flat=True)
        )
        if outstanding:
            problems.append(_("必要材料未齐全：%(m)s") % {"m": "、".join(outstanding)})
    if rule.require_registry_check:
        identity = PersonIdentity.objects.filter(user_id=case.applicant_id).only("level").first()
        if identity is None or identity.level < rule.min_real_name_level:
            problems.append(
                _("申请人实名等级低于 %(l)d 级（未经人口库核验）") % {"l": rule.min_real_name_level}
            )
        if case.enterprise is not None and case.enterprise.verified_at is None:
            problems.append(_("企业未经法人库核验"))
    return problems


def _auto_approval_rule(case: Case) -> AutoApprovalRule | None:
    return AutoApprovalRule.objects.filter(implementation_id=case.implementation_id, enabled=True).first()


def _try_auto_approval(case: Case, rule: AutoApprovalRule) -> None:
    problems = auto_approval_problems(case, rule)
    rule_text = rule.description or _("秒批规则")
    if problems:
        _note(
            case,
            "auto_approve",
            SYSTEM,
            comment=_("不满足秒批条件，转人工办理：") + "；".join(problems),
            data={"rule": rule.pk, "passed": False, "problems": problems},
        )
        return
    accept(case, actor=SYSTEM, comment=_("秒批：按规则自动受理"))
    start_review(case, actor=SYSTEM)
    _finish_steps(_lock(case), SYSTEM)
    locked = _lock(case)
    _decide(
        locked,
        "approve",
        actor=SYSTEM,
        reason=_("符合秒批规则：%(r)s") % {"r": rule_text},
        auto=True,
        data={"rule": rule.pk, "passed": True, "auto": True},
    )
    case.refresh_from_db()
