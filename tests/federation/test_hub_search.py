"""The national hub's portal search includes the items the regional nodes pushed (同源发布): indexed in the
same search index as the hub's own items as they arrive, gone when withdrawn, replaced by newer versions,
filtered by region, kept by a full reindex, and listed on the portal with their node and region named."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from federation.federation_factories import make_sender
from search.fixtures import ITEMS, build_catalogue
from yiwang.core.services import load_regions
from yiwang.federation import catalogue, search_index
from yiwang.federation.models import Peer, RemoteImplementation
from yiwang.search import indexer, vocabulary
from yiwang.search.models import SearchDocument
from yiwang.search.selectors import SearchRequest, search

pytestmark = pytest.mark.django_db

DOG = next(item for item in ITEMS if item.name == "养犬登记")


@pytest.fixture
def hub(settings: Any) -> Iterator[None]:
    settings.YIWANG_NODE_CODE, settings.YIWANG_NODE_ROLE = "100000", "hub"
    settings.YIWANG_REGION_CODE = "100000"
    load_regions()
    vocabulary.invalidate()
    yield
    vocabulary.invalidate()


def guide_entry(
    code: str,
    *,
    name: str,
    region: tuple[str, str] = ("330100", "杭州市"),
    version: int = 1,
    popularity: int = 0,
    materials: tuple[str, ...] = (),
    aliases: str = "",
    objects: tuple[str, ...] = ("1",),
    organisation: str = "杭州市公安局",
) -> dict[str, Any]:
    """A catalogue entry as a node's sync sends it: the listing fields plus the published guide document."""
    document = {
        "implementation_code": code,
        "name": name,
        "basic_item_name": name,
        "aliases": aliases,
        "organisation": {"name": organisation, "short_name": ""},
        "region": {"code": region[0], "name": region[1]},
        "service_objects": list(objects),
        "materials": [{"name": material} for material in materials],
        "themes": [],
        "faqs": [{"question": f"{name}要多久？", "answer": "五个工作日。"}],
        "version": version,
    }
    return {
        "implementation_code": code,
        "basic_code": "",
        "name": name,
        "region": {"code": region[0], "name": region[1]},
        "organisation": organisation,
        "item_type": "20",
        "online_depth": 4,
        "version": version,
        "popularity": popularity,
        "published_at": "2026-11-01",
        "document": document,
    }


def push(peer: Peer, *entries: dict[str, Any]) -> dict[str, int]:
    with transaction.atomic():
        return catalogue.upsert_entries(peer, list(entries))


def found(q: str, **filters: Any) -> list[tuple[str, str]]:
    page = search(SearchRequest(q=q, page_size=50, **filters))
    return [(result.implementation_code, result.node) for result in page.results]


def test_a_pushed_item_is_found_with_the_hubs_own_items_in_one_query(hub: None) -> None:
    build_catalogue((DOG,), places=("330100",))
    indexer.reindex_all()
    zhejiang = make_sender("330000").peer
    assert push(zhejiang, guide_entry("ZJ-DOG", name="养犬登记", materials=("犬只免疫证明",))) == {"saved": 1}
    results = found("养犬登记")
    assert ("ZJ-DOG", "330000") in results
    assert any(node == "" for _, node in results)  # the hub's own item, ranked in the same list
    # Materials, pinyin and FAQ of the guide the node sent are searchable like a local item's.
    assert ("ZJ-DOG", "330000") in found("犬只免疫证明")
    assert ("ZJ-DOG", "330000") in found("yangquan")


def test_withdrawal_removes_the_item_from_search(client: Client, hub: None) -> None:
    sender = make_sender("330000")
    body = sender.message("catalog.upsert", {"items": [guide_entry("ZJ-1", name="出生医学证明办理")]})
    response = client.post("/federation/inbox", body, content_type="application/json", **sender.headers(body))
    assert response.status_code == 200 and response.json()["result"] == {"saved": 1}
    assert found("出生医学证明") == [("ZJ-1", "330000")]
    body = sender.message("catalog.withdraw", {"codes": ["ZJ-1"]})
    response = client.post("/federation/inbox", body, content_type="application/json", **sender.headers(body))
    assert response.json()["result"] == {"withdrawn": 1}
    assert found("出生医学证明") == []
    assert not SearchDocument.objects.filter(node="330000").exists()
    assert RemoteImplementation.objects.get(implementation_code="ZJ-1").withdrawn


