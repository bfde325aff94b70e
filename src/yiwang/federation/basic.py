"""The national basic catalogue (基本目录): the hub publishes it, nodes claim (认领) it by implementing it,
and the hub reports each node's claim rate.

The hub sends its national basic items to every node (`yiwang federation publish-basic`, messages of
BATCH items); a node imports them through the catalogue's own import (same checks, one transaction).
A node claims an item when one of its published implementations refers to it; those implementations
reach the hub through 同源发布 (catalogue.py) with their basic code, so the hub computes the claim rate
from what it has received: claimed national items ÷ national items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from yiwang.federation import inbox, outbox
from yiwang.federation.models import NodeRole, Peer, RemoteImplementation

BATCH = 500


def _national_items() -> list[dict[str, Any]]:
    from yiwang.catalog.models import BasicItem

    rows = BasicItem.objects.filter(is_national=True).select_related("parent").order_by("basic_code")
    return [
        {
            "basic_code": item.basic_code,
            "name": item.name,
            "item_type": item.item_type,
            "parent_code": item.parent.basic_code if item.parent_id and item.parent else None,
            "legal_basis": item.legal_basis,
            "competent_department": item.competent_department,
            "is_national": True,
        }
        for item in rows
    ]


def publish_basic() -> int:
    """On the hub: enqueue the national basic catalogue for every node. Returns the number of items."""
    items = _national_items()
    # Parents first, so every batch imports on its own (a child's parent is in an earlier batch or its own).
    items.sort(key=lambda item: (item["parent_code"] is not None, item["basic_code"]))
    nodes = list(Peer.objects.filter(role=NodeRole.NODE, active=True))
    for start in range(0, len(items), BATCH):
        with transaction.atomic():
            for node in nodes:
                outbox.enqueue(node, "catalog.basic", {"basic_items": items[start : start + BATCH]})
    return len(items)


@inbox.handles("catalog.basic")
def receive_basic(peer: Peer, payload: dict[str, Any]) -> dict[str, Any]:
    """On a node: import the hub's basic items (only the hub may send them)."""
    if peer.role != NodeRole.HUB:
        return {"refused": "只有国家枢纽可以发布基本目录。"}
    from yiwang.catalog.exchange import FORMAT, ImportFailed, import_document

    document = {"format": FORMAT, "basic_items": payload.get("basic_items", [])}
    try:
        # The platform imports on the hub's behalf (the inbox audits who sent it).
        report = import_document(document, actor=None, publish=False)
    except ImportFailed as exc:
        return {"failed": exc.report.as_dict()}
    return report.as_dict()


@dataclass(frozen=True)
class ClaimRate:
    node: str
    name: str
    claimed: int
    national: int

    @property
    def rate(self) -> float:
        return round(self.claimed * 100 / self.national, 2) if self.national else 0.0


def claim_rates() -> list[ClaimRate]:
    """On the hub: for each node, how many national basic items it implements (has published)."""
    from yiwang.catalog.models import BasicItem

    national = set(BasicItem.objects.filter(is_national=True).values_list("basic_code", flat=True))
    claimed: dict[str, set[str]] = {}
    for node, code in (
        RemoteImplementation.objects.filter(withdrawn=False, basic_code__in=national)
        .values_list("node", "basic_code")
        .distinct()
    ):
        claimed.setdefault(node, set()).add(code)
    peers = dict(Peer.objects.filter(role=NodeRole.NODE).values_list("code", "name"))
    nodes = sorted(set(peers) | set(claimed))
    return [
        ClaimRate(node, peers.get(node, node), len(claimed.get(node, ())), len(national)) for node in nodes
    ]


def local_claims() -> dict[str, Any]:
    """On a node: the national basic items and which of them this node implements."""
    from yiwang.catalog.models import BasicItem
    from yiwang.catalog.selectors import published_implementations

    national = BasicItem.objects.filter(is_national=True)
    implemented = set(published_implementations().values_list("basic_item__basic_code", flat=True).distinct())
    rows: list[dict[str, Any]] = [
        {"basic_code": code, "name": name, "claimed": code in implemented}
        for code, name in national.order_by("basic_code").values_list("basic_code", "name")
    ]
    claimed = sum(1 for row in rows if row["claimed"])
    return {"items": rows, "claimed": claimed, "national": len(rows)}
