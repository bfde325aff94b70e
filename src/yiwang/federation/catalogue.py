"""同源发布: a regional node pushes what it publishes to the hub; the hub keeps every region's items.

On a node, the catalogue's `catalog.published` / `catalog.withdrawn` events (after commit) put a message
in the outbox; `sync_all` enqueues the whole published catalogue in batches (first connection, or after
bulk generation, which publishes no events), reading each batch's documents in one query. On the hub, the
handlers upsert or withdraw a batch's entries in bulk (one read of the existing rows, one insert, one
update) and bring the portal's search index in line in the same transaction (search_index); an older
version never overwrites a newer one, so reordered deliveries converge.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from yiwang.federation import identity, inbox, outbox, search_index
from yiwang.federation.models import Peer, RemoteImplementation

BATCH = 200
UPSERT_FIELDS = (
    "node",
    "basic_code",
    "name",
    "region_code",
    "region_name",
    "organisation_name",
    "item_type",
    "online_depth",
    "version",
    "popularity",
    "published_at",
    "document",
    "withdrawn",
    "updated_at",
)


def _document(implementation_id: int | str) -> dict[str, Any] | None:
    from yiwang.catalog.selectors import published_document

    found = published_document(str(implementation_id))
    if found is None or found[1] is None:
        return None
    document: dict[str, Any] = json.loads(found[1])
    return document


def _documents(ids: list[int]) -> list[tuple[dict[str, Any], int]]:
    """The published documents (and popularity) of these implementations, in one query."""
    from yiwang.catalog.selectors import published_implementations

    rows = (
        published_implementations()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("popularity", Cast("published_version__snapshot", TextField()))
    )
    return [(json.loads(text), popularity or 0) for popularity, text in rows if text]


def _popularity(implementation_id: int | str) -> int:
    from yiwang.catalog.models import Implementation

    value = Implementation.objects.filter(pk=implementation_id).values_list("popularity", flat=True).first()
    return int(value or 0)


def _entry(document: dict[str, Any], popularity: int = 0) -> dict[str, Any]:
    """The compact form a message carries: the fields the hub lists and ranks by, plus the whole guide."""
    return {
        "popularity": popularity,
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
        entry = _entry(document, _popularity(payload["implementation_id"]))
        outbox.enqueue(hub, "catalog.upsert", {"items": [entry]})


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
        entries = [_entry(document, popularity) for document, popularity in _documents(ids)]
        with transaction.atomic():
            outbox.enqueue(hub, "catalog.upsert", {"items": entries})
        total += len(entries)
        if progress:
            progress(len(ids))
    return total


def _fields(peer: Peer, entry: dict[str, Any], now: Any) -> dict[str, Any]:
    region = entry.get("region") or {}
    return {
        "node": peer.code,
        "basic_code": str(entry.get("basic_code", ""))[:32],
        "name": str(entry.get("name", ""))[:200],
        "region_code": str(region.get("code", "")),
        "region_name": str(region.get("name", ""))[:100],
        "organisation_name": str(entry.get("organisation", ""))[:128],
        "item_type": str(entry.get("item_type", ""))[:2],
        "online_depth": entry.get("online_depth"),
        "version": int(entry.get("version") or 0),
        "popularity": max(int(entry.get("popularity") or 0), 0),
        "published_at": str(entry.get("published_at", ""))[:32],
        "document": entry.get("document") or {},
        "withdrawn": False,
        "updated_at": now,
    }


def upsert_entries(peer: Peer, entries: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Store a node's entries: new ones inserted, newer versions over older, in bulk; and index them.

    Refused: an entry outside the node's regions, or a code another node owns. Stale: an older version
    than the hub holds. Call inside the message's transaction (the inbox opens it)."""
    now = timezone.now()
    prefix = _prefix(peer.code)
    outcomes: dict[str, int] = {}
    wanted: dict[str, dict[str, Any]] = {}
    for entry in entries:
        fields = _fields(peer, entry, now)
        code = str(entry.get("implementation_code", ""))[:40]
        if not code or not fields["region_code"].startswith(prefix):
            outcomes["refused"] = outcomes.get("refused", 0) + 1  # a node speaks only for its own regions
            continue
        if code in wanted and wanted[code]["version"] > fields["version"]:
            outcomes["stale"] = outcomes.get("stale", 0) + 1
            continue
        wanted[code] = fields
    existing: dict[str, RemoteImplementation] = {}
    codes = list(wanted)
    for start in range(0, len(codes), 500):
        for held in RemoteImplementation.objects.select_for_update().filter(
            implementation_code__in=codes[start : start + 500]
        ):
            existing[held.implementation_code] = held
    created: list[RemoteImplementation] = []
    updated: list[RemoteImplementation] = []
    for code, fields in wanted.items():
        row = existing.get(code)
        if row is not None and row.node != peer.code:
            outcome = "refused"
        elif row is not None and row.version > fields["version"]:
            outcome = "stale"
        elif row is None:
            created.append(RemoteImplementation(implementation_code=code, **fields))
            outcome = "saved"
        else:
            for name, value in fields.items():
                setattr(row, name, value)
            updated.append(row)
            outcome = "saved"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    RemoteImplementation.objects.bulk_create(created, batch_size=500)
    RemoteImplementation.objects.bulk_update(updated, UPSERT_FIELDS, batch_size=500)
    search_index.index_remote([row.pk for row in (*created, *updated)])
    return outcomes


def _prefix(code: str) -> str:
    """The region prefix a node covers: 330000 → 33, 330100 → 3301, 330106 → 330106."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


@inbox.handles("catalog.upsert")
def receive_upsert(peer: Peer, payload: dict[str, Any]) -> dict[str, Any]:
    return upsert_entries(peer, payload.get("items", []))


@inbox.handles("catalog.withdraw")
def receive_withdraw(peer: Peer, payload: dict[str, Any]) -> dict[str, Any]:
    return {"withdrawn": withdraw_codes(peer, [str(code) for code in payload.get("codes", [])])}


def withdraw_codes(peer: Peer, codes: list[str]) -> int:
    """Mark a node's items withdrawn (they leave the catalogue page and the portal's search index)."""
    pks = list(
        RemoteImplementation.objects.filter(
            node=peer.code, implementation_code__in=codes, withdrawn=False
        ).values_list("pk", flat=True)
    )
    RemoteImplementation.objects.filter(pk__in=pks).update(withdrawn=True, updated_at=timezone.now())
    search_index.remove_remote(pks)
    return len(pks)
