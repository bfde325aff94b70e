"""Catalogue import and export: the "yiwang.catalog/1" document, as JSON or as an XLSX workbook.

The document carries organisations, themes, the basic catalogue, implementations with their guides, and
bundles (一件事), each keyed by its natural code. `import_document` first checks the whole document and
reports every problem with its location ("implementations[12].guide.materials[3].name: …") before it
writes anything; then it writes in one transaction, through catalog.services, so each guide goes through
its normal life cycle (draft → in review → published) and leaves audit rows. Importing the same document
again changes nothing: a guide whose content digest equals the current version's is skipped.

An implementation may appear twice: once as its public version ("published" or "withdrawn") and once as
its open version ("draft" or "in_review"); that is how an export with drafts keeps both.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from yiwang.catalog import readcache, services
from yiwang.catalog.form_schema import check_form_schema
from yiwang.catalog.models import (
    BasicItem,
    Bundle,
    BundleStatus,
    GuideStatus,
    GuideVersion,
    Implementation,
    PublicStatus,
    Theme,
)
from yiwang.catalog.selectors import guide_versions_with_parts
from yiwang.catalog.snapshot import CODED_LIST_FIELDS
from yiwang.core import audit
from yiwang.core.crypto import digest
from yiwang.core.models import Organisation, OrganisationKind, Region
from yiwang.core.validators import check_uscc, validate_phone

FORMAT = "yiwang.catalog/1"

# Guide elements by model field name, in model order (the same set services.update_draft accepts).
GUIDE_FIELDS: tuple[str, ...] = tuple(
    f.name for f in GuideVersion._meta.concrete_fields if f.name in services.EDITABLE_FIELDS
)
GUIDE_LIST_FIELDS = ("themes", "joint_organisations")
PART_KEYS: tuple[str, ...] = tuple(services.PART_MODELS)
PART_FIELDS: dict[str, tuple[str, ...]] = {
    key: tuple(
        f.name for f in model._meta.concrete_fields if f.editable and f.name not in {"id", "guide", "order"}
    )
    for key, model in services.PART_MODELS.items()
}
# A part row points at another part of the same guide by that part's natural key.
PART_REFERENCES: dict[str, tuple[str, str, str]] = {
    "situations": ("variant", "variants", "code_suffix"),
    "materials": ("situation", "situations", "name"),
}

ORGANISATION_KEYS = ("uscc", "name", "short_name", "region_code", "kind", "parent_uscc", "address", "phone")
THEME_KEYS = ("code", "name", "audience", "order", "description")
BASIC_ITEM_KEYS = (
    "basic_code",
    "name",
    "item_type",
    "parent_code",
    "legal_basis",
    "competent_department",
    "is_national",
)
IMPLEMENTATION_KEYS = (
    "implementation_code",
    "basic_code",
    "organisation_uscc",
    "region_code",
    "popularity",
    "status",
)
BUNDLE_KEYS = (
    "code",
    "name",
    "description",
    "audience",
    "lead_organisation_uscc",
    "region_code",
    "themes",
    "promised_limit",
    "status",
    "members",
)

PUBLIC_ENTRY_STATUSES = ("published", "withdrawn")
OPEN_ENTRY_STATUSES = ("draft", "in_review")
ENTRY_STATUSES = PUBLIC_ENTRY_STATUSES + OPEN_ENTRY_STATUSES

KIND_LABELS = {
    "organisations": "机构",
    "themes": "服务主题",
    "basic_items": "基本目录事项",
    "implementations": "实施清单事项",
    "guides": "办事指南",
    "bundles": "一件事",
}

DEFAULT_WITHDRAW_REASON = "导入数据标记为已取消"

Progress = Callable[[int, int], None]


class ExchangeError(ValueError):
    """A file that cannot be read at all (not an XLSX workbook, missing sheets, bad JSON)."""


@dataclass
class ImportReport:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) + sum(self.updated.values()))

    def error(self, location: str, message: str) -> None:
        self.errors.append(f"{location}: {message}" if location else message)

    def warn(self, location: str, message: str) -> None:
        self.warnings.append(f"{location}: {message}" if location else message)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": dict(self.created),
            "updated": dict(self.updated),
            "unchanged": dict(self.unchanged),
            "warnings": list(self.warnings),
            "errors": list(self.errors),
        }

    def summary_lines(self) -> list[str]:
        lines = []
        for kind, label in KIND_LABELS.items():
            counts = (self.created[kind], self.updated[kind], self.unchanged[kind])
            if any(counts):
                lines.append(f"{label}：新增 {counts[0]}，更新 {counts[1]}，未变 {counts[2]}")
        return lines


class ImportFailed(Exception):
    def __init__(self, report: ImportReport) -> None:
        shown = "\n".join(report.errors[:50])
        more = len(report.errors) - 50
        if more > 0:
            shown += "\n" + _("……另有 %(n)d 个问题。") % {"n": more}
        super().__init__(
            _("导入未执行，共发现 %(n)d 个问题：\n%(list)s") % {"n": len(report.errors), "list": shown}
        )
        self.report = report


# --- values: model field <-> document -------------------------------------------------------------


# The one JSON field of a guide that is an object (the application form), not a list of codes.
FORM_SCHEMA = "form_schema"


def _dump(model_field: Any, value: Any) -> Any:
    """A model value as it appears in the document (JSON-able, one spelling for each value)."""
    if isinstance(model_field, models.FileField):
        return getattr(value, "name", value) or ""
    if value is None:
        return None
    if isinstance(model_field, models.DecimalField):
        return f"{Decimal(value):.{model_field.decimal_places}f}"
    if isinstance(model_field, models.DateField):
        return value.isoformat()
    if model_field.name == FORM_SCHEMA:
        return dict(value or {})
    if isinstance(model_field, models.JSONField):
        return list(value)
    return value


def _to_python(model_field: Any, value: Any, present: bool) -> Any:
    """A document value as the model stores it; a missing or null value takes the field's default."""
    if not present or value is None:
        if model_field.null and not model_field.has_default():
            return None
        return model_field.get_default()
    if model_field.name == FORM_SCHEMA:
        problems = check_form_schema(value)
        if problems:
            raise ValidationError(problems)
        return dict(value)
    if isinstance(model_field, models.JSONField):
        return _code_list(model_field.name, value)
    if isinstance(model_field, models.FileField):
        if not isinstance(value, str):
            raise ValidationError(_("应为文件路径文本。"))
        return value
    if isinstance(model_field, models.CharField | models.TextField):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValidationError(_("应为文本。"))
        return str(value)
    if isinstance(model_field, models.BooleanField) and not isinstance(value, bool | int | str):
        raise ValidationError(_("应为 true 或 false。"))
    if isinstance(model_field, models.DateField) and isinstance(value, datetime):
        return value.date()
    return model_field.to_python(value)


