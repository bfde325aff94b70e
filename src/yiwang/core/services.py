"""Writes to the core registries: loading regions, registering and updating organisations.

Each operation runs in one transaction and leaves an audit row (core.audit.record).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from yiwang.core import audit, validators
from yiwang.core.crypto import sm3_hex
from yiwang.core.models import Organisation, OrganisationKind, Region, RegionLevel

REGIONS_CSV = Path(__file__).resolve().parent / "data" / "regions.csv"
REGION_COLUMNS = ["code", "name", "level", "parent_code"]
LEVEL_ORDER = {RegionLevel.PROVINCE: 0, RegionLevel.PREFECTURE: 1, RegionLevel.COUNTY: 2}


# --- Regions ----------------------------------------------------------------------------------------------


class RegionFileError(ValueError):
    """The regions file cannot be loaded; the message lists every problem with its line number."""


@dataclass
class RegionLoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_level: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass(frozen=True)
class _RegionRow:
    code: str
    name: str
    level: str
    parent_code: str | None


def _read_region_rows(text: str, source: str) -> list[_RegionRow]:
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames != REGION_COLUMNS:
        raise RegionFileError(
            _("%(src)s 的表头应为 %(want)s，实际为 %(got)s。")
            % {"src": source, "want": ",".join(REGION_COLUMNS), "got": ",".join(reader.fieldnames or [])}
        )
    rows: list[_RegionRow] = []
    problems: list[str] = []
    seen: set[str] = set()
    for line, raw in enumerate(reader, start=2):
        code = (raw.get("code") or "").strip()
        name = (raw.get("name") or "").strip()
        level = (raw.get("level") or "").strip()
        parent = (raw.get("parent_code") or "").strip() or None
        if not validators.REGION_CODE_RE.match(code):
            problems.append(
                _("第 %(line)d 行：代码“%(code)s”不是6位行政区划代码。") % {"line": line, "code": code}
            )
            continue
        if code in seen:
            problems.append(_("第 %(line)d 行：代码 %(code)s 重复。") % {"line": line, "code": code})
        if not name:
            problems.append(_("第 %(line)d 行：名称为空。") % {"line": line})
        if level not in RegionLevel.values:
            problems.append(
                _("第 %(line)d 行：级别“%(level)s”应为 province、prefecture 或 county。")
                % {"line": line, "level": level}
            )
        if (parent is None) != (level == RegionLevel.PROVINCE):
            problems.append(_("第 %(line)d 行：只有省级区划可以没有上级代码。") % {"line": line})
        seen.add(code)
        rows.append(_RegionRow(code, name, level, parent))
    known = seen | set(Region.objects.values_list("code", flat=True))
    for row in rows:
        if row.parent_code and row.parent_code not in known:
            problems.append(
                _("代码 %(code)s 的上级 %(parent)s 既不在文件中，也不在数据库中。")
                % {"code": row.code, "parent": row.parent_code}
            )
    if problems:
        raise RegionFileError(
            _("%(src)s 无法导入：\n%(list)s") % {"src": source, "list": "\n".join(problems)}
        )
    return sorted(rows, key=lambda row: (LEVEL_ORDER[RegionLevel(row.level)], row.code))


def import_regions(path: str | Path | None = None, *, actor: Any = None) -> RegionLoadResult:
    """Upsert every region of the file (parents before children) in one transaction; idempotent.

    Regions missing from the file are kept: organisations and items may still point at them.
    """
    source = Path(path) if path else REGIONS_CSV
    try:
        text = source.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RegionFileError(
            _("无法读取行政区划文件 %(src)s：%(err)s") % {"src": source, "err": exc}
        ) from None
    result = RegionLoadResult()
    with transaction.atomic():
        rows = _read_region_rows(text, source.name)
        existing = {
            region.code: region
            for region in Region.objects.select_for_update().filter(code__in=[row.code for row in rows])
        }
        for row in rows:
            result.by_level[row.level] = result.by_level.get(row.level, 0) + 1
            region = existing.get(row.code)
            if region is None:
                Region.objects.create(
                    code=row.code, name=row.name, level=row.level, parent_id=row.parent_code
                )
                result.created += 1
            elif (region.name, region.level, region.parent_id) != (row.name, row.level, row.parent_code):
                region.name, region.level, region.parent_id = row.name, row.level, row.parent_code
                region.save(update_fields=["name", "level", "parent"])
                result.updated += 1
            else:
                result.unchanged += 1
        if result.created or result.updated:
            audit.record(
                actor=actor,
                action="regions.load",
                object_type="core.Region",
                object_id="*",
                summary=_("导入行政区划 %(src)s：新增 %(c)d，更新 %(u)d，未变 %(k)d")
                % {"src": source.name, "c": result.created, "u": result.updated, "k": result.unchanged},
                data={
                    "source": source.name,
                    "file_sm3": sm3_hex(text),
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                },
            )
    return result


def load_regions(path: str | Path | None = None, *, actor: Any = None) -> int:
    """Load the regions file (the bundled dataset by default); returns how many regions the file holds."""
    return import_regions(path, actor=actor).total


# --- Organisations ---------------------------------------------------------------------------------------

ORGANISATION_FIELDS = (
    "name",
    "short_name",
    "uscc",
    "region",
    "kind",
    "parent",
    "address",
    "phone",
    "is_active",
)


def organisation_state(org: Organisation) -> dict[str, Any]:
    return {
        "name": org.name,
        "short_name": org.short_name,
        "uscc": org.uscc,
        "uscc_warning": org.uscc_warning,
        "region": org.region_id,
        "kind": org.kind,
        "parent": org.parent_id,
        "address": org.address,
        "phone": org.phone,
        "is_active": org.is_active,
    }


def _resolve_region(value: Region | str) -> Region:
    if isinstance(value, Region):
        return value
    code = validators.validate_region_code(str(value))
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ValidationError(
            _("行政区划代码 %(code)s 不存在：请核对代码，或先运行 `yiwang regions load` 导入行政区划。")
            % {"code": code},
            code="region_unknown",
        )
    return region


def _resolve_parent(value: Organisation | int | None) -> Organisation | None:
    if value is None or isinstance(value, Organisation):
        return value
    parent = Organisation.objects.filter(pk=value).first()
    if parent is None:
        raise ValidationError(_("上级机构（编号 %(id)s）不存在。") % {"id": value}, code="parent_unknown")
    return parent


def _apply_changes(org: Organisation, changes: dict[str, Any]) -> None:
    """Validate and apply field values; collects every problem so the user can fix them all at once."""
    unknown = set(changes) - set(ORGANISATION_FIELDS)
    if unknown:
        raise TypeError(f"unknown organisation fields: {sorted(unknown)}")
    errors: dict[str, list[str]] = {}

    def check(name: str, clean: Any) -> None:
        if name not in changes:
            return
        try:
            setattr(org, name, clean(changes[name]))
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.messages)

    def clean_name(value: Any) -> str:
        text = str(value or "").strip()
        if not text:
            raise ValidationError(_("机构名称不能为空。"))
        return text

    def clean_uscc(value: Any) -> str:
        result = validators.check_uscc(str(value or ""))
        org.uscc_warning = result.warning
        return result.code

    def clean_kind(value: Any) -> str:
        if value not in OrganisationKind.values:
            raise ValidationError(
                _("机构类别“%(kind)s”无效，应为：%(choices)s。")
                % {
                    "kind": value,
                    "choices": "、".join(f"{v}（{label}）" for v, label in OrganisationKind.choices),
                }
            )
        return str(value)

    def clean_phone(value: Any) -> str:
        text = str(value or "").strip()
        return validators.validate_phone(text) if text else ""

    check("name", clean_name)
    check("short_name", lambda v: str(v or "").strip())
    check("uscc", clean_uscc)
    check("region", _resolve_region)
    check("kind", clean_kind)
    check("parent", _resolve_parent)
    check("address", lambda v: str(v or "").strip())
    check("phone", clean_phone)
    check("is_active", bool)
    if "parent" not in errors and org.parent_id is not None and org.pk is not None:
        ancestor: Organisation | None = org.parent
        while ancestor is not None:
            if ancestor.pk == org.pk:
                errors.setdefault("parent", []).append(_("上级机构不能是本机构或其下级机构。"))
                break
            ancestor = ancestor.parent
    if "uscc" not in errors and org.uscc:
        clash = Organisation.objects.filter(uscc=org.uscc).exclude(pk=org.pk).first()
        if clash is not None:
            errors.setdefault("uscc", []).append(
                _("统一社会信用代码 %(code)s 已登记为“%(name)s”，同一代码不能登记两个机构。")
                % {"code": org.uscc, "name": clash.name}
            )
    if errors:
        raise ValidationError(errors)


def _save_unique(org: Organisation) -> None:
    try:
        with transaction.atomic():
            org.save()
    except IntegrityError:  # another request registered the same USCC in the meantime
        raise ValidationError(
            {"uscc": [_("统一社会信用代码 %(code)s 刚被登记为另一个机构，请核对。") % {"code": org.uscc}]}
        ) from None


def register_organisation(
    *,
    actor: Any,
    name: str,
    uscc: str,
    region: Region | str,
    kind: str = OrganisationKind.DEPARTMENT,
    short_name: str = "",
    parent: Organisation | int | None = None,
    address: str = "",
    phone: str = "",
    is_active: bool = True,
) -> Organisation:
    """Register an implementing organisation. A USCC whose check digit fails is stored with a warning
    (Organisation.uscc_warning) rather than rejected: some legally registered pilot codes fail it."""
    org = Organisation()
    _apply_changes(
        org,
        {
            "name": name,
            "short_name": short_name,
            "uscc": uscc,
            "region": region,
            "kind": kind,
            "parent": parent,
            "address": address,
            "phone": phone,
            "is_active": is_active,
        },
    )
    with transaction.atomic():
        _save_unique(org)
        audit.record(
            actor=actor,
            action="organisation.register",
            object_type="core.Organisation",
            object_id=org.pk,
            after=organisation_state(org),
            summary=_("登记实施机构 %(name)s（%(uscc)s）") % {"name": org.name, "uscc": org.uscc},
            data={"uscc_warning": org.uscc_warning} if org.uscc_warning else None,
        )
    return org


def update_organisation(organisation: Organisation | int, *, actor: Any, **changes: Any) -> Organisation:
    """Change some fields of an organisation (row locked); no audit row when nothing actually changes."""
    pk = organisation.pk if isinstance(organisation, Organisation) else organisation
    with transaction.atomic():
        org = Organisation.objects.select_for_update().filter(pk=pk).first()
        if org is None:
            raise ValidationError(
                _("实施机构（编号 %(id)s）不存在。") % {"id": pk}, code="organisation_unknown"
            )
        before = organisation_state(org)
        _apply_changes(org, changes)
        after = organisation_state(org)
        if after == before:
            return org
        _save_unique(org)
        audit.record(
            actor=actor,
            action="organisation.update",
            object_type="core.Organisation",
            object_id=org.pk,
            before=before,
            after=after,
            summary=_("修改实施机构 %(name)s：%(fields)s")
            % {"name": org.name, "fields": "、".join(k for k in after if after[k] != before[k])},
            data={"changed": sorted(k for k in after if after[k] != before[k])},
        )
    return org
