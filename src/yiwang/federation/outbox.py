"""The outbox: messages to peers, written with the change they report, delivered by a worker.

`enqueue` must run inside the transaction of the change (it refuses otherwise), so a message exists
exactly when its change does. `deliver_due` sends what is due: it claims each message in a short
transaction (SKIP LOCKED on PostgreSQL, and a lease on its due time, so several workers share the work),
posts it with no transaction open, and marks it delivered on a 2xx answer, and otherwise schedules the next attempt with exponential backoff and
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


LEASE_SECONDS = 120  # a claimed message is not due again for this long: one worker sends it at a time


def _claim(pk: int) -> OutboxMessage | None:
    """Take a due message for this worker: a short transaction that pushes its due time past the lease.

    The HTTP call then happens outside any transaction, so no database lock (SQLite's write lock
    included) is held while a peer answers. A worker that dies after claiming leaves the message due
    again when the lease ends: delivery is at least once, and the receiver applies each id once.
    """
    now = timezone.now()
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, status=OutboxStatus.PENDING, next_attempt_at__lte=now)
            .select_related("peer")
            .first()
        )
        if message is None:
            return None  # another worker has it, or it was delivered meanwhile
        OutboxMessage.objects.filter(pk=pk).update(next_attempt_at=now + dt.timedelta(seconds=LEASE_SECONDS))
    return message


def _record(message: OutboxMessage, ok: bool, error: str, report: DeliveryReport) -> None:
    with transaction.atomic():
        current = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        current.attempts += 1
        if ok:
            current.status = OutboxStatus.DELIVERED
            current.delivered_at = timezone.now()
            current.last_error = ""
            report.delivered += 1
        elif current.attempts >= MAX_ATTEMPTS:
            current.status = OutboxStatus.DEAD
            current.last_error = error
            report.dead += 1
            logger.error("federation message dead", extra={"message_id": str(current.message_id)})
        else:
            current.next_attempt_at = timezone.now() + backoff(current.attempts)
            current.last_error = error
            report.retried += 1
        current.save(update_fields=["attempts", "status", "delivered_at", "last_error", "next_attempt_at"])


def deliver_due(limit: int = 500, *, client: httpx.Client | None = None) -> DeliveryReport:
    report = DeliveryReport()
    own_client = client is None
    http = client or httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
    try:
        for pk in _due_ids(limit):
            message = _claim(pk)
            if message is None:
                continue
            ok, error = _post(http, message, envelope(message))
            _record(message, ok, error, report)
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
