"""同源发布: a regional node pushes what it publishes to the hub; the hub keeps every region's items.

On a node, the catalogue's `catalog.published` / `catalog.withdrawn` events (after commit) put a message
in the outbox; `sync_all` enqueues the whole published catalogue in batches (first connection, or after
bulk generation, which publishes no events). On the hub, the handlers upsert or withdraw the entries;
an older version never overwrites a newer one, so reordered deliveries converge.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.db import transaction

from yiwang.federation import identity, inbox, outbox
from yiwang.federation.models import Peer, RemoteImplementation

BATCH = 200


def _document(implementation_id: int | str) -> dict[str, Any] | None:
    from yiwang.catalog.selectors import published_document

    found = published_document(str(implementation_id))
    if found is None or found[1] is None:
        return None
    document: dict[str, Any] = json.loads(found[1])
    return document


def _entry(document: dict[str, Any]) -> dict[str, Any]:
    """The compact form a message carries: the fields the hub lists by, plus the whole guide."""
    return {
        "implementation_code": document["implementation_code"],
        "basic_code": document.get("basic_code", ""),
        "name": document.get("name", ""),
        "region": document.get("region", {}),
        "organisation": (document.get("organisation") or {}).get("name", ""),
        "item_type": document.get("item_type", ""),
        "online_depth": document.get("online_depth"),
        "version": document.get("version", 0),
        "published_at": document.get("published_at") or "",
        "document": document,
    }


def on_published(event: str, payload: dict[str, Any]) -> None:
    if not identity.enabled() or identity.local_node().is_hub:
        return
    hub = outbox.hub()
    document = _document(payload["implementation_id"])
    if hub is None or document is None:
        return
    with transaction.atomic():
        outbox.enqueue(hub, "catalog.upsert", {"items": [_entry(document)]})


def on_withdrawn(event: str, payload: dict[str, Any]) -> None:
    if not identity.enabled() or identity.local_node().is_hub:
        return
    hub = outbox.hub()
    if hub is None:
        return
    from yiwang.catalog.models import Implementation

    code = (
        Implementation.objects.filter(pk=payload["implementation_id"])
        .values_list("implementation_code", flat=True)
        .first()
    )
    if code:
        with transaction.atomic():
            outbox.enqueue(hub, "catalog.withdraw", {"codes": [code]})


def _published_ids() -> Iterator[list[int]]:
    from yiwang.catalog.selectors import published_implementations

    batch: list[int] = []
    for pk in (
        published_implementations().order_by("pk").values_list("pk", flat=True).iterator(chunk_size=2000)
    ):
        batch.append(pk)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def sync_all(progress: Callable[[int], Any] | None = None) -> int:
    """Enqueue every published item for the hub, BATCH items a message. Returns the number of items."""
    hub = outbox.hub()
    if hub is None:
        raise ValueError("尚未登记国家枢纽节点：请先运行 yiwang federation add-peer 登记枢纽。")
    total = 0
    for ids in _published_ids():
        entries = [_entry(doc) for doc in (_document(pk) for pk in ids) if doc is not None]
        with transaction.atomic():
            outbox.enqueue(hub, "catalog.upsert", {"items": entries})
        total += len(entries)
        if progress:
            progress(len(ids))
    return total


def _upsert(peer: Peer, entry: dict[str, Any]) -> str:
    code = str(entry["implementation_code"])
    region = entry.get("region") or {}
    region_code = str(region.get("code", ""))
    if not region_code.startswith(_prefix(peer.code)):
        return "refused"  # a node speaks only for its own regions
    existing = RemoteImplementation.objects.select_for_update().filter(implementation_code=code).first()
    version = int(entry.get("version") or 0)
    if existing is not None and existing.node != peer.code:
        return "refused"
    if existing is not None and existing.version > version:
        return "stale"
    fields = {
        "node": peer.code,
        "basic_code": str(entry.get("basic_code", ""))[:32],
        "name": str(entry.get("name", ""))[:200],
        "region_code": region_code,
        "region_name": str(region.get("name", ""))[:100],
        "organisation_name": str(entry.get("organisation", ""))[:128],
        "item_type": str(entry.get("item_type", ""))[:2],
        "online_depth": entry.get("online_depth"),
        "version": version,
        "published_at": str(entry.get("published_at", ""))[:32],
        "document": entry.get("document") or {},
        "withdrawn": False,
    }
    RemoteImplementation.objects.update_or_create(implementation_code=code, defaults=fields)
    return "saved"


def _prefix(code: str) -> str:
    """The region prefix a node covers: 330000 → 33, 330100 → 3301, 330106 → 330106."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


@inbox.handles("catalog.upsert")
def receive_upsert(peer: Peer, payload: dict[str, Any]) -> dict[str, Any]:
    outcomes: dict[str, int] = {}
    for entry in payload.get("items", []):
        outcome = _upsert(peer, entry)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


@inbox.handles("catalog.withdraw")
def receive_withdraw(peer: Peer, payload: dict[str, Any]) -> dict[str, Any]:
    codes: Iterable[str] = [str(code) for code in payload.get("codes", [])]
    changed = RemoteImplementation.objects.filter(node=peer.code, implementation_code__in=list(codes)).update(
        withdrawn=True
    )
    return {"withdrawn": changed}
