"""The national basic catalogue: the hub publishes it to the nodes, a node imports it (only from the
hub), and the hub reports each node's claim rate from the items the node has published."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from catalog.factories import make_basic_item
from federation.federation_factories import catalogue_entry, make_sender
from yiwang.catalog.models import BasicItem
from yiwang.federation import basic
from yiwang.federation.models import OutboxMessage, Peer

pytestmark = pytest.mark.django_db


def post(client: Client, sender: Any, kind: str, payload: dict[str, Any]) -> Any:
    body = sender.message(kind, payload)
    return client.post(
        "/federation/inbox", data=body, content_type="application/json", **sender.headers(body)
    )


def test_the_hub_publishes_the_national_basic_catalogue_to_every_node(settings: Any) -> None:
    settings.YIWANG_NODE_CODE, settings.YIWANG_NODE_ROLE = "100000", "hub"
    make_basic_item(basic_code="000101001000", name="居民身份证换领", is_national=True)
    make_basic_item(basic_code="990101001000", name="地方特色事项", is_national=False)
    for code in ("330000", "320000"):
        Peer.objects.create(
            code=code, name=code, role="node", base_url="http://127.0.0.1:9", public_hex="0" * 128
        )
    with transaction.atomic():
        assert basic.publish_basic() == 1
    messages = OutboxMessage.objects.filter(kind="catalog.basic")
    assert messages.count() == 2
    assert [item["basic_code"] for item in messages.first().payload["basic_items"]] == ["000101001000"]  # type: ignore[union-attr]


def test_a_node_imports_basic_items_only_from_the_hub(client: Client, settings: Any) -> None:
    settings.YIWANG_NODE_CODE, settings.YIWANG_NODE_ROLE = "330000", "node"
    item = {
        "basic_code": "000101001000",
        "name": "居民身份证换领",
        "item_type": "20",
        "parent_code": None,
        "legal_basis": "《中华人民共和国居民身份证法》",
        "competent_department": "公安部",
        "is_national": True,
    }
    impostor = make_sender("320000")
    refused = post(client, impostor, "catalog.basic", {"basic_items": [item]}).json()
    assert refused["result"] == {"refused": "只有国家枢纽可以发布基本目录。"}
    assert not BasicItem.objects.filter(basic_code="000101001000").exists()
    hub = make_sender("100000", role="hub")
    result = post(client, hub, "catalog.basic", {"basic_items": [item]}).json()["result"]
    assert sum(result["created"].values()) == 1
    assert BasicItem.objects.get(basic_code="000101001000").is_national
    page = client.get("/federation/claims").content.decode()
    assert "本节点已认领 0 项，共 1 项国家基本目录事项" in page


def test_claim_rates_come_from_what_each_node_published(client: Client, settings: Any) -> None:
    settings.YIWANG_NODE_CODE, settings.YIWANG_NODE_ROLE = "100000", "hub"
    for index in range(4):
        make_basic_item(basic_code=f"00010100{index}000", name=f"事项{index}", is_national=True)
    zhejiang = make_sender("330000")
    jiangsu = make_sender("320000")
    entries = [catalogue_entry(f"Z{i}") | {"basic_code": f"00010100{i}000"} for i in range(3)]
    post(client, zhejiang, "catalog.upsert", {"items": entries})
    post(
        client,
        jiangsu,
        "catalog.upsert",
        {"items": [catalogue_entry("J0", region="320100") | {"basic_code": "000101000000"}]},
    )
    post(client, zhejiang, "catalog.withdraw", {"codes": ["Z2"]})
    rates = {row.node: (row.claimed, row.national, row.rate) for row in basic.claim_rates()}
    assert rates == {"320000": (1, 4, 25.0), "330000": (2, 4, 50.0)}
    page = client.get("/federation/claims").content.decode()
    assert "50.00%" in page and "25.00%" in page
