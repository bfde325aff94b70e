"""Demo 全国一体化 for `yiwang demo load`: the demo deployment as the Zhejiang provincial node (330000), with
what such a node holds after some federation traffic — all of it made by the federation's own code paths.

- Peers: the national hub (100000) and the Jiangsu node (320000), each with an SM2 key pair made here. The
  demo plays both peers for this run: it signs their messages, and a stand-in answers for them on delivery
  after checking this node's SM2 signature as they would (`_StandIn`); nothing leaves the machine.
- 基本目录: the hub's `catalog.basic` message, signed and received through the inbox, adds national basic
  items this node has not implemented yet, so the claims page shows claimed and unclaimed items.
- 同源发布: `catalogue.sync_all` puts the published catalogue in the outbox for the hub, and the delivery
  worker sends it (delivered).
- 跨省通办: 王二级 (real-name level 2) applies online for a Jiangsu item; the forward is delivered and
  Jiangsu's status reports (filed, then approved with the date due in its calendar) arrive through the inbox.
  张三级's application for another Jiangsu item meets Jiangsu unreachable: pending, with the error and the
  next attempt on the operations page.

Idempotent: every message the peers send has a fixed id (received once), the cases are looked up by
applicant and item, and the catalogue is pushed only while nothing was pushed before. About a second.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from typing import Any, Protocol

import httpx
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from yiwang.catalog.demo.uscc import make_uscc
from yiwang.core import audit, sm2
from yiwang.core.crypto import canonical_json
from yiwang.federation import catalogue, crossprovince, identity, inbox, outbox, signing
from yiwang.federation.cross_models import CrossCase, CrossMode
from yiwang.federation.models import NodeRole, OutboxMessage, OutboxStatus, Peer

NAMESPACE = uuid.UUID("5f0c2d8e-3c1b-4d59-9a61-0d1e6a0f4a10")  # the demo's message ids derive from it
HUB = ("100000", "国家政务服务平台", NodeRole.HUB, "https://hub.demo.invalid")
JIANGSU = ("320000", "江苏省政务服务平台", NodeRole.NODE, "https://js.demo.invalid")
LOCAL_CODE = "330000"

# National basic items the hub publishes and this demo node has not implemented (unclaimed).
NATIONAL_ITEMS = [
    {
        "basic_code": "000118001000",
        "name": "出入境通行证件签发（跨省异地受理）",
        "item_type": "01",
        "parent_code": None,
        "legal_basis": "《中华人民共和国出境入境管理法》第九条",
        "competent_department": "国家移民管理局",
        "is_national": True,
    },
    {
        "basic_code": "000119001000",
        "name": "住房公积金异地转移接续",
        "item_type": "20",
        "parent_code": None,
        "legal_basis": "《住房公积金管理条例》第十六条",
        "competent_department": "住房和城乡建设部",
        "is_national": True,
    },
]

# (applicant phone, Jiangsu item code = department USCC + level + basic code, item name): the applications.
CROSS_CASES = [
    ("13800000002", make_uscc("南京市民政局", "320100") + "3" + "000109001000", "婚姻登记记录证明"),
    (
        "13800000003",
        make_uscc("南京市人力资源和社会保障局", "320100") + "3" + "000110004000",
        "社会保障卡补领",
    ),
]


class Writer(Protocol):
    def write(self, text: str, /) -> Any: ...


def _message_id(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, name))


def _ensure_peers() -> dict[str, tuple[Peer, sm2.KeyPair]]:
    """The demo's peers, each with a key pair the demo holds for this run (stored: the public half)."""
    found = {}
    for code, name, role, base_url in (HUB, JIANGSU):
        keys = sm2.generate_keypair()
        peer, created = Peer.objects.get_or_create(
            code=code,
            defaults={"name": name, "role": role, "base_url": base_url, "public_hex": keys.public_hex},
        )
        if not created and peer.base_url == base_url:
            # Only the demo's own peers (still at their demo address) get this run's key.
            Peer.objects.filter(pk=peer.pk).update(public_hex=keys.public_hex)
            peer.public_hex = keys.public_hex
        if created or peer.base_url == base_url:
            audit.record(
                actor="demo",
                action="federation.peer.register" if created else "federation.peer.update",
                object_type="federation.Peer",
                object_id=peer.pk,
                after={"code": code, "name": name, "role": role, "base_url": base_url},
                summary=f"演示：登记对端节点 {code} {name}（本次运行的密钥）",
            )
        found[code] = (peer, keys)
    return found


def _receive(peer: Peer, keys: sm2.KeyPair, kind: str, payload: dict[str, Any], name: str) -> bool:
    """A message from a peer through the real inbox (signature, replay check, once-only). True if new."""
    body = canonical_json(
        {
            "id": _message_id(name),
            "from": peer.code,
            "to": LOCAL_CODE,
            "kind": kind,
            "sent_at": timezone.now().isoformat(),
            "payload": payload,
        }
    ).encode()
    headers = signing.sign_headers(
        method="POST",
        path=outbox.INBOX_PATH,
        body=body,
        sender=peer.code,
        private_hex=keys.private_hex,
        public_hex=keys.public_hex,
    )
    return not inbox.receive(method="POST", path=outbox.INBOX_PATH, body=body, headers=headers).duplicate


