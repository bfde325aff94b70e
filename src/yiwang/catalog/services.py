"""Catalogue writes: implementations, guide versions and their life cycle, bundles.

Life cycle (one transition table; no status is assigned anywhere else):

    draft --submit--> in_review --publish--> published --withdraw--> withdrawn
      ^                  |                       |
      +-----reject-------+                       +--(next version published)--> superseded

A published version never changes. `new_version` copies the current version into the next draft.
Every change runs in one transaction, takes a guarded update (the row must still be in the status the
caller saw), writes an audit row, and announces `catalog.published` / `catalog.withdrawn` after commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.catalog import codes, permissions, readcache
from yiwang.catalog.models import (
    BasicItem,
    Bundle,
    BundleMember,
    BundleStatus,
    Faq,
    Fee,
    GuideStatus,
    GuideVersion,
    Implementation,
    Material,
    PublicStatus,
    Situation,
    SpecialProcedure,
    Step,
    Theme,
    Variant,
)
from yiwang.catalog.snapshot import build_snapshot
from yiwang.core import audit, events
from yiwang.core.models import Organisation, Region


class CatalogError(Exception):
    """A refused catalogue operation, with a message for the person who asked."""


class TransitionError(CatalogError):
    pass


class PublishRefused(CatalogError):
    def __init__(self, message: str, findings: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.findings = findings


@dataclass(frozen=True)
class Transition:
    source: str
    action: str
    target: str
    permission: str  # the catalog.permissions action a person needs


TRANSITIONS: dict[tuple[str, str], Transition] = {
    (t.source, t.action): t
    for t in (
        Transition(GuideStatus.DRAFT, "submit", GuideStatus.IN_REVIEW, "submit"),
        Transition(GuideStatus.IN_REVIEW, "reject", GuideStatus.DRAFT, "reject"),
        Transition(GuideStatus.IN_REVIEW, "publish", GuideStatus.PUBLISHED, "publish"),
        Transition(GuideStatus.PUBLISHED, "withdraw", GuideStatus.WITHDRAWN, "withdraw"),
        Transition(GuideStatus.PUBLISHED, "supersede", GuideStatus.SUPERSEDED, "publish"),
    )
}

OPEN_STATUSES = (GuideStatus.DRAFT, GuideStatus.IN_REVIEW)

# Guide fields a draft may set (everything but status, bookkeeping and quality results).
EDITABLE_FIELDS = frozenset(
    f.name
    for f in GuideVersion._meta.get_fields()
    if getattr(f, "editable", False)
    and f.concrete
    and not f.many_to_many
    and f.name not in {"id", "implementation", "version"}
)

PART_MODELS: dict[str, type[Any]] = {
    "variants": Variant,
    "situations": Situation,
    "materials": Material,
    "steps": Step,
    "fees": Fee,
    "special_procedures": SpecialProcedure,
    "faqs": Faq,
}


def _require(actor: Any, action: str, implementation: Implementation) -> None:
    if not permissions.can(actor, action, implementation):
        raise PermissionDenied(
            _("您无权对“%(org)s”的事项执行此操作。") % {"org": implementation.organisation.name}
        )


def derive_implementation_code(organisation_uscc: str, exercise_level: str, basic_code: str) -> str:
    """实施编码 = implementing body's USCC (18) + 行使层级 (1) + 基本编码 (12): the layout of every real
    national example (domain.md §1.4)."""
    return f"{organisation_uscc}{exercise_level}{basic_code}"


def _guide_state(guide: GuideVersion) -> dict[str, Any]:
    return {"id": guide.pk, "version": guide.version, "status": guide.status, "name": guide.name}


# --- implementations and drafts -------------------------------------------------------------------


@transaction.atomic
def create_implementation(
    *,
    basic_item: BasicItem,
    organisation: Organisation,
    exercise_level: str,
    region: Region | None = None,
    implementation_code: str | None = None,
    actor: Any = None,
) -> Implementation:
    implementation = Implementation(
        basic_item=basic_item,
        organisation=organisation,
        region=region or organisation.region,
        implementation_code=implementation_code
        or derive_implementation_code(organisation.uscc, exercise_level, basic_item.basic_code),
    )
    _require(actor, "edit", implementation)
    if Implementation.objects.filter(implementation_code=implementation.implementation_code).exists():
        raise CatalogError(_("实施编码 %(code)s 已存在。") % {"code": implementation.implementation_code})
    implementation.save()
    audit.record(
        actor=actor,
        action="catalog.implementation.create",
        object_type="catalog.implementation",
        object_id=implementation.implementation_code,
        after={"code": implementation.implementation_code, "organisation": organisation.uscc},
        summary=f"新建实施清单事项 {basic_item.name}",
    )
    return implementation


def _clean_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise CatalogError(_("办事指南没有这些要素：%(names)s") % {"names": "、".join(sorted(unknown))})
    return dict(fields)


def _apply_relations(
    guide: GuideVersion,
    themes: Iterable[Theme] | None,
    joint_organisations: Iterable[Organisation] | None,
) -> None:
    if themes is not None:
        guide.themes.set(list(themes))
    if joint_organisations is not None:
        guide.joint_organisations.set(list(joint_organisations))


@transaction.atomic
def create_draft(
    implementation: Implementation,
    *,
    fields: Mapping[str, Any],
    themes: Iterable[Theme] | None = None,
    joint_organisations: Iterable[Organisation] | None = None,
    actor: Any = None,
) -> GuideVersion:
    """Start the next version of a guide from scratch (use `new_version` to start from the current one)."""
    _require(actor, "edit", implementation)
    implementation = Implementation.objects.select_for_update().get(pk=implementation.pk)
    if implementation.versions.filter(status__in=OPEN_STATUSES).exists():
        raise CatalogError(_("该事项已有未发布的草稿或审核中的版本，请先完成或退回它。"))
    last = implementation.versions.aggregate(last=Max("version"))["last"] or 0
    guide = GuideVersion(implementation=implementation, version=last + 1, created_by=_user_or_none(actor))
    for name, value in _clean_fields(fields).items():
        setattr(guide, name, value)
    guide.full_clean(exclude=["implementation", "result_sample"])
    guide.save()
    _apply_relations(guide, themes, joint_organisations)
    audit.record(
        actor=actor,
        action="catalog.guide.create",
        object_type="catalog.guide",
        object_id=guide.pk,
        after=_guide_state(guide),
        summary=f"新建办事指南 {guide.name} 第{guide.version}版",
    )
    return guide


def _user_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _lock_draft(guide: GuideVersion) -> GuideVersion:
    locked = GuideVersion.objects.select_for_update().select_related("implementation").get(pk=guide.pk)
    if locked.status != GuideStatus.DRAFT:
        raise TransitionError(
            _("第%(v)d版当前状态为“%(s)s”，只有草稿可以修改；如需修改已发布的指南，请新建版本。")
            % {"v": locked.version, "s": locked.get_status_display()}
        )
    return locked


@transaction.atomic
def update_draft(
    guide: GuideVersion,
    *,
    fields: Mapping[str, Any],
    themes: Iterable[Theme] | None = None,
    joint_organisations: Iterable[Organisation] | None = None,
    actor: Any = None,
) -> GuideVersion:
    locked = _lock_draft(guide)
    _require(actor, "edit", locked.implementation)
    before = _guide_state(locked)
    for name, value in _clean_fields(fields).items():
        setattr(locked, name, value)
    locked.full_clean(exclude=["implementation", "result_sample"])
    locked.save()
    _apply_relations(locked, themes, joint_organisations)
    refresh_quality(locked)
    audit.record(
        actor=actor,
        action="catalog.guide.update",
        object_type="catalog.guide",
        object_id=locked.pk,
        before=before,
        after={**_guide_state(locked), "fields": sorted(fields)},
        summary=f"修改办事指南 {locked.name} 第{locked.version}版",
    )
    return locked


@transaction.atomic
def set_parts(
    guide: GuideVersion, *, actor: Any = None, **parts: Sequence[Mapping[str, Any]]
) -> GuideVersion:
    """Replace a draft's lists (variants, situations, materials, steps, fees, special_procedures, faqs).

    Rows refer to each other by natural keys: a situation's "variant" is a variant's code_suffix; a
    material's "situation" is a situation's name.
    """
    unknown = set(parts) - set(PART_MODELS)
    if unknown:
        raise CatalogError(_("未知的指南组成部分：%(names)s") % {"names": "、".join(sorted(unknown))})
    locked = _lock_draft(guide)
    _require(actor, "edit", locked.implementation)
    variants = {v.code_suffix: v for v in locked.variants.all()}
    if "variants" in parts:
        locked.variants.all().delete()
        variants = {}
        for order, row in enumerate(parts["variants"]):
            variant = Variant.objects.create(guide=locked, order=order, **row)
            variants[variant.code_suffix] = variant
    situations = {s.name: s for s in locked.situations.all()}
    if "situations" in parts:
        locked.situations.all().delete()
        situations = {}
        for order, row in enumerate(parts["situations"]):
            data = dict(row)
            suffix = data.pop("variant", None)
            if suffix and suffix not in variants:
                raise CatalogError(
                    _("办理情形“%(s)s”引用了不存在的业务办理项 %(v)s。")
                    % {"s": data.get("name"), "v": suffix}
                )
            situation = Situation.objects.create(
                guide=locked, order=order, variant=variants.get(suffix or ""), **data
            )
            situations[situation.name] = situation
    for key in ("materials", "steps", "fees", "special_procedures", "faqs"):
        if key not in parts:
            continue
        model = PART_MODELS[key]
        model.objects.filter(guide=locked).delete()
        rows = []
        for order, row in enumerate(parts[key]):
            data = dict(row)
            if key == "materials":
                situation_name = data.pop("situation", None)
                if situation_name and situation_name not in situations:
                    raise CatalogError(
                        _("材料“%(m)s”引用了不存在的办理情形“%(s)s”。")
                        % {"m": data.get("name"), "s": situation_name}
                    )
                data["situation"] = situations.get(situation_name or "")
            instance = model(guide=locked, order=order, **data)
            instance.full_clean(exclude=["guide", "situation", "blank_form", "sample"])
            rows.append(instance)
        model.objects.bulk_create(rows)
    refresh_quality(locked)
    audit.record(
        actor=actor,
        action="catalog.guide.parts",
        object_type="catalog.guide",
        object_id=locked.pk,
        after={"parts": {key: len(rows) for key, rows in parts.items()}},
        summary=f"修改办事指南 {locked.name} 的材料、流程等",
    )
    return locked


def refresh_quality(guide: GuideVersion) -> Any:
    """Run every quality rule and store findings and score on the guide (an ordinary save side effect)."""
    from yiwang.catalog.quality import check_guide

    report = check_guide(guide)
    findings = report.as_json()
    GuideVersion.objects.filter(pk=guide.pk).update(
        quality_score=report.score, quality_findings=findings, blocking_findings=len(report.blocking)
    )
    guide.quality_score = report.score
    guide.quality_findings = findings
    guide.blocking_findings = len(report.blocking)
    return report


# --- transitions ----------------------------------------------------------------------------------


def _transition(
    guide: GuideVersion, action: str, *, actor: Any, reason: str = "", **extra: Any
) -> GuideVersion:
    """Move a guide along the table with a guarded update; refuse if someone moved it first."""
    transition = TRANSITIONS.get((guide.status, action))
    if transition is None:
        raise TransitionError(
            _("第%(v)d版当前状态为“%(s)s”，不能执行此操作。")
            % {"v": guide.version, "s": guide.get_status_display()}
        )
    _require(actor, transition.permission, guide.implementation)
    changed = GuideVersion.objects.filter(pk=guide.pk, status=transition.source).update(
        status=transition.target, status_reason=reason[:300], **extra
    )
    if changed != 1:
        raise TransitionError(_("该指南的状态刚刚被他人修改，请刷新后重试。"))
    before = _guide_state(guide)
    guide.status = transition.target
    guide.status_reason = reason[:300]
    for name, value in extra.items():
        setattr(guide, name, value)
    audit.record(
        actor=actor,
        action=f"catalog.guide.{action}",
        object_type="catalog.guide",
        object_id=guide.pk,
        before=before,
        after=_guide_state(guide),
        summary=f"{guide.name} 第{guide.version}版：{action}",
        data={"reason": reason} if reason else None,
    )
    return guide


@transaction.atomic
def submit(guide: GuideVersion, *, actor: Any = None) -> GuideVersion:
    locked = (
        GuideVersion.objects.select_for_update()
        .select_related("implementation__organisation")
        .get(pk=guide.pk)
    )
    refresh_quality(locked)
    return _transition(locked, "submit", actor=actor, submitted_at=timezone.now())


@transaction.atomic
def reject(guide: GuideVersion, *, reason: str, actor: Any = None) -> GuideVersion:
    if not reason.strip():
        raise CatalogError(_("退回修改时请写明原因，以便编辑人员一次改正。"))
    locked = (
        GuideVersion.objects.select_for_update()
        .select_related("implementation__organisation")
        .get(pk=guide.pk)
    )
    return _transition(locked, "reject", actor=actor, reason=reason)


@transaction.atomic
def publish(guide: GuideVersion, *, actor: Any = None) -> GuideVersion:
    """Publish a reviewed version: refused with the findings while any blocking finding remains."""
    # The catalogue change marker first, in this transaction: every process's API cache follows the commit.
    # First, before any row lock, so every writer takes the marker row before an implementation's row and
    # two writers can never wait on each other (catalog.readcache).
    readcache.catalogue_changed()
    implementation = (
        Implementation.objects.select_for_update(of=("self",))  # PostgreSQL: no FOR UPDATE on outer joins
        .select_related("organisation", "region", "basic_item__parent")
        .get(pk=guide.implementation_id)
    )
    locked = GuideVersion.objects.select_for_update().get(pk=guide.pk)
    locked.implementation = implementation
    report = refresh_quality(locked)
    if report.blocking:
        raise PublishRefused(
            _("该指南有 %(n)d 个必须改正的问题，暂不能发布：%(list)s")
            % {"n": len(report.blocking), "list": "；".join(f.message for f in report.blocking)},
            locked.quality_findings,
        )
    previous = implementation.versions.filter(status=GuideStatus.PUBLISHED).exclude(pk=locked.pk).first()
    if previous is not None:
        previous.implementation = implementation
        _transition(previous, "supersede", actor=actor, reason=f"被第{locked.version}版替代")
    now = timezone.now()
    locked.published_at = now
    snapshot = build_snapshot(locked)
    _transition(locked, "publish", actor=actor, published_at=now, snapshot=snapshot)
    _mirror_published(implementation, locked, now)
    events.publish("catalog.published", {"implementation_id": implementation.pk, "guide_id": locked.pk})
    return locked


def _mirror_published(implementation: Implementation, guide: GuideVersion, when: Any) -> None:
    objects = set(guide.service_objects or [])
    Implementation.objects.filter(pk=implementation.pk).update(
        published_version=guide,
        public_status=PublicStatus.PUBLISHED,
        name=guide.name,
        item_type=guide.item_type,
        for_person=codes.ServiceObject.PERSON in objects,
        for_enterprise=bool(objects & codes.LEGAL_PERSON_OBJECTS),
        online_depth=guide.online_depth,
        published_at=when,
    )


@transaction.atomic
def withdraw(implementation: Implementation, *, reason: str, actor: Any = None) -> Implementation:
    """Take an item off the published catalogue (取消). Its last version stays readable for the record."""
    if not reason.strip():
        raise CatalogError(_("取消事项时请写明原因（如：依据某文件取消或调整）。"))
    readcache.catalogue_changed()  # first, as in publish
    locked = (
        Implementation.objects.select_for_update().select_related("organisation").get(pk=implementation.pk)
    )
    guide = locked.versions.filter(status=GuideStatus.PUBLISHED).first()
    if guide is None:
        raise TransitionError(_("该事项没有已发布的版本，无需取消。"))
    guide.implementation = locked
    _transition(guide, "withdraw", actor=actor, reason=reason, withdrawn_at=timezone.now())
    Implementation.objects.filter(pk=locked.pk).update(
        published_version=None, public_status=PublicStatus.WITHDRAWN
    )
    locked.refresh_from_db()
    events.publish("catalog.withdrawn", {"implementation_id": locked.pk})
    return locked


@transaction.atomic
def new_version(implementation: Implementation, *, actor: Any = None, change_note: str = "") -> GuideVersion:
    """Copy the current (or latest) version, with all its parts, into the next draft."""
    locked = (
        Implementation.objects.select_for_update().select_related("organisation").get(pk=implementation.pk)
    )
    _require(actor, "new_version", locked)
    if locked.versions.filter(status__in=OPEN_STATUSES).exists():
        raise CatalogError(_("该事项已有未发布的草稿或审核中的版本，请在该版本上修改。"))
    source = (
        locked.versions.filter(status=GuideStatus.PUBLISHED).first()
        or locked.versions.order_by("-version").first()
    )
    if source is None:
        raise CatalogError(_("该事项还没有任何版本，请先新建草稿。"))
    # The next number after every existing version (read before the copy exists, or it counts itself).
    last = locked.versions.aggregate(last=Max("version"))["last"] or 0
    copy = _copy_guide(source, version=last + 1, actor=actor)
    if change_note:
        GuideVersion.objects.filter(pk=copy.pk).update(change_note=change_note[:300])
        copy.change_note = change_note[:300]
    refresh_quality(copy)
    audit.record(
        actor=actor,
        action="catalog.guide.new_version",
        object_type="catalog.guide",
        object_id=copy.pk,
        before=_guide_state(source),
        after=_guide_state(copy),
        summary=f"{copy.name}：由第{source.version}版新建第{copy.version}版",
    )
    return copy


def _copy_guide(source: GuideVersion, *, version: int, actor: Any) -> GuideVersion:
    copy = GuideVersion.objects.get(pk=source.pk)
    copy.pk = None
    copy.id = None
    copy._state.adding = True
    copy.version = version
    copy.status = GuideStatus.DRAFT
    copy.snapshot = None
    copy.status_reason = ""
    copy.submitted_at = copy.published_at = copy.withdrawn_at = None
    copy.created_by = _user_or_none(actor)
    copy.save()
    copy.themes.set(source.themes.all())
    copy.joint_organisations.set(source.joint_organisations.all())
    variant_map: dict[int, Variant] = {}
    for variant in source.variants.all():
        old = variant.pk
        variant.pk = None
        variant.guide = copy
        variant.save()
        variant_map[old] = variant
    situation_map: dict[int, Situation] = {}
    for situation in source.situations.all():
        old = situation.pk
        situation.pk = None
        situation.guide = copy
        situation.variant = variant_map.get(situation.variant_id) if situation.variant_id else None
        situation.save()
        situation_map[old] = situation
    for key in ("materials", "steps", "fees", "special_procedures", "faqs"):
        model = PART_MODELS[key]
        rows = list(model.objects.filter(guide=source))
        for row in rows:
            row.pk = None
            row.guide = copy
            if key == "materials" and row.situation_id:
                row.situation = situation_map[row.situation_id]
        model.objects.bulk_create(rows)
    return copy


# --- bundles (一件事) ------------------------------------------------------------------------------


def _lock_bundle(bundle: Bundle, actor: Any, action: str) -> Bundle:
    """Lock the bundle row and check the actor may act for its lead organisation."""
    locked = (
        Bundle.objects.select_for_update(of=("self",)).select_related("lead_organisation").get(pk=bundle.pk)
    )
    scope = SimpleNamespace(
        organisation_id=locked.lead_organisation_id,
        region_id=locked.region_id,
        organisation=locked.lead_organisation,
    )
    if not permissions.can(actor, action, scope):
        raise PermissionDenied(
            _("您无权对“%(org)s”牵头的一件事执行此操作。") % {"org": locked.lead_organisation.name}
        )
    return locked


@transaction.atomic
def set_bundle_members(
    bundle: Bundle, implementations: Sequence[Implementation], *, actor: Any = None
) -> Bundle:
    bundle = _lock_bundle(bundle, actor, "edit")
    if bundle.status != BundleStatus.DRAFT:
        raise CatalogError(_("只有草稿状态的一件事可以调整所含事项。"))
    if len({i.pk for i in implementations}) != len(implementations):
        raise CatalogError(_("一件事中有重复的事项。"))
    BundleMember.objects.filter(bundle=bundle).delete()
    BundleMember.objects.bulk_create(
        BundleMember(bundle=bundle, implementation=impl, order=order)
        for order, impl in enumerate(implementations)
    )
    audit.record(
        actor=actor,
        action="catalog.bundle.members",
        object_type="catalog.bundle",
        object_id=bundle.code,
        after={"members": [i.implementation_code for i in implementations]},
        summary=f"调整一件事“{bundle.name}”的事项",
    )
    return bundle


@transaction.atomic
def publish_bundle(bundle: Bundle, *, actor: Any = None) -> Bundle:
    bundle = _lock_bundle(bundle, actor, "publish")
    members = list(bundle.members.all())
    if len(members) < 2:
        raise CatalogError(_("一件事至少需要包含两个事项。"))
    unpublished = [
        m.name or m.implementation_code for m in members if m.public_status != PublicStatus.PUBLISHED
    ]
    if unpublished:
        raise CatalogError(
            _("以下事项尚未发布，一件事暂不能发布：%(names)s") % {"names": "、".join(unpublished)}
        )
    changed = Bundle.objects.filter(pk=bundle.pk, status=BundleStatus.DRAFT).update(
        status=BundleStatus.PUBLISHED, published_at=timezone.now()
    )
    if changed != 1:
        raise TransitionError(_("该一件事不是草稿状态，或刚被他人修改，请刷新后重试。"))
    bundle.refresh_from_db()
    audit.record(
        actor=actor,
        action="catalog.bundle.publish",
        object_type="catalog.bundle",
        object_id=bundle.code,
        after={"status": bundle.status},
        summary=f"发布一件事“{bundle.name}”",
    )
    return bundle


@transaction.atomic
def withdraw_bundle(bundle: Bundle, *, reason: str, actor: Any = None) -> Bundle:
    if not reason.strip():
        raise CatalogError(_("取消一件事时请写明原因。"))
    bundle = _lock_bundle(bundle, actor, "withdraw")
    changed = Bundle.objects.filter(pk=bundle.pk, status=BundleStatus.PUBLISHED).update(
        status=BundleStatus.WITHDRAWN
    )
    if changed != 1:
        raise TransitionError(_("该一件事不是已发布状态，或刚被他人修改，请刷新后重试。"))
    bundle.refresh_from_db()
    audit.record(
        actor=actor,
        action="catalog.bundle.withdraw",
        object_type="catalog.bundle",
        object_id=bundle.code,
        after={"status": bundle.status},
        summary=f"取消一件事“{bundle.name}”",
        data={"reason": reason},
    )
    return bundle
