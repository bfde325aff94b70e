"""`yiwang demo load`'s federation part: the demo node holds peers, the hub's national basic items, delivered
and pending outbox messages and cross-province cases in several states — and a second run changes nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db.models import Count

from accounts.identity_factories import make_person
from yiwang.accounts.models import RealNameLevel
from yiwang.catalog.models import BasicItem
from yiwang.federation import basic, demo
from yiwang.federation.cross_models import CrossCase, CrossCasePart, PartState
from yiwang.federation.models import OutboxMessage, OutboxStatus, Peer, ReceivedMessage

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, Any]:
    return {
        "outbox": sorted(
            OutboxMessage.objects.values_list("kind", "status", "attempts").annotate(n=Count("id"))
        ),
        "received": ReceivedMessage.objects.count(),
        "cases": sorted(CrossCasePart.objects.values_list("item_name", "state", "remote_status")),
        "peers": sorted(Peer.objects.values_list("code", "role")),
        "national": BasicItem.objects.filter(is_national=True).count(),
    }


def test_the_demo_shows_federation_at_work_and_a_second_run_changes_nothing(settings: Any) -> None:
    settings.YIWANG_NODE_CODE = ""  # as in `make demo`: the demo acts as node 330000 for its own data
    make_person(level=RealNameLevel.L2, phone="13800000002", name="王二级")
    make_person(level=RealNameLevel.L3, phone="13800000003", name="张三级")
    out = io.StringIO()
    demo.load_demo(stdout=out)
    assert "全国一体化演示" in out.getvalue()

    assert sorted(Peer.objects.values_list("code", "role")) == [("100000", "hub"), ("320000", "node")]
    national = {row["basic_code"]: row["claimed"] for row in basic.local_claims()["items"]}
    assert national == {"000118001000": False, "000119001000": False}
    delivered = OutboxMessage.objects.get(kind="case.forward", status=OutboxStatus.DELIVERED)
    pending = OutboxMessage.objects.get(kind="case.forward", status=OutboxStatus.PENDING)
    assert delivered.delivered_at is not None
    assert pending.attempts == 1 and "无法连接" in pending.last_error
    approved = CrossCasePart.objects.get(item_name="婚姻登记记录证明")
    assert (approved.state, approved.remote_status, approved.remote_number) == (
        PartState.DECIDED,
        "approved",
        "JS2026000137",
    )
    assert approved.decision_due
    assert CrossCasePart.objects.get(item_name="社会保障卡补领").state == PartState.SENDING
    assert CrossCase.objects.count() == 2

    before = snapshot()
    demo.load_demo(stdout=io.StringIO())
    assert snapshot() == before


def test_the_demo_leaves_a_hub_alone(settings: Any) -> None:
    settings.YIWANG_NODE_CODE, settings.YIWANG_NODE_ROLE = "100000", "hub"
    out = io.StringIO()
    demo.load_demo(stdout=out)
    assert "国家枢纽" in out.getvalue()
    assert not Peer.objects.exists()