def _code_list(name: str, value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValidationError(_('应为代码列表，如 ["1", "2"]。'))
    items = [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
    choices = CODED_LIST_FIELDS.get(name)
    if choices is not None:
        allowed = {str(c) for c in choices.values}
        bad = [str(v) for v in items if not isinstance(v, str) or v not in allowed]
        if bad:
            options = "、".join(f"{value}={label}" for value, label in choices.choices)
            raise ValidationError(
                _("不是有效的代码：%(bad)s（可选：%(ok)s）。") % {"bad": "、".join(bad), "ok": options}
            )
    return items


def _messages(exc: ValidationError) -> str:
    return "；".join(str(m) for m in exc.messages)


def normalise_uscc(value: Any) -> str:
    return "".join(str(value or "").split()).upper()


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


# --- export ---------------------------------------------------------------------------------------


def guide_document(guide: GuideVersion) -> dict[str, Any]:
    """One guide version as the document's "guide" object (reads prefetched lists when present)."""
    doc: dict[str, Any] = {
        name: _dump(GuideVersion._meta.get_field(name), getattr(guide, name)) for name in GUIDE_FIELDS
    }
    doc["themes"] = sorted(theme.code for theme in guide.themes.all())
    doc["joint_organisations"] = sorted(org.uscc for org in guide.joint_organisations.all())
    for key in PART_KEYS:
        model = services.PART_MODELS[key]
        rows = sorted(getattr(guide, key).all(), key=lambda row: (row.order, row.pk))
        doc[key] = [_part_document(key, model, row) for row in rows]
    return doc


def _part_document(key: str, model: Any, row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in PART_FIELDS[key]:
        reference = PART_REFERENCES.get(key)
        if reference and name == reference[0]:
            target = getattr(row, name) if getattr(row, f"{name}_id") else None
            out[name] = getattr(target, reference[2]) if target is not None else None
        else:
            out[name] = _dump(model._meta.get_field(name), getattr(row, name))
    return out


def guide_digest(guide_doc: Mapping[str, Any]) -> str:
    """SM3 of a normalised guide object: equal content, equal digest."""
    return digest(dict(guide_doc))


def export_document(
    *, region_code: str | None = None, organisation_uscc: str | None = None, include_drafts: bool = False
) -> dict[str, Any]:
    """The catalogue as a "yiwang.catalog/1" document.

    Each implementation contributes its public version (the published one, or the last withdrawn one) and,
    with include_drafts, its open draft or in-review version too. A filtered export also carries the
    organisations, themes and basic items its entries refer to, so it imports into an empty database.
    """
    implementations = Implementation.objects.select_related("basic_item", "organisation", "region")
    filtered = bool(region_code or organisation_uscc)
    if region_code:
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            raise ExchangeError(_("行政区划代码 %(code)s 不存在。") % {"code": region_code})
        implementations = implementations.filter(region__code__startswith=region.subtree_prefix)
    if organisation_uscc:
        implementations = implementations.filter(organisation__uscc=normalise_uscc(organisation_uscc))
    impls = list(implementations.order_by("implementation_code"))

    wanted: dict[int, list[int]] = {impl.pk: [] for impl in impls}
    for impl in impls:
        if impl.public_status == PublicStatus.PUBLISHED and impl.published_version_id:
            wanted[impl.pk].append(impl.published_version_id)
    withdrawn = [impl.pk for impl in impls if impl.public_status == PublicStatus.WITHDRAWN]
    seen: set[int] = set()
    for version_id, impl_id in (
        GuideVersion.objects.filter(implementation_id__in=withdrawn, status=GuideStatus.WITHDRAWN)
        .order_by("implementation_id", "-version")
        .values_list("id", "implementation_id")
    ):
        if impl_id not in seen:
            seen.add(impl_id)
            wanted[impl_id].append(version_id)
    if include_drafts:
        for version_id, impl_id in GuideVersion.objects.filter(
            implementation_id__in=list(wanted), status__in=services.OPEN_STATUSES
        ).values_list("id", "implementation_id"):
            wanted[impl_id].append(version_id)
    versions = guide_versions_with_parts().in_bulk([v for ids in wanted.values() for v in ids])

    entries: list[dict[str, Any]] = []
    used_orgs: set[str] = set()
    used_themes: set[str] = set()
    used_basic: set[str] = set()
    for impl in impls:
        for version_id in wanted[impl.pk]:
            guide = versions[version_id]
            guide_doc = guide_document(guide)
            entry: dict[str, Any] = {
                "implementation_code": impl.implementation_code,
                "basic_code": impl.basic_item.basic_code,
                "organisation_uscc": impl.organisation.uscc,
                "region_code": impl.region_id,
                "popularity": impl.popularity,
                "status": guide.status,
                "guide": guide_doc,
            }
            if guide.status == GuideStatus.WITHDRAWN:
                entry["reason"] = guide.status_reason
            entries.append(entry)
            used_orgs.add(impl.organisation.uscc)
            used_orgs.update(guide_doc["joint_organisations"])
            used_themes.update(guide_doc["themes"])
            used_basic.add(impl.basic_item.basic_code)

    exported_codes = {e["implementation_code"] for e in entries}
    bundles = []
    bundle_qs = Bundle.objects.select_related("lead_organisation").prefetch_related("themes").order_by("code")
    if not include_drafts:
        bundle_qs = bundle_qs.exclude(status=BundleStatus.DRAFT)
    for bundle in bundle_qs:
        members = list(
            bundle.memberships.order_by("order", "id").values_list(
                "implementation__implementation_code", flat=True
            )
        )
        if filtered and not set(members) <= exported_codes:
            continue
        bundles.append(
            {
                "code": bundle.code,
                "name": bundle.name,
                "description": bundle.description,
                "audience": bundle.audience,
                "lead_organisation_uscc": bundle.lead_organisation.uscc,
                "region_code": bundle.region_id,
                "themes": sorted(theme.code for theme in bundle.themes.all()),
                "promised_limit": bundle.promised_limit,
                "status": bundle.status,
                "members": members,
            }
        )
        used_orgs.add(bundle.lead_organisation.uscc)
        used_themes.update(theme.code for theme in bundle.themes.all())

    organisations = Organisation.objects.select_related("parent").order_by("uscc")
    basic_items = BasicItem.objects.select_related("parent").order_by("basic_code")
    themes = Theme.objects.order_by("code")
    if filtered:
        organisations = organisations.filter(uscc__in=_with_ancestors(Organisation, "uscc", used_orgs))
        basic_items = basic_items.filter(basic_code__in=_with_ancestors(BasicItem, "basic_code", used_basic))
        themes = themes.filter(code__in=used_themes)
    return {
        "format": FORMAT,
        "organisations": [
            {
                "uscc": org.uscc,
                "name": org.name,
                "short_name": org.short_name,
                "region_code": org.region_id,
                "kind": org.kind,
                "parent_uscc": org.parent.uscc if org.parent else None,
                "address": org.address,
                "phone": org.phone,
            }
            for org in organisations
        ],
        "themes": [
            {
                "code": theme.code,
                "name": theme.name,
                "audience": theme.audience,
                "order": theme.order,
                "description": theme.description,
            }
            for theme in themes
        ],
        "basic_items": [
            {
                "basic_code": item.basic_code,
                "name": item.name,
                "item_type": item.item_type,
                "parent_code": item.parent.basic_code if item.parent else None,
                "legal_basis": item.legal_basis,
                "competent_department": item.competent_department,
                "is_national": item.is_national,
            }
            for item in basic_items
        ],
        "implementations": entries,
        "bundles": bundles,
    }


def _with_ancestors(model: Any, key: str, keys: set[str]) -> set[str]:
    """The given natural keys plus those of every parent up the tree (so references resolve)."""
    result = set(keys)
    frontier = set(keys)
    while frontier:
        parents = set(
            model.objects.filter(**{f"{key}__in": frontier, "parent__isnull": False}).values_list(
                f"parent__{key}", flat=True
            )
        )
        frontier = parents - result
        result |= parents
    return result


# --- parsing and validation -----------------------------------------------------------------------


@dataclass
class GuideContent:
    fields: dict[str, Any]  # model values, ready for services.create_draft / update_draft
    themes: list[str]
    joint_organisations: list[str]
    parts: dict[str, list[dict[str, Any]]]  # rows for services.set_parts (references by natural key)
    document: dict[str, Any]  # the normalised document form (what export gives back)

    @property
    def digest(self) -> str:
        return guide_digest(self.document)


@dataclass
class _Entry:
    index: int
    location: str
    values: dict[str, Any]
    raw: Mapping[str, Any]
    guide: GuideContent | None = None


@dataclass
class ParsedDocument:
    organisations: list[_Entry] = field(default_factory=list)
    themes: list[_Entry] = field(default_factory=list)
    basic_items: list[_Entry] = field(default_factory=list)
    implementations: list[_Entry] = field(default_factory=list)
    bundles: list[_Entry] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        implementations = []
        for entry in self.implementations:
            assert entry.guide is not None
            implementations.append({**entry.values, "guide": entry.guide.document})
        return {
            "format": FORMAT,
            "organisations": [
                {k: v for k, v in e.values.items() if k != "uscc_warning"} for e in self.organisations
            ],
            "themes": [dict(e.values) for e in self.themes],
            "basic_items": [dict(e.values) for e in self.basic_items],
            "implementations": implementations,
            "bundles": [dict(e.values) for e in self.bundles],
        }


def _entries(doc: Mapping[str, Any], key: str, report: ImportReport) -> Iterable[tuple[int, str, Mapping]]:
    value = doc.get(key)
    if value is None:
        return
    if not isinstance(value, list):
        report.error(key, _("应为列表。"))
        return
    for index, item in enumerate(value):
        location = f"{key}[{index}]"
        if not isinstance(item, Mapping):
            report.error(location, _("应为对象（键值对）。"))
            continue
        yield index, location, item


def _unknown_keys(
    raw: Mapping[str, Any], allowed: Iterable[str], location: str, report: ImportReport
) -> None:
    for key in sorted(set(raw) - set(allowed)):
        report.warn(f"{location}.{key}", _("未知的字段，已忽略。"))


def _parse_fields(
    model: Any,
    names: Iterable[str],
    raw: Mapping[str, Any],
    location: str,
    report: ImportReport,
    *,
    aliases: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Convert and validate one row's fields with the model's own rules (type, length, choices, blank)."""
    aliases = aliases or {}
    values: dict[str, Any] = {}
    bad: set[str] = set()
    for name in names:
        key = aliases.get(name, name)
        model_field = model._meta.get_field(name)
        try:
            values[name] = _to_python(model_field, raw.get(key), key in raw)
        except ValidationError as exc:
            report.error(f"{location}.{key}", _messages(exc))
            bad.add(name)
    instance = model(**{k: v for k, v in values.items() if k not in bad})
    skip = {f.name for f in model._meta.concrete_fields if f.name not in values or f.name in bad}
    skip |= {f.name for f in model._meta.concrete_fields if isinstance(f, models.FileField)}
    try:
        instance.clean_fields(exclude=skip)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            report.error(f"{location}.{aliases.get(name, name)}", "；".join(messages))
    return values


def _dumped(model: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _dump(model._meta.get_field(name), value) for name, value in values.items()}


def _code_refs(value: Any, location: str, report: ImportReport, *, uscc: bool = False) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        report.error(location, _("应为代码列表。"))
        return []
    items = [normalise_uscc(v) if uscc else str(v).strip() for v in value]
    duplicates = sorted({v for v in items if items.count(v) > 1})
    if duplicates:
        report.error(location, _("有重复的代码：%(codes)s。") % {"codes": "、".join(duplicates)})
    return items


def parse_guide(raw: Any, location: str, report: ImportReport) -> GuideContent | None:
    """Check one "guide" object field by field; unknown element names are errors."""
    if not isinstance(raw, Mapping):
        report.error(location, _("缺少办事指南内容（guide 对象）。"))
        return None
    allowed = {*GUIDE_FIELDS, *GUIDE_LIST_FIELDS, *PART_KEYS}
    for key in sorted(set(raw) - allowed):
        report.error(
            f"{location}.{key}",
            _("办事指南没有“%(key)s”这一要素；请使用导出文件中的字段名（如 legal_basis、promised_limit）。")
            % {"key": key},
        )
    fields = _parse_fields(GuideVersion, GUIDE_FIELDS, raw, location, report)
    themes = sorted(_code_refs(raw.get("themes"), f"{location}.themes", report))
    joint = sorted(
        _code_refs(raw.get("joint_organisations"), f"{location}.joint_organisations", report, uscc=True)
    )
    parts: dict[str, list[dict[str, Any]]] = {}
    part_documents: dict[str, list[dict[str, Any]]] = {}
    for key in PART_KEYS:
        model = services.PART_MODELS[key]
        rows_raw = raw.get(key) or []
        parts[key], part_documents[key] = [], []
        if not isinstance(rows_raw, list):
            report.error(f"{location}.{key}", _("应为列表。"))
            continue
        reference = PART_REFERENCES.get(key)
        plain = [n for n in PART_FIELDS[key] if not reference or n != reference[0]]
        for j, row in enumerate(rows_raw):
            row_location = f"{location}.{key}[{j}]"
            if not isinstance(row, Mapping):
                report.error(row_location, _("应为对象（键值对）。"))
                continue
            for name in sorted(set(row) - set(PART_FIELDS[key])):
                report.error(
                    f"{row_location}.{name}",
                    _("没有“%(key)s”这一字段；可用字段：%(ok)s。")
                    % {"key": name, "ok": "、".join(PART_FIELDS[key])},
                )
            values = _parse_fields(model, plain, row, row_location, report)
            document = _dumped(model, values)
            if reference:
                ref_field, ref_key, ref_attr = reference
                target = _text(row.get(ref_field)) or None
                known = {r[ref_attr] for r in parts[ref_key]}
                if target is not None and target not in known:
                    report.error(
                        f"{row_location}.{ref_field}",
                        _("引用了本指南中不存在的%(what)s“%(name)s”。")
                        % {
                            "what": _("业务办理项") if ref_key == "variants" else _("办理情形"),
                            "name": target,
                        },
                    )
                values[ref_field] = target
                document = {ref_field: target, **document}
            parts[key].append(values)
            part_documents[key].append({name: document[name] for name in PART_FIELDS[key]})
    for key, attr, what in (
        ("variants", "code_suffix", _("办理项序号")),
        ("situations", "name", _("情形名称")),
    ):
        names = [r[attr] for r in parts[key]]
        for duplicate in sorted({n for n in names if names.count(n) > 1}):
            report.error(
                f"{location}.{key}", _("%(what)s“%(name)s”重复。") % {"what": what, "name": duplicate}
            )
    document = _dumped(GuideVersion, fields)
    document["themes"] = themes
    document["joint_organisations"] = joint
    document.update(part_documents)
    return GuideContent(fields, themes, joint, parts, document)


def parse_document(doc: Any, report: ImportReport) -> ParsedDocument:
    """Every field-level check (no database): format, types, lengths, code values, duplicates."""
    parsed = ParsedDocument()
    if not isinstance(doc, Mapping):
        report.error("", _("导入内容应为 JSON 对象。"))
        return parsed
    if doc.get("format") != FORMAT:
        report.error(
            "format",
            _("文件格式应为“%(expected)s”，实际为“%(actual)s”；请使用本系统导出的文件作为模板。")
            % {"expected": FORMAT, "actual": doc.get("format")},
        )
        return parsed

    seen: dict[str, set[str]] = {k: set() for k in ("org", "theme", "basic", "bundle")}

    def unique(kind: str, code: str, location: str) -> None:
        if code in seen[kind]:
            report.error(location, _("代码 %(code)s 在文件中重复出现。") % {"code": code})
        seen[kind].add(code)

    for index, location, raw in _entries(doc, "organisations", report):
        _unknown_keys(raw, ORGANISATION_KEYS, location, report)
        values = _dumped(
            Organisation,
            _parse_fields(
                Organisation, ("name", "short_name", "kind", "address", "phone"), raw, location, report
            ),
        )
        uscc = normalise_uscc(raw.get("uscc"))
        try:
            check = check_uscc(uscc)
            if check.warning:
                report.warn(f"{location}.uscc", check.warning)
            values["uscc_warning"] = check.warning
        except ValidationError as exc:
            report.error(f"{location}.uscc", _messages(exc))
        unique("org", uscc, f"{location}.uscc")
        for name in ("name", "short_name", "address"):
            values[name] = (values.get(name) or "").strip()
        if values.get("phone"):
            try:
                values["phone"] = validate_phone(values["phone"])
            except ValidationError as exc:
                report.error(f"{location}.phone", _messages(exc))
        parent = normalise_uscc(raw.get("parent_uscc")) or None
        if parent == uscc and parent:
            report.error(f"{location}.parent_uscc", _("上级机构不能是机构自己。"))
        values.update(uscc=uscc, region_code=_text(raw.get("region_code")), parent_uscc=parent)
        parsed.organisations.append(_Entry(index, location, values, raw))

    for index, location, raw in _entries(doc, "themes", report):
        _unknown_keys(raw, THEME_KEYS, location, report)
        values = _dumped(Theme, _parse_fields(Theme, THEME_KEYS, raw, location, report))
        unique("theme", values["code"], f"{location}.code")
        parsed.themes.append(_Entry(index, location, values, raw))

    for index, location, raw in _entries(doc, "basic_items", report):
        _unknown_keys(raw, BASIC_ITEM_KEYS, location, report)
        names = ("basic_code", "name", "item_type", "legal_basis", "competent_department", "is_national")
        values = _dumped(BasicItem, _parse_fields(BasicItem, names, raw, location, report))
        unique("basic", values["basic_code"], f"{location}.basic_code")
        values["parent_code"] = _text(raw.get("parent_code")) or None
        if values["parent_code"] == values["basic_code"]:
            report.error(f"{location}.parent_code", _("主项不能是事项自己。"))
        parsed.basic_items.append(_Entry(index, location, values, raw))

    entry_slots: dict[tuple[str, bool], str] = {}
    for index, location, raw in _entries(doc, "implementations", report):
        impl_values = _parse_fields(
            Implementation, ("implementation_code", "popularity"), raw, location, report
        )
        code = impl_values.get("implementation_code") or ""
        status = raw.get("status", "published")
        if status not in ENTRY_STATUSES:
            report.error(
                f"{location}.status",
                _("状态应为 %(ok)s 之一，实际为“%(s)s”。") % {"ok": "、".join(ENTRY_STATUSES), "s": status},
            )
        slot = (code, status in OPEN_ENTRY_STATUSES)
        if code and slot in entry_slots:
            report.error(
                f"{location}.implementation_code",
                _(
                    "实施编码 %(code)s 重复：每个事项最多出现两次（一次为已发布或已取消，一次为草稿或审核中），"
                    "另一处在 %(other)s。"
                )
                % {"code": code, "other": entry_slots[slot]},
            )
        entry_slots[slot] = location
        values = {
            "implementation_code": code,
            "basic_code": _text(raw.get("basic_code")),
            "organisation_uscc": normalise_uscc(raw.get("organisation_uscc")),
            "region_code": _text(raw.get("region_code")) or None,
            "popularity": impl_values.get("popularity") or 0,
            "status": status,
        }
        if status == "withdrawn" or "reason" in raw:
            values["reason"] = _text(raw.get("reason"))
        for key in ("basic_code", "organisation_uscc"):
            if not values[key]:
                report.error(f"{location}.{key}", _("必须填写。"))
        guide = parse_guide(raw.get("guide"), f"{location}.guide", report)
        parsed.implementations.append(_Entry(index, location, values, raw, guide))

    for index, location, raw in _entries(doc, "bundles", report):
        _unknown_keys(raw, BUNDLE_KEYS, location, report)
        bundle_names = ("code", "name", "description", "audience", "promised_limit")
        values = _dumped(Bundle, _parse_fields(Bundle, bundle_names, raw, location, report))
        unique("bundle", values["code"], f"{location}.code")
        status = raw.get("status", BundleStatus.PUBLISHED)
        if status not in BundleStatus.values:
            report.error(
                f"{location}.status",
                _("状态应为 %(ok)s 之一。") % {"ok": "、".join(BundleStatus.values)},
            )
        values.update(
            lead_organisation_uscc=normalise_uscc(raw.get("lead_organisation_uscc")),
            region_code=_text(raw.get("region_code")),
            themes=sorted(_code_refs(raw.get("themes"), f"{location}.themes", report)),
            status=status,
            members=_code_refs(raw.get("members"), f"{location}.members", report),
        )
        parsed.bundles.append(_Entry(index, location, values, raw))
    return parsed


def normalise_document(doc: Any) -> dict[str, Any]:
    """The document with every field present and spelled as export spells it (no database needed)."""
    report = ImportReport()
    parsed = parse_document(doc, report)
    if report.errors:
        raise ImportFailed(report)
    return parsed.document()


def _check_references(parsed: ParsedDocument, report: ImportReport) -> None:
    """Every code the document refers to must be in the document or already in the database."""

    def known(model: Any, key: str, in_doc: set[str], wanted: set[str]) -> set[str]:
        missing = wanted - in_doc
        found = set(model.objects.filter(**{f"{key}__in": missing}).values_list(key, flat=True))
        return in_doc | found

    org_codes = {e.values["uscc"] for e in parsed.organisations}
    theme_codes = {e.values.get("code", "") for e in parsed.themes}
    basic_codes = {e.values.get("basic_code", "") for e in parsed.basic_items}
    impl_codes = {e.values["implementation_code"] for e in parsed.implementations}

    wanted_orgs = {e.values["parent_uscc"] for e in parsed.organisations if e.values["parent_uscc"]}
    wanted_orgs |= {e.values["organisation_uscc"] for e in parsed.implementations}
    wanted_orgs |= {u for e in parsed.implementations if e.guide for u in e.guide.joint_organisations}
    wanted_orgs |= {e.values["lead_organisation_uscc"] for e in parsed.bundles}
    wanted_themes = {t for e in parsed.implementations if e.guide for t in e.guide.themes}
    wanted_themes |= {t for e in parsed.bundles for t in e.values["themes"]}
    wanted_basic = {e.values["parent_code"] for e in parsed.basic_items if e.values["parent_code"]}
    wanted_basic |= {e.values["basic_code"] for e in parsed.implementations}
    wanted_impls = {m for e in parsed.bundles for m in e.values["members"]}
    wanted_regions = {e.values["region_code"] for e in parsed.organisations}
    wanted_regions |= {e.values["region_code"] for e in parsed.implementations if e.values["region_code"]}
    wanted_regions |= {e.values["region_code"] for e in parsed.bundles}

    orgs = known(Organisation, "uscc", org_codes, wanted_orgs)
    themes = known(Theme, "code", theme_codes, wanted_themes)
    basics = known(BasicItem, "basic_code", basic_codes, wanted_basic)
    impls = known(Implementation, "implementation_code", impl_codes, wanted_impls)
    regions = set(Region.objects.filter(code__in=wanted_regions).values_list("code", flat=True))

    def need(value: str | None, pool: set[str], location: str, message: str) -> None:
        if value and value not in pool:
            report.error(location, message % {"code": value})

    no_region = _("行政区划代码 %(code)s 不存在；请先运行 yiwang regions load，或更正代码。")
    no_org = _("机构 %(code)s 既不在文件的 organisations 中，也不在系统中。")
    for e in parsed.organisations:
        need(e.values["region_code"], regions, f"{e.location}.region_code", no_region)
        if not e.values["region_code"]:
            report.error(f"{e.location}.region_code", _("必须填写机构所在的行政区划代码。"))
        need(e.values["parent_uscc"], orgs, f"{e.location}.parent_uscc", no_org)
    for e in parsed.basic_items:
        need(
            e.values["parent_code"],
            basics,
            f"{e.location}.parent_code",
            _("主项 %(code)s 既不在文件的 basic_items 中，也不在系统中。"),
        )
    for e in parsed.implementations:
        need(
            e.values["basic_code"],
            basics,
            f"{e.location}.basic_code",
            _("基本编码 %(code)s 既不在文件的 basic_items 中，也不在系统中。"),
        )
        need(e.values["organisation_uscc"], orgs, f"{e.location}.organisation_uscc", no_org)
        need(e.values["region_code"], regions, f"{e.location}.region_code", no_region)
        if e.guide is None:
            continue
        for j, uscc in enumerate(e.guide.joint_organisations):
            need(uscc, orgs, f"{e.location}.guide.joint_organisations[{j}]", no_org)
        for j, code in enumerate(e.guide.themes):
            need(
                code,
                themes,
                f"{e.location}.guide.themes[{j}]",
                _("服务主题 %(code)s 既不在文件的 themes 中，也不在系统中。"),
            )
    for e in parsed.bundles:
        need(e.values["lead_organisation_uscc"], orgs, f"{e.location}.lead_organisation_uscc", no_org)
        need(e.values["region_code"], regions, f"{e.location}.region_code", no_region)
        for j, code in enumerate(e.values["themes"]):
            need(code, themes, f"{e.location}.themes[{j}]", _("服务主题 %(code)s 不存在。"))
        for j, code in enumerate(e.values["members"]):
            need(
                code,
                impls,
                f"{e.location}.members[{j}]",
                _("事项 %(code)s 既不在文件的 implementations 中，也不在系统中。"),
            )
    _check_parent_cycles(parsed.organisations, "uscc", "parent_uscc", report)
    _check_parent_cycles(parsed.basic_items, "basic_code", "parent_code", report)


def _check_parent_cycles(entries: list[_Entry], key: str, parent_key: str, report: ImportReport) -> None:
    parents = {e.values[key]: e.values[parent_key] for e in entries}
    for e in entries:
        seen = {e.values[key]}
        current = parents.get(e.values[key])
        while current and current in parents:
            if current in seen:
                report.error(f"{e.location}.{parent_key}", _("上下级关系形成了循环。"))
                break
            seen.add(current)
            current = parents[current]


# --- writing --------------------------------------------------------------------------------------


def import_document(
    doc: Any, *, actor: Any = None, publish: bool = True, progress: Progress | None = None
) -> ImportReport:
    """Check the whole document, then write it in one transaction (all or nothing).

    Raises ImportFailed with every problem found (checks first; then, e.g., guides whose publication the
    quality rules refuse) and leaves the database untouched in that case.
    """
    report = ImportReport()
    parsed = parse_document(doc, report)
    _check_references(parsed, report)  # also when fields are wrong: every problem in one report
    if report.errors:
        raise ImportFailed(report)
    with transaction.atomic():
        # The catalogue change marker's lock before any row lock (as catalog.services.publish takes it):
        # the import publishes and withdraws through the services, in this one transaction; taking the
        # marker first makes a publication made meanwhile wait for the import instead of deadlocking with
        # it. It moves only when the import changed something (an organisation's new name shows in the
        # API's cached answers too), so re-importing the same document leaves every process's cache warm.
        readcache.hold_marker()
        _Writer(parsed, report, actor=actor, publish=publish, progress=progress).run()
        if report.errors:
            raise ImportFailed(report)  # inside the transaction: everything rolls back
        if report.changed:
            readcache.catalogue_changed()
            audit.record(
                actor=actor,
                action="catalog.import",
                object_type="catalog.document",
                object_id=FORMAT,
                after=report.as_dict(),
                summary="导入事项目录：" + "；".join(report.summary_lines()),
            )
    return report


class _Writer:
    def __init__(
        self,
        parsed: ParsedDocument,
        report: ImportReport,
        *,
        actor: Any,
        publish: bool,
        progress: Progress | None,
    ) -> None:
        self.parsed = parsed
        self.report = report
        self.actor = actor
        self.publish = publish
        self.progress = progress
        self.organisations: dict[str, Organisation] = {}
        self.themes: dict[str, Theme] = {}
        self.basic_items: dict[str, BasicItem] = {}
        self.implementations: dict[str, Implementation] = {}
        self.outcomes: dict[str, dict[str, str]] = {}
        self._versions: dict[int, list[GuideVersion]] = {}
        self._fresh: set[int] = set()

    def run(self) -> None:
        self._require_admin_for_registries()
        if self.report.errors:
            return
        self._organisations()
        self._themes()
        self._basic_items()
        self._implementations()
        self._bundles()
        self._count_outcomes()

    def _require_admin_for_registries(self) -> None:
        actor = self.actor
        if actor is None or getattr(actor, "is_superuser", False):
            return
        for kind in ("organisations", "themes", "basic_items", "bundles"):
            if getattr(self.parsed, kind):
                self.report.error(kind, _("只有系统管理员可以导入机构、主题、基本目录和一件事。"))

    # registries ----------------------------------------------------------------------------------

    def _outcome(self, kind: str, code: str, outcome: str) -> None:
        """Remember what happened to one row; "updated" wins over "unchanged", "created" over both."""
        rank = {"unchanged": 0, "updated": 1, "created": 2}
        previous = self.outcomes.setdefault(kind, {}).get(code)
        if previous is None or rank[outcome] > rank[previous]:
            self.outcomes[kind][code] = outcome

    def _count_outcomes(self) -> None:
        counters = {"created": self.report.created, "updated": self.report.updated}
        for kind, outcomes in self.outcomes.items():
            for outcome in outcomes.values():
                counters.get(outcome, self.report.unchanged)[kind] += 1

    def _save(self, kind: str, model: Any, key: str, code: str, values: dict[str, Any], existing: Any) -> Any:
        """Create or update one registry row by its natural key; audit only real changes."""
        object_type = f"{model._meta.app_label}.{model._meta.model_name}"
        if existing is None:
            instance = model.objects.create(**{key: code}, **values)
            self._outcome(kind, code, "created")
            audit.record(
                actor=self.actor,
                action=f"{object_type}.import_create",
                object_type=object_type,
                object_id=code,
                after=_jsonable(values),
                summary=f"导入新增{KIND_LABELS[kind]} {code}",
            )
            return instance
        changed = {k: v for k, v in values.items() if getattr(existing, k) != v}
        if not changed:
            self._outcome(kind, code, "unchanged")
            return existing
        before = {k: getattr(existing, k) for k in changed}
        for k, v in changed.items():
            setattr(existing, k, v)
        existing.save(update_fields=[k.removesuffix("_id") for k in changed])
        self._outcome(kind, code, "updated")
        audit.record(
            actor=self.actor,
            action=f"{object_type}.import_update",
            object_type=object_type,
            object_id=code,
            before=_jsonable(before),
            after=_jsonable(changed),
            summary=f"导入更新{KIND_LABELS[kind]} {code}：{'、'.join(sorted(changed))}",
        )
        return existing

    def _organisations(self) -> None:
        """Organisations belong to core: register or update them through core.services."""
        from yiwang.core import services as core_services

        entries = self.parsed.organisations
        usccs = {e.values["uscc"] for e in entries} | {
            e.values["parent_uscc"] for e in entries if e.values["parent_uscc"]
        }
        self.organisations = {o.uscc: o for o in Organisation.objects.filter(uscc__in=usccs)}
        for e in entries:
            v = e.values
            code = v["uscc"]
            values = {
                "name": v["name"],
                "short_name": v["short_name"],
                "region": v["region_code"],
                "kind": v["kind"] or OrganisationKind.DEPARTMENT,
                "address": v["address"],
                "phone": v["phone"],
            }
            existing = self.organisations.get(code)
            try:
                with transaction.atomic():
                    if existing is None:
                        org = core_services.register_organisation(actor=self.actor, uscc=code, **values)
                        self._outcome("organisations", code, "created")
                    else:
                        current = {k: getattr(existing, k) for k in values if k != "region"}
                        current["region"] = existing.region_id
                        changes = {k: val for k, val in values.items() if current[k] != val}
                        org = existing
                        if changes:
                            org = core_services.update_organisation(existing, actor=self.actor, **changes)
                        self._outcome("organisations", code, "updated" if changes else "unchanged")
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    self.report.error(f"{e.location}.{name}", "；".join(messages))
                continue
            self.organisations[code] = org
        if self.report.errors:
            return
        for e in entries:
            code, parent_code = e.values["uscc"], e.values["parent_uscc"]
            org = self.organisations[code]
            parent = None
            if parent_code:
                parent = self.organisations.get(parent_code) or Organisation.objects.get(uscc=parent_code)
            if org.parent_id != (parent.pk if parent else None):
                core_services.update_organisation(org, actor=self.actor, parent=parent)
                org.parent = parent
                if self.outcomes["organisations"][code] != "created":
                    self._outcome("organisations", code, "updated")

    def _link_parents(
        self, kind: str, entries: list[_Entry], pool: dict[str, Any], key: str, parent_key: str
    ) -> None:
        """Second pass, once every row exists: point each row at its parent."""
        for e in entries:
            code = e.values[key]
            instance = pool[code]
            parent_code = e.values[parent_key]
            parent = pool.get(parent_code) if parent_code else None
            if parent_code and parent is None:
                parent = pool[parent_code] = type(instance).objects.get(**{key: parent_code})
            parent_id = parent.pk if parent else None
            if instance.parent_id == parent_id:
                continue
            instance.parent_id = parent_id
            instance.save(update_fields=["parent"])
            if self.outcomes[kind][code] != "created":
                self._outcome(kind, code, "updated")
                object_type = f"{instance._meta.app_label}.{instance._meta.model_name}"
                audit.record(
                    actor=self.actor,
                    action=f"{object_type}.import_update",
                    object_type=object_type,
                    object_id=code,
                    after={parent_key: parent_code},
                    summary=f"导入更新{KIND_LABELS[kind]} {code} 的上级",
                )

    def _themes(self) -> None:
        codes_ = [e.values["code"] for e in self.parsed.themes]
        self.themes = {t.code: t for t in Theme.objects.filter(code__in=codes_)}
        for e in self.parsed.themes:
            values = {k: e.values[k] for k in ("name", "audience", "order", "description")}
            self.themes[e.values["code"]] = self._save(
                "themes", Theme, "code", e.values["code"], values, self.themes.get(e.values["code"])
            )

    def _basic_items(self) -> None:
        entries = self.parsed.basic_items
        codes_ = {e.values["basic_code"] for e in entries} | {
            e.values["parent_code"] for e in entries if e.values["parent_code"]
        }
        self.basic_items = {b.basic_code: b for b in BasicItem.objects.filter(basic_code__in=codes_)}
        for e in entries:
            v = e.values
            values = {
                k: v[k] for k in ("name", "item_type", "legal_basis", "competent_department", "is_national")
            }
            self.basic_items[v["basic_code"]] = self._save(
                "basic_items",
                BasicItem,
                "basic_code",
                v["basic_code"],
                values,
                self.basic_items.get(v["basic_code"]),
            )
        self._link_parents("basic_items", entries, self.basic_items, "basic_code", "parent_code")

    # implementations and guides ------------------------------------------------------------------

    def _implementations(self) -> None:
        # Public entries first, so an open entry for the same code becomes the next version after it.
        entries = sorted(self.parsed.implementations, key=lambda e: e.values["status"] in OPEN_ENTRY_STATUSES)
        codes_ = {e.values["implementation_code"] for e in entries}
        self.implementations = {
            i.implementation_code: i
            for i in Implementation.objects.select_related("organisation", "region").filter(
                implementation_code__in=codes_
            )
        }
        for guide in (
            guide_versions_with_parts()
            .filter(implementation__implementation_code__in=codes_)
            .exclude(status=GuideStatus.SUPERSEDED)
        ):
            self._versions.setdefault(guide.implementation_id, []).append(guide)
        self._organisations_by_uscc(entries)
        self._themes_by_code(entries)
        total = len(entries)
        for done, e in enumerate(entries, start=1):
            try:
                with transaction.atomic():
                    self._implementation(e)
            except (services.CatalogError, PermissionDenied, ValidationError) as exc:
                code = e.values["implementation_code"]
                message = _messages(exc) if isinstance(exc, ValidationError) else str(exc)
                self.report.error(f"{e.location}（{code}）", message)
                # The savepoint rolled back: forget what this entry cached; later entries re-read it.
                self.implementations.pop(code, None)
                self._fresh.update(self._versions)
            if self.progress:
                self.progress(done, total)

    def _organisations_by_uscc(self, entries: list[_Entry]) -> None:
        wanted = {e.values["organisation_uscc"] for e in entries}
        wanted |= {u for e in entries if e.guide for u in e.guide.joint_organisations}
        missing = wanted - set(self.organisations)
        self.organisations.update({o.uscc: o for o in Organisation.objects.filter(uscc__in=missing)})
        wanted_basic = {e.values["basic_code"] for e in entries} - set(self.basic_items)
        self.basic_items.update(
            {b.basic_code: b for b in BasicItem.objects.filter(basic_code__in=wanted_basic)}
        )

    def _themes_by_code(self, entries: list[_Entry]) -> None:
        wanted = {t for e in entries if e.guide for t in e.guide.themes} - set(self.themes)
        self.themes.update({t.code: t for t in Theme.objects.filter(code__in=wanted)})

    def _implementation(self, e: _Entry) -> None:
        v = e.values
        assert e.guide is not None
        code = v["implementation_code"]
        impl = (
            self.implementations.get(code)
            or Implementation.objects.select_related("organisation", "region")
            .filter(implementation_code=code)
            .first()
        )
        organisation = self.organisations[v["organisation_uscc"]]
        basic_item = self.basic_items[v["basic_code"]]
        if impl is None:
            impl = services.create_implementation(
                basic_item=basic_item,
                organisation=organisation,
                exercise_level=e.guide.fields["exercise_level"],
                region=Region.objects.get(code=v["region_code"]) if v["region_code"] else None,
                implementation_code=code,
                actor=self.actor,
            )
            if v["popularity"]:
                Implementation.objects.filter(pk=impl.pk).update(popularity=v["popularity"])
            self.implementations[code] = impl
            self.report.created["implementations"] += 1
        elif impl.organisation_id != organisation.pk or impl.basic_item_id != basic_item.pk:
            raise services.CatalogError(
                _("实施编码 %(code)s 已属于“%(org)s”的“%(item)s”，与文件中的机构或基本编码不符。")
                % {"code": code, "org": impl.organisation.name, "item": impl.basic_item.basic_code}
            )
        elif e.values["status"] in PUBLIC_ENTRY_STATUSES:
            self.report.unchanged["implementations"] += 1
        self._sync_guide(impl, e)

    def _current_versions(self, impl: Implementation) -> list[GuideVersion]:
        if impl.pk in self._fresh or impl.pk not in self._versions:
            self._versions[impl.pk] = list(
                guide_versions_with_parts().filter(implementation=impl).exclude(status=GuideStatus.SUPERSEDED)
            )
            self._fresh.discard(impl.pk)
        return self._versions[impl.pk]

    def _sync_guide(self, impl: Implementation, e: _Entry) -> None:
        assert e.guide is not None
        content = e.guide
        target = e.values["status"]
        if impl.pk in self._fresh:  # changed earlier in this import
            impl.refresh_from_db(fields=["public_status"])
        versions = self._current_versions(impl)
        published = next((g for g in versions if g.status == GuideStatus.PUBLISHED), None)
        open_ = next((g for g in versions if g.status in services.OPEN_STATUSES), None)
        withdrawn = max(
            (g for g in versions if g.status == GuideStatus.WITHDRAWN), key=lambda g: g.version, default=None
        )
        wanted = content.digest

        def same(guide: GuideVersion | None) -> bool:
            return guide is not None and guide_digest(guide_document(guide)) == wanted

        if target in OPEN_ENTRY_STATUSES:
            self._ensure_open(impl, open_, content, target)
            return
        if target == "withdrawn" and impl.public_status == PublicStatus.WITHDRAWN and same(withdrawn):
            self.report.unchanged["guides"] += 1
            return
        if same(published):
            if target == "withdrawn":
                self._withdraw(impl, e)
                self.report.updated["guides"] += 1
            else:
                self.report.unchanged["guides"] += 1
            return
        if not self.publish:
            self._ensure_open(impl, open_, content, "draft")
            return
        guide = self._ensure_open(impl, open_, content, None, count=False)
        if guide.status == GuideStatus.DRAFT:
            guide = services.submit(guide, actor=self.actor)
        services.publish(guide, actor=self.actor)
        if target == "withdrawn":
            self._withdraw(impl, e)
        self._fresh.add(impl.pk)
        if open_ is None:
            self.report.created["guides"] += 1
        else:
            self.report.updated["guides"] += 1

    def _withdraw(self, impl: Implementation, e: _Entry) -> None:
        services.withdraw(impl, reason=e.values.get("reason") or DEFAULT_WITHDRAW_REASON, actor=self.actor)
        self._fresh.add(impl.pk)

    def _ensure_open(
        self,
        impl: Implementation,
        open_: GuideVersion | None,
        content: GuideContent,
        status: str | None,
        *,
        count: bool = True,
    ) -> GuideVersion:
        """Make the open version hold `content` (and, if given, be in `status`); return it."""
        themes = [self.themes[code] for code in content.themes]
        joint = [self.organisations[uscc] for uscc in content.joint_organisations]
        changed = created = False
        if open_ is not None and guide_digest(guide_document(open_)) == content.digest:
            guide = open_
        elif open_ is None:
            guide = services.create_draft(
                impl, fields=content.fields, themes=themes, joint_organisations=joint, actor=self.actor
            )
            guide = services.set_parts(guide, actor=self.actor, **content.parts)
            created = True
        else:
            guide = open_
            if guide.status == GuideStatus.IN_REVIEW:
                guide = services.reject(
                    guide, reason=_("导入数据更新了指南内容，退回草稿后更新。"), actor=self.actor
                )
            guide = services.update_draft(
                guide, fields=content.fields, themes=themes, joint_organisations=joint, actor=self.actor
            )
            guide = services.set_parts(guide, actor=self.actor, **content.parts)
            changed = True
        if status == GuideStatus.IN_REVIEW and guide.status == GuideStatus.DRAFT:
            guide = services.submit(guide, actor=self.actor)
            changed = True
        elif status == GuideStatus.DRAFT and guide.status == GuideStatus.IN_REVIEW:
            guide = services.reject(guide, reason=_("按导入数据退回为草稿。"), actor=self.actor)
            changed = True
        self._fresh.add(impl.pk)
        if count:
            if created:
                self.report.created["guides"] += 1
            elif changed:
                self.report.updated["guides"] += 1
            else:
                self.report.unchanged["guides"] += 1
        return guide

    # bundles -------------------------------------------------------------------------------------

    def _bundles(self) -> None:
        entries = self.parsed.bundles
        if not entries:
            return
        existing = {b.code: b for b in Bundle.objects.filter(code__in=[e.values["code"] for e in entries])}
        member_codes = {m for e in entries for m in e.values["members"]}
        impls = {
            i.implementation_code: i
            for i in Implementation.objects.filter(implementation_code__in=member_codes)
        }
        lead_codes = {e.values["lead_organisation_uscc"] for e in entries} - set(self.organisations)
        self.organisations.update({o.uscc: o for o in Organisation.objects.filter(uscc__in=lead_codes)})
        theme_codes = {t for e in entries for t in e.values["themes"]} - set(self.themes)
        self.themes.update({t.code: t for t in Theme.objects.filter(code__in=theme_codes)})
        for e in entries:
            try:
                with transaction.atomic():
                    self._bundle(e, existing.get(e.values["code"]), impls)
            except (services.CatalogError, PermissionDenied) as exc:
                self.report.error(f"{e.location}（{e.values['code']}）", str(exc))

    def _bundle(self, e: _Entry, bundle: Bundle | None, impls: dict[str, Implementation]) -> None:
        v = e.values
        code = v["code"]
        values = {
            "name": v["name"],
            "description": v["description"],
            "audience": v["audience"],
            "lead_organisation_id": self.organisations[v["lead_organisation_uscc"]].pk,
            "region_id": v["region_code"],
            "promised_limit": v["promised_limit"],
        }
        bundle = self._save("bundles", Bundle, "code", code, values, bundle)
        if sorted(t.code for t in bundle.themes.all()) != v["themes"]:
            bundle.themes.set([self.themes[theme] for theme in v["themes"]])
            self._outcome("bundles", code, "updated")
        current = list(
            bundle.memberships.order_by("order", "id").values_list(
                "implementation__implementation_code", flat=True
            )
        )
        if current != v["members"]:
            if bundle.status != BundleStatus.DRAFT:
                raise services.CatalogError(
                    _("一件事 %(code)s 已发布或已取消，不能通过导入调整所含事项；请先新建一件事。")
                    % {"code": code}
                )
            services.set_bundle_members(bundle, [impls[m] for m in v["members"]], actor=self.actor)
            self._outcome("bundles", code, "updated")
        target = v["status"]
        if target == bundle.status or not self.publish:
            return
        if bundle.status == BundleStatus.DRAFT:
            bundle = services.publish_bundle(bundle, actor=self.actor)
            self._outcome("bundles", code, "updated")
        if bundle.status == BundleStatus.PUBLISHED and target == BundleStatus.WITHDRAWN:
            bundle = services.withdraw_bundle(bundle, reason=DEFAULT_WITHDRAW_REASON, actor=self.actor)
            self._outcome("bundles", code, "updated")
        if bundle.status != target:
            self.report.warn(
                e.location,
                _("一件事 %(code)s 当前为“%(now)s”，不能改为“%(to)s”，已保留当前状态。")
                % {"code": code, "now": bundle.get_status_display(), "to": target},
            )


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}


# --- XLSX -----------------------------------------------------------------------------------------
# One sheet per kind. Row 1: Chinese headers for people; row 2: field names (what the reader uses, so
# columns may be reordered); data from row 3. Parts and guides are joined by 实施编码 (+ 指南状态 when an
# implementation has both a public and an open version). Lists are joined with "|" (or "、").


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str  # str | opt | int | bool | list | date | decimal


def _model_column(model: Any, name: str) -> Column:
    model_field = model._meta.get_field(name)
    kind = "str"
    if name == FORM_SCHEMA:
        kind = "json"
    elif isinstance(model_field, models.JSONField):
        kind = "list"
    elif isinstance(model_field, models.BooleanField):
        kind = "bool"
    elif isinstance(model_field, models.DateField):
        kind = "date"
    elif isinstance(model_field, models.DecimalField):
        kind = "decimal"
    elif isinstance(model_field, models.IntegerField):
        kind = "int"
    return Column(name, str(model_field.verbose_name), kind)


def _columns(*specs: tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(key, header, kind) for key, header, kind in specs)


ENTRY_KEY_COLUMNS = _columns(("implementation_code", "实施编码", "str"), ("status", "指南状态", "opt"))
PART_SHEETS = {
    "variants": "业务办理项",
    "situations": "办理情形",
    "materials": "申请材料",
    "steps": "办理流程",
    "fees": "收费",
    "special_procedures": "特别程序",
    "faqs": "常见问题",
}
REFERENCE_HEADERS = {"variant": "所属业务办理项序号", "situation": "适用情形名称"}


def _part_columns(key: str) -> tuple[Column, ...]:
    model = services.PART_MODELS[key]
    return tuple(
        Column(name, REFERENCE_HEADERS[name], "opt")
        if name in REFERENCE_HEADERS
        else _model_column(model, name)
        for name in PART_FIELDS[key]
    )


SHEETS: dict[str, tuple[str, tuple[Column, ...]]] = {
    "organisations": (
        "机构",
        _columns(
            ("uscc", "统一社会信用代码", "str"),
            ("name", "名称", "str"),
            ("short_name", "简称", "str"),
            ("region_code", "行政区划代码", "str"),
            ("kind", "类别", "str"),
            ("parent_uscc", "上级机构信用代码", "opt"),
            ("address", "地址", "str"),
            ("phone", "电话", "str"),
        ),
    ),
    "themes": (
        "主题",
        _columns(
            ("code", "主题代码", "str"),
            ("name", "主题名称", "str"),
            ("audience", "面向对象", "str"),
            ("order", "排序", "int"),
            ("description", "说明", "str"),
        ),
    ),
    "basic_items": (
        "基本目录",
        _columns(
            ("basic_code", "基本编码", "str"),
            ("name", "事项名称", "str"),
            ("item_type", "事项类型", "str"),
            ("parent_code", "主项基本编码", "opt"),
            ("legal_basis", "设定依据", "str"),
            ("competent_department", "主管部门", "str"),
            ("is_national", "国家基本目录", "bool"),
        ),
    ),
    "implementations": (
        "实施清单",
        _columns(
            ("implementation_code", "实施编码", "str"),
            ("basic_code", "基本编码", "str"),
            ("organisation_uscc", "实施主体信用代码", "str"),
            ("region_code", "行政区划代码", "opt"),
            ("popularity", "热度", "int"),
            ("status", "指南状态", "str"),
            ("reason", "状态原因", "opt"),
        )
        + tuple(_model_column(GuideVersion, name) for name in GUIDE_FIELDS)
        + _columns(
            ("themes", "服务主题代码", "list"), ("joint_organisations", "共同实施部门信用代码", "list")
        ),
    ),
    **{key: (title, ENTRY_KEY_COLUMNS + _part_columns(key)) for key, title in PART_SHEETS.items()},
    "bundles": (
        "一件事",
        _columns(
            ("code", "一件事编码", "str"),
            ("name", "名称", "str"),
            ("description", "说明", "str"),
            ("audience", "面向对象", "str"),
            ("lead_organisation_uscc", "牵头部门信用代码", "str"),
            ("region_code", "行政区划代码", "str"),
            ("themes", "服务主题代码", "list"),
            ("promised_limit", "承诺办结时限（工作日）", "int"),
            ("status", "状态", "str"),
            ("members", "包含事项实施编码", "list"),
        ),
    ),
}
GUIDE_COLUMN_KEYS = frozenset((*GUIDE_FIELDS, *GUIDE_LIST_FIELDS))


def _cell(ws: Any, value: Any, kind: str, *, bold: bool = False) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    if value is None:
        shown: Any = None
    elif kind == "bool":
        shown = "是" if value else "否"
    elif kind == "list":
        shown = "|".join(str(v) for v in value)
    elif kind == "json":
        shown = json.dumps(value, ensure_ascii=False) if value else None
    else:
        shown = value
    cell = WriteOnlyCell(ws, value=shown)
    if isinstance(shown, str):
        cell.data_type = "s"  # text stays text: "=…" is never turned into a formula
    if bold:
        cell.font = Font(bold=True)
    return cell


def _sheet_rows(doc: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {key: [] for key in SHEETS}
    for key in ("organisations", "themes", "basic_items", "bundles"):
        rows[key] = list(doc.get(key) or [])
    for entry in doc.get("implementations") or []:
        guide = entry.get("guide") or {}
        rows["implementations"].append(
            {**entry, **{k: v for k, v in guide.items() if k in GUIDE_COLUMN_KEYS}}
        )
        for key in PART_KEYS:
            for part in guide.get(key) or []:
                rows[key].append(
                    {
                        "implementation_code": entry.get("implementation_code"),
                        "status": entry.get("status"),
                        **part,
                    }
                )
    return rows


def export_xlsx(doc: Mapping[str, Any]) -> bytes:
    """The document as an XLSX workbook (one sheet per kind; see SHEETS)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    workbook.properties.subject = FORMAT
    workbook.properties.title = "一网 · 事项目录"
    for key, rows in _sheet_rows(doc).items():
        title, columns = SHEETS[key]
        ws = workbook.create_sheet(title)
        ws.freeze_panes = "B3"
        ws.append([_cell(ws, c.header, "str", bold=True) for c in columns])
        ws.append([_cell(ws, c.key, "str") for c in columns])
        for row in rows:
            ws.append([_cell(ws, row.get(c.key), c.kind) for c in columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _check_xlsx_bytes(data: bytes) -> None:
    """Refuse anything that is not really an XLSX workbook, whatever its file name says."""
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ExchangeError(
            _("这是旧版 Excel 97-2003（.xls）文件，请在 Excel 中“另存为”.xlsx 格式后重新上传。")
        )
    if not data.startswith(b"PK"):
        looks_like = _("文本文件（如 CSV）") if _is_text(data) else _("其他类型的文件")
        raise ExchangeError(
            _(
                "上传的文件不是 Excel 工作簿（.xlsx），内容看起来是%(kind)s。请用“导出”得到的 .xlsx 模板填写后上传；"
                "只修改文件扩展名不会改变文件格式。"
            )
            % {"kind": looks_like}
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        raise ExchangeError(_("Excel 文件已损坏或不完整，请重新导出或重新保存后上传。")) from None
    if "xl/workbook.xml" not in names:
        raise ExchangeError(_("这是一个压缩包，但不是 Excel 工作簿（缺少 xl/workbook.xml）。"))


def _is_text(data: bytes) -> bool:
    try:
        data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        try:
            data[:4096].decode("gb18030")
        except UnicodeDecodeError:
            return False
    return True


def _read_value(kind: str, value: Any) -> Any:
    """A cell as the document spells it; raises ValueError with a Chinese message when it cannot be."""
    if isinstance(value, str) and kind not in ("str",) and not value.strip():
        value = None
    if value is None:
        return {"str": "", "list": [], "json": {}}.get(kind)
    if kind in ("str", "opt", "decimal"):
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, datetime | date):
            return value.isoformat()
        return str(value)
    if kind == "int":
        if isinstance(value, bool):
            raise ValueError(_("应为整数。"))
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())
        raise ValueError(_("应为整数，实际为“%(v)s”。") % {"v": value})
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"是", "true", "1", "y", "yes", "√"}:
            return True
        if text in {"否", "false", "0", "n", "no", "×"}:
            return False
        raise ValueError(_("应填“是”或“否”，实际为“%(v)s”。") % {"v": value})
    if kind == "json":
        try:
            parsed = json.loads(str(value))
        except json.JSONDecodeError as exc:
            raise ValueError(
                _("应为 JSON 对象（{…}），第 %(c)d 个字符处有误：%(e)s。") % {"c": exc.pos + 1, "e": exc.msg}
            ) from None
        if not isinstance(parsed, dict):
            raise ValueError(_("应为 JSON 对象（{…}），或留空使用默认申请表。"))
        return parsed
    if kind == "list":
        if isinstance(value, int | float):
            return [str(int(value))]
        return [part.strip() for part in str(value).replace("、", "|").split("|") if part.strip()]
    if kind == "date":
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        return str(value).strip()
    raise AssertionError(kind)


def _read_sheet(workbook: Any, key: str, report: ImportReport) -> list[tuple[str, dict[str, Any]]]:
    title, columns = SHEETS[key]
    by_key = {c.key: c for c in columns}
    rows = workbook[title].iter_rows(values_only=True)
    next(rows, None)  # Chinese headers
    field_row = next(rows, None) or ()
    keys = [str(k).strip() if k is not None else "" for k in field_row]
    for index, name in enumerate(keys):
        if name and name not in by_key:
            report.error(f"{title} 第2行第{index + 1}列", _("未知的字段名“%(k)s”。") % {"k": name})
    if columns[0].key not in keys:
        report.error(
            f"{title} 第2行",
            _("缺少“%(k)s”列；第2行是字段名行，请勿删除或修改。") % {"k": columns[0].key},
        )
    out = []
    for number, row in enumerate(rows, start=3):
        if row is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        values: dict[str, Any] = {}
        for index, name in enumerate(keys):
            column = by_key.get(name)
            if column is None:
                continue
            raw = row[index] if index < len(row) else None
            try:
                values[name] = _read_value(column.kind, raw)
            except ValueError as exc:
                report.error(f"{title} 第{number}行 {name}（{column.header}）", str(exc))
        out.append((f"{title} 第{number}行", values))
    return out


def import_xlsx(data: bytes) -> dict[str, Any]:
    """Read a workbook made by export_xlsx (or filled in from one) back into a document."""
    from openpyxl import load_workbook

    _check_xlsx_bytes(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken parts of the archive
        raise ExchangeError(_("无法读取 Excel 文件：%(e)s") % {"e": exc}) from None
    try:
        subject = workbook.properties.subject or ""
        if subject.startswith("yiwang.catalog/") and subject != FORMAT:
            raise ExchangeError(
                _("工作簿格式为 %(s)s，本系统读取 %(f)s；请重新导出模板。") % {"s": subject, "f": FORMAT}
            )
        missing = [title for title, _cols in SHEETS.values() if title not in workbook.sheetnames]
        if missing:
            raise ExchangeError(
                _("工作簿缺少这些工作表：%(names)s。请使用“导出”得到的模板（共 %(n)d 个工作表）。")
                % {"names": "、".join(missing), "n": len(SHEETS)}
            )
        report = ImportReport()
        sheets = {key: _read_sheet(workbook, key, report) for key in SHEETS}
    finally:
        workbook.close()

    doc: dict[str, Any] = {"format": FORMAT}
    for key in ("organisations", "themes", "basic_items", "bundles"):
        doc[key] = [values for _where, values in sheets[key]]
    entries: list[dict[str, Any]] = []
    by_code: dict[str, list[dict[str, Any]]] = {}
    for _where, values in sheets["implementations"]:
        entry: dict[str, Any] = {k: values.get(k) for k in IMPLEMENTATION_KEYS}
        if values.get("reason") is not None or entry["status"] == "withdrawn":
            entry["reason"] = values.get("reason") or ""
        guide: dict[str, Any] = {k: v for k, v in values.items() if k in GUIDE_COLUMN_KEYS}
        guide.update({key: [] for key in PART_KEYS})
        entry["guide"] = guide
        entries.append(entry)
        by_code.setdefault(entry["implementation_code"] or "", []).append(entry)
    for key in PART_KEYS:
        for where, values in sheets[key]:
            code = values.pop("implementation_code", "")
            status = values.pop("status", None)
            candidates = [e for e in by_code.get(code, []) if status in (None, e["status"])]
            if len(candidates) != 1:
                report.error(
                    where,
                    _("实施编码 %(code)s%(s)s 在“实施清单”表中%(why)s。")
                    % {
                        "code": code,
                        "s": f"（{status}）" if status else "",
                        "why": _("找不到") if not candidates else _("出现多次，请填写“指南状态”列区分"),
                    },
                )
                continue
            candidates[0]["guide"][key].append(values)
    if report.errors:
        raise ImportFailed(report)
    doc["implementations"] = entries
    return doc


def load_document_bytes(data: bytes) -> dict[str, Any]:
    """A document from uploaded bytes, recognised by content: an XLSX workbook or "yiwang.catalog/1" JSON."""
    import json

    if data.startswith(b"PK") or data[:4] == b"\xd0\xcf\x11\xe0":
        return import_xlsx(data)
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ExchangeError(
            _("无法识别文件内容：既不是 Excel 工作簿（.xlsx），也不是有效的 JSON（%(e)s）。") % {"e": exc}
        ) from None
    if not isinstance(doc, dict):
        raise ExchangeError(_('JSON 文件的最外层应为对象，并包含 "format": "%(f)s"。') % {"f": FORMAT})
    return doc
