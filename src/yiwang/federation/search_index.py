"""On the national hub, the regions' items in the portal's own search index (同源发布 → 全国一网搜索).

Every live RemoteImplementation is one search document, keyed by minus its id and marked with its node,
built from the guide document the node sent (name, aliases, materials, themes, FAQ, department, region,
audience, online depth). One query so ranks the hub's items and every region's together, and the portal's
filters (region, type, audience, theme, depth) apply to both alike.

Indexing runs in the transaction of the message that changed the items, batch by batch (catalogue.py),
so the index never lists an item the hub does not hold; a withdrawal removes the document. `yiwang search
reindex` rebuilds these documents with the local ones (registered below as an external catalogue).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from yiwang.catalog import codes
from yiwang.federation.models import Peer, RemoteImplementation
from yiwang.search import indexer
from yiwang.search.indexer import Source, split_aliases

FETCH_FIELDS = (
    "pk",
    "node",
    "implementation_code",
    "name",
    "region_code",
    "region_name",
    "organisation_name",
    "item_type",
    "online_depth",
    "popularity",
    "document",
)


def document_id(pk: int) -> int:
    """The search document id of a remote item (negative: local implementations own the positive ids)."""
    return -pk


def _source(row: dict[str, Any]) -> Source:
    document: dict[str, Any] = row["document"] or {}
    organisation = document.get("organisation") or {}
    objects = set(document.get("service_objects") or [])
    aliases = document.get("aliases") or ""
    return Source(
        implementation_id=document_id(row["pk"]),
        implementation_code=row["implementation_code"],
        name=row["name"],
        basic_name=str(document.get("basic_item_name") or ""),
        aliases=split_aliases(aliases if isinstance(aliases, str) else "、".join(map(str, aliases))),
        organisation_id=0,  # not one of the hub's organisations: the department filter never matches it
        organisation_name=row["organisation_name"],
        organisation_short_name=str(organisation.get("short_name") or "")[:64],
        region_code=row["region_code"],
        region_name=row["region_name"],
        item_type=row["item_type"],
        for_person=codes.ServiceObject.PERSON in objects,
        for_enterprise=bool(objects & set(codes.LEGAL_PERSON_OBJECTS)),
        online_depth=row["online_depth"],
        popularity=row["popularity"] or 0,
        materials=list(dict.fromkeys(str(m.get("name", "")) for m in document.get("materials") or [] if m)),
        themes=[
            (str(theme.get("code", "")), str(theme.get("name", "")))
            for theme in document.get("themes") or []
            if isinstance(theme, dict) and theme.get("code")
        ],
        faqs=[str(faq.get("question", "")) for faq in document.get("faqs") or [] if isinstance(faq, dict)],
        node=row["node"],
    )


def sources(document_ids: list[int]) -> list[Source]:
    """The search sources of those of these (negative) document ids that are live remote items."""
    pks = [-value for value in document_ids if value < 0]
    rows: list[Source] = []
    for start in range(0, len(pks), 500):
        chunk = pks[start : start + 500]
        rows += [
            _source(row)
            for row in RemoteImplementation.objects.filter(pk__in=chunk, withdrawn=False)
            .order_by("pk")
            .values(*FETCH_FIELDS)
        ]
    return rows


def index_remote(pks: list[int]) -> int:
    """Bring these remote items' documents in line (indexed when live, removed when withdrawn)."""
    if not pks:
        return 0
    wanted = [document_id(pk) for pk in pks]
    return indexer.index_sources(wanted, sources(wanted))


def remove_remote(pks: list[int]) -> int:
    if not pks:
        return 0
    return indexer.remove_implementations([document_id(pk) for pk in pks])


def _ranked() -> Iterator[tuple[int, str, int]]:
    rows = (
        RemoteImplementation.objects.filter(withdrawn=False)
        .order_by("-popularity", "implementation_code")
        .values_list("popularity", "implementation_code", "pk")
        .iterator(chunk_size=20_000)
    )
    for popularity, code, pk in rows:
        yield popularity, code, document_id(pk)


def _words() -> Iterable[str]:
    for name, organisation in (
        RemoteImplementation.objects.filter(withdrawn=False)
        .values_list("name", "organisation_name")
        .distinct()
        .iterator(chunk_size=20_000)
    ):
        yield name
        yield organisation


CATALOGUE = indexer.ExternalCatalogue(ranked=_ranked, fetch=sources, words=_words)


def register() -> None:
    indexer.register_external(CATALOGUE)


# -- what the portal shows for a remote result ---------------------------------------------------------------


@dataclass(frozen=True)
class PortalItem:
    """A region's item as the hub's search results list it: named with its node and region, linked to the
    hub's page of it (always served) and to its guide on the node (where it is applied for)."""

    implementation_code: str
    name: str
    organisation_name: str
    region_code: str
    region_name: str
    item_type: str
    online_depth: int | None
    for_person: bool
    for_enterprise: bool
    node: str
    node_name: str
    url: str
    node_url: str


def portal_items(document_ids: list[int]) -> dict[int, PortalItem]:
    """The live remote items among these search document ids, by document id (withdrawn ones are left out)."""
    pks = [-value for value in document_ids if value < 0]
    if not pks:
        return {}
    rows = list(RemoteImplementation.objects.filter(pk__in=pks, withdrawn=False))
    peers = {
        peer.code: peer
        for peer in Peer.objects.filter(code__in={row.node for row in rows}).only("code", "name", "base_url")
    }
    found: dict[int, PortalItem] = {}
    for row in rows:
        peer = peers.get(row.node)
        objects = set((row.document or {}).get("service_objects") or [])
        guide_path = reverse("web:guide", args=[row.implementation_code])
        found[document_id(row.pk)] = PortalItem(
            implementation_code=row.implementation_code,
            name=row.name,
            organisation_name=row.organisation_name,
            region_code=row.region_code,
            region_name=row.region_name,
            item_type=row.item_type,
            online_depth=row.online_depth,
            for_person=codes.ServiceObject.PERSON in objects,
            for_enterprise=bool(objects & set(codes.LEGAL_PERSON_OBJECTS)),
            node=row.node,
            node_name=peer.name if peer else row.node,
            url=reverse("federation:item", args=[row.implementation_code]),
            node_url=peer.base_url.rstrip("/") + guide_path if peer and peer.base_url else "",
        )
    return found
