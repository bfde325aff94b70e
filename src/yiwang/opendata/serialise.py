"""CKAN-shaped dictionaries of datasets, resources, organisations and groups, and the stored JSON
document of each published dataset.

A published dataset keeps its package dict as JSON text (`Dataset.document`), rebuilt whenever it
changes, with the site's address left as a placeholder; package_show and package_search splice these
documents into the response instead of rebuilding a thousand dictionaries per request.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from yiwang.core.models import Organisation
from yiwang.opendata import licenses
from yiwang.opendata.models import Dataset, DatasetStatus, Resource, Theme

PLACEHOLDER = "\u0000base\u0000"  # never occurs in real text; replaced by the site's address when served


class RawJSON(str):
    """JSON text to be placed into the response as it is."""


def org_name(organisation: Organisation) -> str:
    """The organisation's CKAN name: URL-safe and stable — its USCC in lower case."""
    return organisation.uscc.lower()


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.replace(tzinfo=None).isoformat() if hasattr(value, "tzinfo") else value.isoformat()


def site_url(request: HttpRequest) -> str:
    configured = getattr(settings, "YIWANG_SITE_URL", "")
    return configured.rstrip("/") if configured else request.build_absolute_uri("/").rstrip("/")


def resource_url(resource: Resource, base: str) -> str:
    if resource.url:
        return resource.url if resource.url.startswith("http") else base + resource.url
    return f"{base}/opendata/datasets/{resource.dataset.name}/resources/{resource.uid}/download"


def resource_dict(resource: Resource, base: str) -> dict[str, Any]:
    return {
        "id": str(resource.uid),
        "package_id": str(resource.dataset.uid),
        "name": resource.name,
        "description": resource.description,
        "format": resource.format,
        "url": resource_url(resource, base),
        "url_type": "upload" if resource.file else None,
        "size": resource.size,
        "hash": f"sha256:{resource.sha256}" if resource.sha256 else "",
        "sm3": resource.sm3,
        "mimetype": resource.mimetype or None,
        "position": resource.position,
        "created": _iso(resource.created_at),
        "last_modified": _iso(resource.modified_at),
        "metadata_modified": _iso(resource.modified_at),
        "state": "active",
        "datastore_active": False,
        "row_count": resource.row_count,
        "columns": resource.columns,
    }


def organization_dict(organisation: Organisation, *, package_count: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": org_name(organisation),
        "name": org_name(organisation),
        "title": organisation.name,
        "display_name": organisation.name,
        "description": organisation.address,
        "image_url": "",
        "is_organization": True,
        "type": "organization",
        "state": "active" if organisation.is_active else "deleted",
        "approval_status": "approved",
        "uscc": organisation.uscc,
        "region_code": organisation.region_id,
    }
    if package_count is not None:
        data["package_count"] = package_count
    return data


def group_dict(theme: Theme, *, package_count: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(theme.uid),
        "name": theme.name,
        "title": theme.title,
        "display_name": theme.title,
        "description": theme.description,
        "image_url": "",
        "is_organization": False,
        "type": "group",
        "state": "active",
        "approval_status": "approved",
        "created": _iso(theme.created_at),
    }
    if package_count is not None:
        data["package_count"] = package_count
    return data


STATE: dict[str, str] = {
    DatasetStatus.PUBLISHED: "active",
    DatasetStatus.DRAFT: "draft",
    DatasetStatus.WITHDRAWN: "deleted",
}


def package_dict(dataset: Dataset, base: str) -> dict[str, Any]:
    licence = licenses.BY_ID.get(dataset.license_id)
    resources = [resource_dict(r, base) for r in dataset.resources.all()]
    tags = [{"name": tag, "display_name": tag, "state": "active"} for tag in dataset.tags]
    extras = [
        {"key": "update_frequency", "value": dataset.update_frequency},
        {"key": "temporal_start", "value": _iso(dataset.temporal_start) or ""},
        {"key": "temporal_end", "value": _iso(dataset.temporal_end) or ""},
        {"key": "spatial_code", "value": dataset.spatial_id or ""},
        {
            "key": "spatial_name",
            "value": dataset.spatial.name if dataset.spatial_id and dataset.spatial else "",
        },
    ]
    return {
        "id": str(dataset.uid),
        "name": dataset.name,
        "title": dataset.title,
        "notes": dataset.notes,
        "type": "dataset",
        "state": STATE.get(dataset.status, "draft"),
        "private": False,
        "owner_org": org_name(dataset.organisation),
        "organization": organization_dict(dataset.organisation),
        "groups": [group_dict(theme) for theme in dataset.themes.all()],
        "tags": tags,
        "num_tags": len(tags),
        "resources": resources,
        "num_resources": len(resources),
        "license_id": dataset.license_id,
        "license_title": str(licence.title) if licence else dataset.license_id,
        "license_url": (base + licence.url if licence.url.startswith("/") else licence.url)
        if licence
        else "",
        "isopen": bool(licence and licence.od_conformance == "approved"),
        "metadata_created": _iso(dataset.created_at),
        "metadata_modified": _iso(dataset.modified_at),
        "version": str(dataset.version),
        "url": f"{base}/opendata/datasets/{dataset.name}",
        "extras": extras,
        "frequency": dataset.update_frequency,
        "system_published": bool(dataset.system_key),
    }


def document_for(dataset: Dataset) -> str:
    """The stored JSON document of a dataset (site address as a placeholder)."""
    return json.dumps(package_dict(dataset, PLACEHOLDER), ensure_ascii=False, separators=(",", ":"))


def _with_base(document: str, base: str) -> str:
    return document.replace(json.dumps(PLACEHOLDER)[1:-1], json.dumps(base, ensure_ascii=False)[1:-1])


def package_json(dataset: Dataset, base: str) -> RawJSON:
    if dataset.status == DatasetStatus.PUBLISHED and dataset.document:
        return RawJSON(_with_base(dataset.document, base))
    return RawJSON(json.dumps(package_dict(dataset, base), ensure_ascii=False))


def documents_with_base(documents: list[str], base: str) -> str:
    # One replacement over the joined text instead of one per document (rows=1000).
    return _with_base("[" + ",".join(documents) + "]", base)
