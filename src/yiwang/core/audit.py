"""The tamper-evident audit log: append-only rows chained by SM3.

Each row's hash covers its own fields and the previous row's hash, so editing or deleting any row breaks
every hash after it; `verify_chain` (and `yiwang audit verify`) finds the first broken row. Appends take a
row lock on the chain head, so concurrent writers queue instead of forking the chain. Call `record` inside
the transaction of the change it records: both commit, or neither does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiwang.core.crypto import canonical_json, digest, sm3_hex
from yiwang.core.models import AuditChainHead, AuditEntry

GENESIS_HASH = "0" * 64
SYSTEM_ACTOR = "system"


def _actor_fields(actor: Any) -> tuple[Any, str]:
    if actor is None or isinstance(actor, str):
        return None, actor or SYSTEM_ACTOR
    if getattr(actor, "is_authenticated", False):
        return actor, f"user:{actor.pk}:{actor.get_username()}"
    return None, SYSTEM_ACTOR


def _row_payload(entry: AuditEntry) -> str:
    return canonical_json(
        {
            "seq": entry.seq,
            "occurred_at": entry.occurred_at.isoformat(),
            "actor": entry.actor_label,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "summary": entry.summary,
            "before": entry.before_digest,
            "after": entry.after_digest,
            "data": entry.data,
            "prev": entry.prev_hash,
        }
    )


def compute_hash(entry: AuditEntry) -> str:
    return sm3_hex(_row_payload(entry))


def record(
    *,
    actor: Any,
    action: str,
    object_type: str,
    object_id: Any,
    before: Any = None,
    after: Any = None,
    summary: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one row. `before`/`after` are the object's state as JSON-able values; only digests are kept."""
    user, label = _actor_fields(actor)
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        entry = AuditEntry(
            seq=head.last_seq + 1,
            occurred_at=timezone.now(),
            actor=user,
            actor_label=label,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            summary=summary[:300],
            before_digest=digest(before),
            after_digest=digest(after),
            data=data or {},
            prev_hash=head.last_hash,
        )
        # Round-trip data through JSON so the hash covers exactly what the database will give back.
        entry.data = json.loads(canonical_json(entry.data))
        entry.hash = compute_hash(entry)
        entry.save(force_insert=True)
        AuditChainHead.objects.filter(pk=1).update(last_seq=entry.seq, last_hash=entry.hash)
    return entry


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    message: str


def verify_chain(batch_size: int = 5000) -> Iterator[ChainProblem]:
    """Walk the whole chain and yield every inconsistency: edited rows, deleted rows, a moved head."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=batch_size):
        if entry.seq != expected_seq:
            yield ChainProblem(expected_seq, f"缺少第 {expected_seq}–{entry.seq - 1} 行（已被删除）。")
        if entry.prev_hash != expected_prev:
            yield ChainProblem(entry.seq, f"第 {entry.seq} 行的前序哈希与上一行不符（上一行被篡改或删除）。")
        if compute_hash(entry) != entry.hash:
            yield ChainProblem(entry.seq, f"第 {entry.seq} 行内容与其哈希不符（该行被篡改）。")
        expected_prev = entry.hash
        expected_seq = entry.seq + 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != expected_prev):
        yield ChainProblem(head.last_seq, "审计链头与最后一行不符（末尾的行被删除）。")
