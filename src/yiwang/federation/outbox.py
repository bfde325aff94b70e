"""The outbox: messages to peers, written with the change they report, delivered by a worker.

`enqueue` must run inside the transaction of the change (it refuses otherwise), so a message exists
exactly when its change does. `deliver_due` sends what is due, each message in its own short
transaction with the row locked (SKIP LOCKED on PostgreSQL: several workers share the work), marks it
delivered on a 2xx answer, and otherwise schedules the next attempt with exponential backoff and
jitter; after MAX_ATTEMPTS it becomes a dead letter, shown to operators, who can send it again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
from dataclasses import dataclass
from typing import Any

import httpx
from django.db import connection, transaction
from django.utils import timezone

from yiwang.core import audit
from yiwang.core.crypto import canonical_json
from yiwang.federation import identity, signing
from yiwang.federation.models import OutboxMessage, OutboxStatus, Peer

logger = logging.getLogger("yiwang.federation")

INBOX_PATH = "/federation/inbox"
MAX_ATTEMPTS = 25  # 5 s, 10 s, 20 s … capped at an hour: about a day of retries before a dead letter
BASE_DELAY_SECONDS = 5
MAX_DELAY_SECONDS = 3600
TIMEOUT_SECONDS = 15


class NotInTransaction(RuntimeError):
    pass


def enqueue(peer: Peer, kind: str, payload: dict[str, Any]) -> OutboxMessage:
    if connection.in_atomic_block is False:
        raise NotInTransaction("发件箱消息必须与其报告的变更写在同一个事务里。")
    return OutboxMessage.objects.create(peer=peer, kind=kind, payload=payload, next_attempt_at=timezone.now())


def hub() -> Peer | None:
    return Peer.objects.filter(role="hub", active=True).first()


def envelope(message: OutboxMessage) -> bytes:
    node = identity.local_node()
    return canonical_json(
        {
            "id": str(message.message_id),
            "from": node.code,
            "to": message.peer.code,
            "kind": message.kind,
            "sent_at": message.created_at.isoformat(),
            "payload": message.payload,
        }
    ).encode()


def backoff(attempts: int, rng: random.Random | None = None) -> dt.timedelta:
    """Delay before attempt number `attempts + 1`: doubling from 5 s, capped at an hour, ±20 % jitter."""
    delay = min(BASE_DELAY_SECONDS * 2 ** max(attempts - 1, 0), MAX_DELAY_SECONDS)
    jitter = (rng or random).uniform(0.8, 1.2)
    return dt.timedelta(seconds=delay * jitter)


@dataclass
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    dead: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"delivered": self.delivered, "retried": self.retried, "dead": self.dead}


def _post(client: httpx.Client, message: OutboxMessage, body: bytes) -> tuple[bool, str]:
    key = identity.active_key()
    node = identity.local_node()
    headers = signing.sign_headers(
        method="POST",
        path=INBOX_PATH,
        body=body,
        sender=node.code,
        private_hex=identity.private_hex(key),
        public_hex=key.public_hex,
    )
    headers["Content-Type"] = "application/json"
    try:
        response = client.post(message.peer.base_url.rstrip("/") + INBOX_PATH, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return False, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return True, ""
    return False, f"HTTP {response.status_code}: {response.text[:400]}"


def _due_ids(limit: int) -> list[int]:
    return list(
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def deliver_due(limit: int = 500, *, client: httpx.Client | None = None) -> DeliveryReport:
    report = DeliveryReport()
    own_client = client is None
    http = client or httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
    try:
        for pk in _due_ids(limit):
            with transaction.atomic():
                locked = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
                    pk=pk, status=OutboxStatus.PENDING
                )
                message = locked.select_related("peer").first()
                if message is None:
                    continue  # another worker has it, or it was delivered meanwhile
                ok, error = _post(http, message, envelope(message))
                message.attempts += 1
                if ok:
                    message.status = OutboxStatus.DELIVERED
                    message.delivered_at = timezone.now()
                    message.last_error = ""
                    report.delivered += 1
                elif message.attempts >= MAX_ATTEMPTS:
                    message.status = OutboxStatus.DEAD
                    message.last_error = error
                    report.dead += 1
                    logger.error("federation message dead", extra={"message_id": str(message.message_id)})
                else:
                    message.next_attempt_at = timezone.now() + backoff(message.attempts)
                    message.last_error = error
                    report.retried += 1
                message.save(
                    update_fields=["attempts", "status", "delivered_at", "last_error", "next_attempt_at"]
                )
    finally:
        if own_client:
            http.close()
    return report


@transaction.atomic
def retry_dead(message_ids: list[int] | None = None, *, actor: Any = None) -> int:
    """Send dead letters again (all, or the given ones), from attempt one."""
    queryset = OutboxMessage.objects.select_for_update().filter(status=OutboxStatus.DEAD)
    if message_ids is not None:
        queryset = queryset.filter(pk__in=message_ids)
    ids = list(queryset.values_list("pk", flat=True))
    OutboxMessage.objects.filter(pk__in=ids).update(
        status=OutboxStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    for pk in ids:
        audit.record(
            actor=actor,
            action="federation.outbox.retry",
            object_type="federation.OutboxMessage",
            object_id=pk,
        )
    return len(ids)


def payload_size(message: OutboxMessage) -> int:
    return len(json.dumps(message.payload, ensure_ascii=False).encode())
