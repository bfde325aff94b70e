"""The demo catalogue of 浙江省 as a catalogue exchange document (format "yiwang.catalog/1").

`build_document()` returns the whole document as a JSON-serialisable dict; `catalog.exchange.import_document`
turns it into rows. The data lives in the sibling modules (organisations, themes, items_*, drafts, bundles);
README.md says what is real and what is invented.
"""

from __future__ import annotations

import copy
from typing import Any

from yiwang.catalog.demo import (
    items_civil,
    items_construction,
    items_market,
    items_police,
    items_services,
    items_social,
)
from yiwang.catalog.demo.bundles import BUNDLES
from yiwang.catalog.demo.drafts import DRAFTS
from yiwang.catalog.demo.guides import build_guide, implementation_code, phones, popularity, uscc_of
from yiwang.catalog.demo.organisations import ORG_BY_KEY, ORGANISATIONS
from yiwang.catalog.demo.spec import Item, Parent
from yiwang.catalog.demo.themes import THEMES

FORMAT = "yiwang.catalog/1"
PROVINCE_CODE = "330000"

ALL_ITEMS: tuple[Item | Parent, ...] = (
    *items_police.ITEMS,
    *items_civil.ITEMS,
    *items_social.ITEMS,
    *items_market.ITEMS,
    *items_construction.ITEMS,
    *items_services.ITEMS,
)
ITEMS_BY_CODE = {entry.code: entry for entry in ALL_ITEMS}

__all__ = ["FORMAT", "PROVINCE_CODE", "build_document"]


def _organisations() -> list[dict[str, Any]]:
    return [
        {
            "uscc": uscc_of(org),
            "name": org.name,
            "short_name": org.short_name,
            "region_code": org.region,
            "kind": org.kind,
            "parent_uscc": uscc_of(ORG_BY_KEY[org.parent]) if org.parent else None,
            "address": org.address,
            "phone": phones(org)[0],
        }
        for org in ORGANISATIONS
    ]


def _themes() -> list[dict[str, Any]]:
    return [
        {"code": code, "name": name, "audience": audience, "order": order, "description": description}
        for order, (code, name, audience, description) in enumerate(THEMES, start=1)
    ]


def _basic_items() -> list[dict[str, Any]]:
    rows = []
    for entry in sorted(ALL_ITEMS, key=lambda entry: entry.code):
        rows.append(
            {
                "basic_code": entry.code,
                "name": entry.name,
                "item_type": entry.item_type,
                "parent_code": entry.parent if isinstance(entry, Item) else None,
                "legal_basis": entry.basis,
                "competent_department": entry.dept,
                "is_national": entry.national,
            }
        )
    return rows


def _implementation(item: Item, org_key: str, status: str) -> dict[str, Any]:
    org = ORG_BY_KEY[org_key]
    code = implementation_code(org, item.code)
    return {
        "implementation_code": code,
        "basic_code": item.code,
        "organisation_uscc": uscc_of(org),
        "region_code": org.region,
        "popularity": popularity(item, org),
        "status": status,
        "expected_findings": [],
        "guide": build_guide(item, org, code),
    }


def _implementations() -> list[dict[str, Any]]:
    """The flawed drafts first (so the demo's first departments have drafts to fix), then the published."""
    drafts = []
    for draft in DRAFTS:
        item = ITEMS_BY_CODE[draft.basic_code]
        assert isinstance(item, Item)
        row = _implementation(item, draft.org_key, "draft")
        guide = copy.deepcopy(row["guide"])
        draft.inject(guide)
        guide["change_note"] = f"演示：故意缺陷（{draft.rule}）"
        row["guide"] = guide
        row["expected_findings"] = [draft.rule]
        drafts.append(row)
    published = [
        _implementation(entry, org_key, "published")
        for entry in ALL_ITEMS
        if isinstance(entry, Item)
        for org_key in entry.by
    ]
    return drafts + published


def _bundles() -> list[dict[str, Any]]:
    return [
        {
            "code": bundle.code,
            "name": bundle.name,
            "description": bundle.description,
            "audience": bundle.audience,
            "lead_organisation_uscc": uscc_of(ORG_BY_KEY[bundle.lead]),
            "region_code": bundle.region,
            "themes": list(bundle.themes),
            "promised_limit": bundle.promised_limit,
            "status": "published",
            "members": [implementation_code(ORG_BY_KEY[org], code) for code, org in bundle.members],
        }
        for bundle in BUNDLES
    ]


def build_document() -> dict[str, Any]:
    """The complete demo catalogue. Deterministic: every call returns an equal, independent dict."""
    return {
        "format": FORMAT,
        "generated_by": "yiwang demo",
        "organisations": _organisations(),
        "themes": _themes(),
        "basic_items": _basic_items(),
        "implementations": _implementations(),
        "bundles": _bundles(),
    }
