"""Signed messages between nodes: verified, applied exactly once, refused when forged, stale or unknown;
the outbox retries with backoff, turns into dead letters and can be re-sent."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from federation.federation_factories import catalogue_entry, make_sender
from yiwang.core import sm2
from yiwang.core.models import AuditEntry
from yiwang.federation import identity, outbox
from yiwang.federation.models import OutboxMessage, OutboxStatus, Peer, ReceivedMessage, RemoteImplementation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _as_hub(settings: Any) -> None:
    settings.YIWANG_NODE_CODE = "100000"
    settings.YIWANG_NODE_ROLE = "hub"
    settings.YIWANG_NODE_NAME = "国家政务服务平台"


def post(client: Client, body: bytes, headers: dict[str, str]) -> Any:
    return client.post("/federation/inbox", data=body, content_type="application/json", **headers)


def test_a_signed_message_is_applied_once_and_a_repeat_is_acknowledged(client: Client) -> None:
    sender = make_sender()
    body = sender.message("catalog.upsert", {"items": [catalogue_entry("A1")]})
    first = post(client, body, sender.headers(body))
    assert first.status_code == 200 and first.json() == {
        "accepted": True,
        "duplicate": False,
        "result": {"saved": 1},
    }
    again = post(client, body, sender.headers(body))
    assert again.json()["duplicate"] is True
    assert (
        ReceivedMessage.objects.count() == 1 and RemoteImplementation.objects.get().name == "居民身份证换领"
    )
    assert AuditEntry.objects.filter(action="federation.received.catalog.upsert").count() == 1


def test_forged_stale_unknown_and_mismatched_messages_are_refused(client: Client, monkeypatch: Any) -> None:
    sender = make_sender()
    body = sender.message("catalog.upsert", {"items": [catalogue_entry("A1")]})
    forged = post(client, body, sender.headers(body, keys=sm2.generate_keypair()))
    assert forged.status_code == 401 and "签名验证失败" in forged.json()["detail"]
    tampered_headers = sender.headers(body)
    tampered = post(client, body.replace("居民身份证换领".encode(), "伪造事项".encode()), tampered_headers)
    assert tampered.status_code == 401
    old = sender.headers(body)
    import time as clock

    real_time = clock.time
    monkeypatch.setattr(clock, "time", lambda: real_time() + 3600)
    stale = post(client, body, old)
    monkeypatch.setattr(clock, "time", real_time)
    assert stale.status_code == 401 and "相差超过" in stale.json()["detail"]
    stranger = make_sender("320000")
    Peer.objects.filter(code="320000").update(active=False)
    refused = post(client, body, stranger.headers(body))
    assert refused.status_code == 403
    unsigned = client.post("/federation/inbox", data=body, content_type="application/json")
    assert unsigned.status_code == 403
    assert not RemoteImplementation.objects.exists()


def test_a_node_speaks_only_for_its_own_regions_and_older_versions_never_win(client: Client) -> None:
    zhejiang = make_sender("330000")
    body = zhejiang.message(
        "catalog.upsert",
        {"items": [catalogue_entry("Z1", version=3), catalogue_entry("J1", region="320100")]},
    )
    assert post(client, body, zhejiang.headers(body)).json()["result"] == {"saved": 1, "refused": 1}
    older = zhejiang.message("catalog.upsert", {"items": [catalogue_entry("Z1", version=2, name="旧名称")]})
    assert post(client, older, zhejiang.headers(older)).json()["result"] == {"stale": 1}
    assert RemoteImplementation.objects.get(implementation_code="Z1").version == 3
    jiangsu = make_sender("320000")
    steal = jiangsu.message("catalog.withdraw", {"codes": ["Z1"]})
    assert post(client, steal, jiangsu.headers(steal)).json()["result"] == {"withdrawn": 0}
    withdraw = zhejiang.message("catalog.withdraw", {"codes": ["Z1"]})
    assert post(client, withdraw, zhejiang.headers(withdraw)).json()["result"] == {"withdrawn": 1}
    page = client.get("/federation/catalogue").content.decode()
    assert "共 0 个事项" in page


def test_hub_catalogue_page_lists_and_filters(client: Client) -> None:
    sender = make_sender("330000")
    body = sender.message(
        "catalog.upsert", {"items": [catalogue_entry(f"Z{i}", name=f"事项{i}") for i in range(3)]}
    )
    response = post(client, body, sender.headers(body))
    assert response.status_code == 200, response.content.decode()
    page = client.get("/federation/catalogue", {"q": "事项1"}).content.decode()
    assert "共 1 个事项" in page
    item = client.get("/federation/catalogue/Z2").content.decode()
    assert "杭州市民中心" in item


@pytest.mark.django_db(transaction=True)
def test_outbox_writes_only_inside_the_change_transaction() -> None:
    peer = make_sender("100001", role="hub").peer
    with pytest.raises(outbox.NotInTransaction):
        outbox.enqueue(peer, "catalog.upsert", {})
    with transaction.atomic():
        outbox.enqueue(peer, "catalog.upsert", {})
    assert OutboxMessage.objects.count() == 1


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    rng = random.Random(1)
    delays = [outbox.backoff(n, rng).total_seconds() for n in (1, 2, 3, 10, 30)]
    assert 4 <= delays[0] <= 6 and 8 <= delays[1] <= 12 and 16 <= delays[2] <= 24
    assert delays[3] <= 3600 * 1.2 and delays[4] <= 3600 * 1.2 and delays[4] >= 3600 * 0.8


@pytest.mark.django_db(transaction=True)
def test_delivery_retries_until_the_peer_is_back_then_dead_letters_can_be_resent(
    live_server: Any, settings: Any
) -> None:
    # This node talks to itself over HTTP: it is registered as its own hub peer with its own key.
    settings.YIWANG_NODE_CODE = "330000"
    settings.YIWANG_NODE_ROLE = "node"
    key = identity.active_key()
    down = "http://127.0.0.1:9"  # the discard port: connection refused
    Peer.objects.create(code="330000", name="浙江", role="node", base_url=down, public_hex=key.public_hex)
    hub = Peer.objects.create(
        code="100000", name="枢纽", role="hub", base_url=down, public_hex=key.public_hex
    )
    with transaction.atomic():
        message = outbox.enqueue(hub, "catalog.upsert", {"items": [catalogue_entry("Z1")]})
    report = outbox.deliver_due()
    message.refresh_from_db()
    assert report.retried == 1 and message.attempts == 1 and message.status == OutboxStatus.PENDING
    assert message.next_attempt_at > message.created_at + dt.timedelta(seconds=3)
    assert "ConnectError" in message.last_error
    assert outbox.deliver_due().as_dict() == {"delivered": 0, "retried": 0, "dead": 0}  # not due yet
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempts=outbox.MAX_ATTEMPTS - 1, next_attempt_at=message.created_at
    )
    assert outbox.deliver_due().dead == 1
    Peer.objects.filter(pk=hub.pk).update(base_url=live_server.url)
    assert outbox.retry_dead() == 1
    delivered = outbox.deliver_due()
    message.refresh_from_db()
    assert delivered.delivered == 1, message.last_error
    assert message.status == OutboxStatus.DELIVERED and message.attempts == 1
    assert RemoteImplementation.objects.get().implementation_code == "Z1"
    # A lost answer: the sender sends the same message again; the receiver does not apply it twice.
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxStatus.PENDING, next_attempt_at=message.created_at
    )
    assert outbox.deliver_due().delivered == 1
    assert ReceivedMessage.objects.count() == 1


def test_operations_page_is_for_operators_only(client: Client, admin_user: Any) -> None:
    assert client.get("/federation/operations").status_code in (302, 403)
    client.force_login(admin_user)
    assert "对端节点" in client.get("/federation/operations").content.decode()
