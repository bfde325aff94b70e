"""Writes to open datasets: create, edit, attach resources, publish, withdraw — each in one transaction,
guarded against races, with an audit row; and the search terms of published datasets kept in step."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts import permissions
from yiwang.accounts.models import Role
from yiwang.core import audit, events
from yiwang.core.crypto import sm3_hex
from yiwang.core.models import Organisation, Region
from yiwang.opendata import facets, licenses, tables
from yiwang.opendata.models import (
    Dataset,
    DatasetSearchRow,
    DatasetStatus,
    DatasetTerm,
    Resource,
    ResourceFormat,
    Theme,
    UpdateFrequency,
)
from yiwang.opendata.search import FACET_FIELDS, bump_generation
from yiwang.opendata.serialise import document_for, org_name

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{1,99}$")
MANAGERS = (Role.ADMIN, Role.CATALOG_EDITOR)
TERM_LENGTH = 100
SYSTEM = "system:opendata"


def max_upload_bytes() -> int:
    return int(getattr(settings, "YIWANG_OPENDATA_MAX_UPLOAD_MB", 50)) * 1_048_576


def may_manage(user: Any, organisation: Organisation) -> bool:
    return permissions.has_role(user, MANAGERS, organisation)


def _require_manager(actor: Any, organisation: Organisation) -> None:
    if actor is None or isinstance(actor, str):
        return  # the platform itself (system datasets, commands run by an operator)
    if not may_manage(actor, organisation):
        raise PermissionDenied(_("只有本机构的管理员或编辑人员可以维护本机构的开放数据。"))


@dataclass
class DatasetInput:
    name: str
    title: str
    organisation: Organisation
    license_id: str
    notes: str = ""
    themes: Sequence[str] = ()  # theme names (slugs)
    tags: Sequence[str] = ()
    update_frequency: str = UpdateFrequency.IRREGULAR
    temporal_start: Any = None
    temporal_end: Any = None
    spatial: Region | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _clean(data: DatasetInput, *, instance: Dataset | None = None) -> tuple[list[Theme], list[str]]:
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not NAME_PATTERN.match(name):
        errors["name"] = _(
            "标识只能由小写英文字母、数字、连字符和下划线组成，2–100 个字符，且以字母或数字开头。"
        )
    elif Dataset.objects.filter(name=name).exclude(pk=instance.pk if instance else 0).exists():
        errors["name"] = _("标识“%(name)s”已被其他数据集使用，请换一个。") % {"name": name}
    if not data.title.strip():
        errors["title"] = _("请填写数据集标题。")
    elif len(data.title) > 200:
        errors["title"] = _("标题不能超过 200 个字符。")
    if data.license_id not in licenses.BY_ID:
        errors["license_id"] = _("开放许可“%(id)s”不在可选范围内：可选 %(ids)s。") % {
            "id": data.license_id,
            "ids": "、".join(licenses.BY_ID),
        }
    if data.update_frequency not in UpdateFrequency.values:
        errors["update_frequency"] = _("更新频率不正确。")
    if data.temporal_start and data.temporal_end and data.temporal_start > data.temporal_end:
        errors["temporal_end"] = _("时间范围的结束日期不能早于开始日期。")
    themes = list(Theme.objects.filter(name__in=list(data.themes)))
    unknown = sorted(set(data.themes) - {theme.name for theme in themes})
    if unknown:
        errors["themes"] = _("未知主题：%(names)s。") % {"names": "、".join(unknown)}
    tags = []
    for tag in data.tags:
        tag = str(tag).strip()
        if not tag:
            continue
        if len(tag) > 50:
            errors["tags"] = _("标签“%(tag)s…”太长：每个标签不超过 50 个字符。") % {"tag": tag[:10]}
        if tag not in tags:
            tags.append(tag)
    if errors:
        raise ValidationError(errors)
    return themes, tags


@transaction.atomic
def create_dataset(data: DatasetInput, *, actor: Any, system_key: str = "") -> Dataset:
    _require_manager(actor, data.organisation)
    themes, tags = _clean(data)
    dataset = Dataset.objects.create(
        name=data.name.strip(),
        title=data.title.strip(),
        notes=data.notes.strip(),
        organisation=data.organisation,
        tags=tags,
        license_id=data.license_id,
        update_frequency=data.update_frequency,
        temporal_start=data.temporal_start,
        temporal_end=data.temporal_end,
        spatial=data.spatial,
        system_key=system_key,
    )
    dataset.themes.set(themes)
    audit.record(
        actor=actor or SYSTEM,
        action="opendata.dataset.create",
        object_type="opendata.Dataset",
        object_id=dataset.pk,
        after=_state(dataset),
        summary=dataset.title,
    )
    return dataset


@transaction.atomic
def update_dataset(dataset: Dataset, data: DatasetInput, *, actor: Any) -> Dataset:
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    _require_manager(actor, dataset.organisation)
    themes, tags = _clean(data, instance=dataset)
    before = _state(dataset)
    dataset.name = data.name.strip()
    dataset.title = data.title.strip()
    dataset.notes = data.notes.strip()
    dataset.tags = tags
    dataset.license_id = data.license_id
    dataset.update_frequency = data.update_frequency
    dataset.temporal_start = data.temporal_start
    dataset.temporal_end = data.temporal_end
    dataset.spatial = data.spatial
    dataset.version = F("version") + 1
    dataset.save()
    dataset.refresh_from_db()
    dataset.themes.set(themes)
    _after_change(dataset, actor, "opendata.dataset.update", before)
    return dataset


def _state(dataset: Dataset) -> dict[str, Any]:
    return {
        "name": dataset.name,
        "title": dataset.title,
        "status": dataset.status,
        "license_id": dataset.license_id,
        "version": dataset.version,
        "resources": [
            {"name": r.name, "format": r.format, "sha256": r.sha256, "url": r.url}
            for r in dataset.resources.all()
        ]
        if dataset.pk
        else [],
    }


def _after_change(dataset: Dataset, actor: Any, action: str, before: dict[str, Any]) -> None:
    if dataset.status == DatasetStatus.PUBLISHED:
        index_terms(dataset)
    audit.record(
        actor=actor or SYSTEM,
        action=action,
        object_type="opendata.Dataset",
        object_id=dataset.pk,
        before=before,
        after=_state(dataset),
        summary=dataset.title,
    )
    events.publish(f"opendata.{action.rsplit('.', 1)[-1]}", {"dataset_id": dataset.pk, "name": dataset.name})


def _file_name(dataset: Dataset, name: str, fmt: str) -> str:
    return f"{dataset.name}-{sm3_hex(name)[:8]}.{fmt.lower()}"


@transaction.atomic
def add_resource(
    dataset: Dataset,
    *,
    actor: Any,
    name: str,
    format: str,
    data: bytes | None = None,
    url: str = "",
    description: str = "",
    replace: Resource | None = None,
) -> Resource:
    """Attach a file (validated by its bytes) or an API endpoint (format API, with its URL)."""
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    _require_manager(actor, dataset.organisation)
    if not name.strip():
        raise ValidationError({"name": _("请填写资源名称。")})
    before = _state(dataset)
    resource = replace or Resource(dataset=dataset, position=dataset.resources.count())
    resource.name = name.strip()
    resource.description = description.strip()
    resource.format = format
    if format == ResourceFormat.API:
        if not url.strip().startswith(("https://", "http://", "/")):
            raise ValidationError({"url": _("请填写接口地址（以 https:// 开头）。")})
        resource.url = url.strip()
        resource.file = None
        resource.size = resource.row_count = None
        resource.sha256 = resource.sm3 = resource.encoding = ""
        resource.columns = []
        resource.preview = []
        resource.mimetype = "application/json"
    else:
        if data is None:
            raise ValidationError({"file": _("请选择要上传的文件。")})
        try:
            info = tables.inspect(data, format, max_bytes=max_upload_bytes())
        except ValidationError as exc:
            raise ValidationError({"file": exc.messages[0]}) from None
        resource.url = ""
        resource.size = len(data)
        resource.sha256 = hashlib.sha256(data).hexdigest()
        resource.sm3 = sm3_hex(data)
        resource.mimetype = info.mimetype
        resource.row_count = info.row_count
        resource.columns = info.columns
        resource.preview = info.preview
        resource.encoding = info.encoding
        resource.file.save(_file_name(dataset, resource.name, format), ContentFile(data), save=False)
    resource.save()
    Dataset.objects.filter(pk=dataset.pk).update(version=F("version") + 1, modified_at=timezone.now())
    dataset.refresh_from_db()
    _after_change(dataset, actor, "opendata.resource.save", before)
    return resource


@transaction.atomic
def remove_resource(resource: Resource, *, actor: Any) -> None:
    dataset = Dataset.objects.select_for_update().get(pk=resource.dataset_id)
    _require_manager(actor, dataset.organisation)
    before = _state(dataset)
    resource.delete()
    Dataset.objects.filter(pk=dataset.pk).update(version=F("version") + 1, modified_at=timezone.now())
    dataset.refresh_from_db()
    _after_change(dataset, actor, "opendata.resource.remove", before)


def _move(
    dataset: Dataset, *, actor: Any, sources: Iterable[str], target: str, action: str, reason: str
) -> Dataset:
    _require_manager(actor, dataset.organisation)
    before = _state(dataset)
    now = timezone.now()
    extra: dict[str, Any] = {"published_at": now} if target == DatasetStatus.PUBLISHED else {}
    changed = Dataset.objects.filter(pk=dataset.pk, status__in=list(sources)).update(
        status=target, modified_at=now, version=F("version") + 1, **extra
    )
    if changed != 1:
        current = Dataset.objects.filter(pk=dataset.pk).values_list("status", flat=True).first()
        raise ValidationError(
            _("数据集当前状态为“%(status)s”，不能执行此操作（可能已被他人处理，请刷新后重试）。")
            % {"status": DatasetStatus(current).label if current else _("已删除")}
        )
    dataset.refresh_from_db()
    if target == DatasetStatus.PUBLISHED:
        index_terms(dataset)
    else:
        DatasetTerm.objects.filter(dataset=dataset).delete()
        DatasetSearchRow.objects.filter(dataset=dataset).delete()
        Dataset.objects.filter(pk=dataset.pk).update(document="")
        _invalidate_facets()
    audit.record(
        actor=actor or SYSTEM,
        action=action,
        object_type="opendata.Dataset",
        object_id=dataset.pk,
        before=before,
        after=_state(dataset),
        summary=reason or dataset.title,
    )
    events.publish(
        action.replace("opendata.dataset.", "opendata."), {"dataset_id": dataset.pk, "name": dataset.name}
    )
    return dataset


@transaction.atomic
def publish(dataset: Dataset, *, actor: Any) -> Dataset:
    if not dataset.resources.exists():
        raise ValidationError(_("数据集还没有任何资源：请先上传至少一个文件或登记一个接口，再发布。"))
    return _move(
        dataset,
        actor=actor,
        sources=(DatasetStatus.DRAFT, DatasetStatus.WITHDRAWN),
        target=DatasetStatus.PUBLISHED,
        action="opendata.dataset.publish",
        reason="",
    )


@transaction.atomic
def withdraw(dataset: Dataset, *, actor: Any, reason: str) -> Dataset:
    if not reason.strip():
        raise ValidationError({"reason": _("请说明撤回的理由，理由会记入审计日志。")})
    return _move(
        dataset,
        actor=actor,
        sources=(DatasetStatus.PUBLISHED,),
        target=DatasetStatus.WITHDRAWN,
        action="opendata.dataset.withdraw",
        reason=reason.strip(),
    )


# --- search terms ---------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    from yiwang.search.segment import get_segmenter

    return [token[:TERM_LENGTH] for token in get_segmenter().index_tokens(text) if token.strip()]


def _invalidate_facets() -> None:
    # Now (a rolled-back change only costs a recount) and after commit (readers in between may have
    # cached the counts of the old state).
    bump_generation()
    transaction.on_commit(bump_generation)


def terms_of(dataset: Dataset) -> list[tuple[str, str]]:
    """The (field, value) rows that make `dataset` findable and filterable.

    Reads themes and resources through `.all()`, so a prefetched batch costs no query per dataset. The
    text pieces are segmented one by one (the segmenter splits on spaces anyway), so the pieces many
    datasets share — tags, organisation names — come from the segmenter's cache.
    """
    organisation = dataset.organisation
    rows: dict[tuple[str, str], None] = {}
    for word in _words(dataset.title):
        rows[("title", word)] = None
        rows[("text", word)] = None
    for piece in (dataset.notes, *dataset.tags, organisation.name, organisation.short_name):
        for word in _words(piece):
            rows[("text", word)] = None
    rows[("name", dataset.name)] = None
    rows[("id", str(dataset.uid))] = None
    rows[("organization", org_name(organisation))] = None
    rows[("license_id", dataset.license_id)] = None
    rows[("frequency", dataset.update_frequency)] = None
    for theme in dataset.themes.all():
        rows[("groups", theme.name)] = None
        for word in _words(theme.title):
            rows[("text", word)] = None
    for tag in dataset.tags:
        rows[("tags", tag[:TERM_LENGTH])] = None
    for resource in dataset.resources.all():
        rows[("res_format", resource.format)] = None
    if dataset.spatial_id:
        rows[("spatial", dataset.spatial_id)] = None
    return list(rows)


def _write_index(datasets: list[Dataset]) -> None:
    """Replace the terms, search rows and stored documents of published datasets (loaded with their
    organisation, spatial, themes and resources). Plain executemany: tens of thousands of rows a second."""
    if not datasets:
        return
    ids = [dataset.pk for dataset in datasets]
    term_rows: list[tuple[int, str, str]] = []
    search_rows: list[tuple[Any, ...]] = []
    documents: list[tuple[str, int]] = []
    terms_by_dataset = [(dataset, terms_of(dataset)) for dataset in datasets]
    codes = facets.codes_for(
        (name, value) for _dataset, terms in terms_by_dataset for name, value in terms if name in FACET_FIELDS
    )
    for dataset, terms in terms_by_dataset:
        term_rows += [(dataset.pk, name, value) for name, value in terms]
        coded = "".join(codes[(name, value)] for name, value in terms if name in FACET_FIELDS)
        search_rows.append(
            (dataset.pk, dataset.modified_at, dataset.created_at, dataset.name, dataset.title, coded)
        )
        documents.append((document_for(dataset), dataset.pk))
    DatasetTerm.objects.filter(dataset_id__in=ids).delete()
    DatasetSearchRow.objects.filter(dataset_id__in=ids).delete()
    terms_table, rows_table = DatasetTerm._meta.db_table, DatasetSearchRow._meta.db_table
    datasets_table = Dataset._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {terms_table} (dataset_id, field, value) VALUES (%s, %s, %s)",  # noqa: S608
            term_rows,
        )
        cursor.executemany(
            f"INSERT INTO {rows_table} (dataset_id, modified_at, created_at, name, title, facets) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (pk, _db_time(modified), _db_time(created), name, title, coded)
                for pk, modified, created, name, title, coded in search_rows
            ],
        )
        cursor.executemany(f"UPDATE {datasets_table} SET document = %s WHERE id = %s", documents)  # noqa: S608
    _invalidate_facets()


def _db_time(value: Any) -> Any:
    return DatasetSearchRow._meta.get_field("modified_at").get_db_prep_value(value, connection)


def _loaded(dataset_ids: list[int]) -> list[Dataset]:
    return list(
        Dataset.objects.filter(pk__in=dataset_ids, status=DatasetStatus.PUBLISHED)
        .select_related("organisation", "spatial")
        .prefetch_related("themes", "resources")
    )


def index_terms(dataset: Dataset) -> None:
    """Rebuild a published dataset's search terms, search row and stored JSON document."""
    _write_index(_loaded([dataset.pk]))


def index_many(dataset_ids: list[int]) -> None:
    """Terms, search rows and documents of many published datasets at once (bulk loads, reindexing)."""
    for offset in range(0, len(dataset_ids), 2000):
        _write_index(_loaded(dataset_ids[offset : offset + 2000]))


def reindex_all(progress: Any = None) -> int:
    """Rebuild every published dataset's terms (after a dictionary change, say). Returns the count."""
    ids = list(
        Dataset.objects.filter(status=DatasetStatus.PUBLISHED).order_by("pk").values_list("pk", flat=True)
    )
    for offset in range(0, len(ids), 500):
        batch = ids[offset : offset + 500]
        with transaction.atomic():
            index_many(batch)
        if progress is not None:
            progress(len(batch))
    return len(ids)