class _StandIn:
    """Answers for the demo's peers on delivery: checks this node's signature as a peer does, then
    acknowledges — except for messages about `unreachable` items, whose peer fails to connect."""

    def __init__(self, *, unreachable: set[str]) -> None:
        self.unreachable = unreachable

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        if json.loads(body)["payload"].get("implementation_code") in self.unreachable:
            raise httpx.ConnectError("演示：办理地节点暂时无法连接", request=request)
        signing.verify(
            method="POST",
            path=outbox.INBOX_PATH,
            body=body,
            headers={
                name: request.headers.get(name, "")
                for name in (signing.HEADER_NODE, signing.HEADER_TIME, signing.HEADER_SIGNATURE)
            },
            public_keys=inbox.known_public_keys(),
        )
        return httpx.Response(200, json={"accepted": True, "duplicate": False, "result": {}})


def _deliver(*, unreachable: set[str]) -> outbox.DeliveryReport:
    """Send what was enqueued and never tried (a rerun finds nothing new and changes nothing)."""
    if not OutboxMessage.objects.filter(status=OutboxStatus.PENDING, attempts=0).exists():
        return outbox.DeliveryReport()
    quiet = logging.getLogger("httpx")  # its per-request lines would bury the demo's summary
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    try:
        with httpx.Client(transport=httpx.MockTransport(_StandIn(unreachable=unreachable))) as client:
            return outbox.deliver_due(client=client)
    finally:
        quiet.setLevel(level)


def _open_cross_case(phone: str, code: str, name: str) -> CrossCase | None:
    from yiwang.accounts.models import User

    person = User.objects.filter(username=phone).first()
    if person is None:
        return None
    existing = CrossCase.objects.filter(applicant=person, parts__implementation_code=code).first()
    if existing is not None:
        return None
    with transaction.atomic():
        return crossprovince.open_cross_case(
            mode=CrossMode.ONLINE,
            actor=person,
            parts=[crossprovince.PartRequest(node=JIANGSU[0], implementation_code=code, item_name=name)],
            delivery="electronic",
        )


def _report_progress(peer: Peer, keys: sm2.KeyPair, phone: str, code: str) -> int:
    """Jiangsu's status reports for the application it received: filed, then approved."""
    cross = CrossCase.objects.filter(applicant__username=phone, parts__implementation_code=code).first()
    if cross is None:
        return 0
    part = cross.parts.get(implementation_code=code)
    forwarded = OutboxMessage.objects.filter(
        kind="case.forward", payload__part=str(part.reference), status=OutboxStatus.DELIVERED
    )
    if not forwarded.exists():
        return 0  # Jiangsu has not received it, so it reports nothing
    due = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    reports = [
        {"version": 1, "status": "accepted", "status_label": "已受理", "detail": "材料齐全，已受理。"},
        {
            "version": 2,
            "status": "approved",
            "status_label": "已批准",
            "detail": "审批通过，电子证明已签发。",
        },
    ]
    received = 0
    for report in reports:
        payload = {"part": str(part.reference), "number": "JS2026000137", "decision_due": due, **report}
        received += _receive(
            peer, keys, "case.status", payload, f"status:{part.reference}:{report['version']}"
        )
    return received


def load_demo(stdout: Writer) -> None:
    node = identity.local_node()
    if node.is_hub:
        stdout.write("全国一体化演示：本部署是国家枢纽，演示数据只为地区节点准备，已跳过。")
        return
    if node.code:
        _load(stdout)
        return
    # Federation is off (no YIWANG_NODE_CODE): the demo data is made as node 330000 would make it (its
    # messages signed as 330000); run the portal with YIWANG_NODE_CODE=330000 to see it as that node.
    with override_settings(
        YIWANG_NODE_CODE=LOCAL_CODE, YIWANG_NODE_NAME="浙江省政务服务平台", YIWANG_NODE_ROLE=NodeRole.NODE
    ):
        _load(stdout)


def _load(stdout: Writer) -> None:
    started = time.monotonic()
    with transaction.atomic():
        peers = _ensure_peers()
    hub, hub_keys = peers[HUB[0]]
    jiangsu, jiangsu_keys = peers[JIANGSU[0]]
    basic_new = _receive(hub, hub_keys, "catalog.basic", {"basic_items": NATIONAL_ITEMS}, "basic:2026-demo")

    for phone, code, name in CROSS_CASES:
        _open_cross_case(phone, code, name)
    pushed = 0
    if not OutboxMessage.objects.filter(peer=hub, kind="catalog.upsert").exists():
        pushed = catalogue.sync_all()
    unreachable = {CROSS_CASES[1][1]}  # Jiangsu is down when 张三级's application is forwarded
    delivered = _deliver(unreachable=unreachable).delivered
    phone, code, _ = CROSS_CASES[0]
    reports = _report_progress(jiangsu, jiangsu_keys, phone, code)

    counts = {status: OutboxMessage.objects.filter(status=status).count() for status in OutboxStatus.values}
    stdout.write(
        "全国一体化演示：本节点 330000（浙江），已登记国家枢纽与江苏节点；"
        f"基本目录{'新收' if basic_new else '已有'}国家事项 {len(NATIONAL_ITEMS)} 项；"
        f"同源发布 {pushed} 个事项；本次送达 {delivered} 条消息、收到办理地进度 {reports} 条；"
        f"发件箱：已送达 {counts[OutboxStatus.DELIVERED]}，待投递 {counts[OutboxStatus.PENDING]}，"
        f"死信 {counts[OutboxStatus.DEAD]}；跨省通办件 {CrossCase.objects.count()} 件"
        f"（{time.monotonic() - started:.1f} 秒）。"
    )