def test_a_newer_version_replaces_the_text_and_an_older_one_is_ignored(hub: None) -> None:
    zhejiang = make_sender("330000").peer
    push(zhejiang, guide_entry("ZJ-2", name="失业登记", version=2))
    assert push(zhejiang, guide_entry("ZJ-2", name="就业失业登记", version=3)) == {"saved": 1}
    assert push(zhejiang, guide_entry("ZJ-2", name="失业保险金申领", version=1)) == {"stale": 1}
    assert found("就业失业登记") == [("ZJ-2", "330000")]
    assert found("失业保险金申领") == []
    assert SearchDocument.objects.filter(node="330000").count() == 1


def test_a_node_cannot_push_outside_its_regions_or_over_another_nodes_item(hub: None) -> None:
    zhejiang, jiangsu = make_sender("330000").peer, make_sender("320000").peer
    push(jiangsu, guide_entry("JS-1", name="养犬登记", region=("320100", "南京市")))
    outcome = push(
        zhejiang,
        guide_entry("ZJ-3", name="养犬登记", region=("320100", "南京市")),  # not Zhejiang's region
        guide_entry("JS-1", name="养犬登记"),  # Jiangsu's code
        guide_entry("ZJ-4", name="养犬登记"),
    )
    assert outcome == {"refused": 2, "saved": 1}
    assert sorted(found("养犬登记")) == [("JS-1", "320000"), ("ZJ-4", "330000")]


def test_region_filters_apply_to_the_regions_items(hub: None) -> None:
    zhejiang, jiangsu = make_sender("330000").peer, make_sender("320000").peer
    push(zhejiang, guide_entry("ZJ-5", name="养犬登记"))
    push(jiangsu, guide_entry("JS-5", name="养犬登记", region=("320100", "南京市"), objects=("2",)))
    assert found("养犬登记", region="320000") == [("JS-5", "320000")]
    assert found("养犬登记", region="330100") == [("ZJ-5", "330000")]
    assert found("养犬登记", audience="enterprise") == [("JS-5", "320000")]


def test_a_full_reindex_keeps_the_regions_items_ranked_by_popularity(hub: None) -> None:
    build_catalogue((DOG,), places=("330100",))
    zhejiang = make_sender("330000").peer
    push(
        zhejiang,
        guide_entry("ZJ-LOW", name="养犬登记", popularity=1),
        guide_entry("ZJ-HIGH", name="养犬登记", popularity=10_000),
    )
    push(zhejiang, guide_entry("ZJ-GONE", name="养犬登记"))
    catalogue.withdraw_codes(zhejiang, ["ZJ-GONE"])
    report = indexer.reindex_all()
    assert report.documents == 3  # the hub's own item and the two live remote ones
    ranked = list(SearchDocument.objects.order_by("rank_id").values_list("implementation_code", flat=True))
    assert ranked[0] == "ZJ-HIGH" and ranked[-1] == "ZJ-LOW"
    assert {code for code, _ in found("养犬登记")} >= {"ZJ-HIGH", "ZJ-LOW"}
    assert indexer.sync_popularity() == 1  # local documents only: remote ones keep what the node sent


def test_the_hub_portal_lists_a_region_item_with_its_node_and_links(client: Client, hub: None) -> None:
    zhejiang = make_sender("330000", base_url="https://zwfw.zj.example").peer
    zhejiang.name = "浙江省政务服务平台"
    zhejiang.save()
    push(zhejiang, guide_entry("ZJ-6", name="养犬登记", region=("330100", "杭州市")))
    page = client.get("/search", {"q": "养犬登记"}).content.decode()
    assert "来源：浙江省政务服务平台 · 杭州市" in page
    assert 'href="/federation/catalogue/ZJ-6"' in page
    assert 'href="https://zwfw.zj.example/items/ZJ-6"' in page
    assert "ZJ-6" not in client.get("/search", {"q": "养犬登记", "region": "320000"}).content.decode()
    assert "ZJ-6" in client.get("/search", {"q": "养犬登记", "region": "330000"}).content.decode()
    catalogue.withdraw_codes(zhejiang, ["ZJ-6"])
    assert "ZJ-6" not in client.get("/search", {"q": "养犬登记"}).content.decode()


def test_portal_items_leave_out_items_withdrawn_after_ranking(hub: None) -> None:
    zhejiang = make_sender("330000").peer
    push(zhejiang, guide_entry("ZJ-7", name="养犬登记"))
    pk = RemoteImplementation.objects.get(implementation_code="ZJ-7").pk
    assert search_index.portal_items([search_index.document_id(pk)])[-pk].node_name == "节点330000"
    RemoteImplementation.objects.filter(pk=pk).update(withdrawn=True)
    assert search_index.portal_items([search_index.document_id(pk)]) == {}
