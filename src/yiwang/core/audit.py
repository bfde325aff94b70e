"""The tamper-evident audit log: append-only rows chained by SM3.

Each row's hash covers its own fields and the previous row's hash in its chain, so editing or deleting any
row breaks every hash after it; `verify_chain` (and `yiwang audit verify`) finds the broken rows. Appends
take a row lock on a chain head, so two writers never fork a chain. There are several chains
(settings.YIWANG_AUDIT_CHAINS): a transaction takes whichever head no other transaction holds
(SELECT … FOR UPDATE SKIP LOCKED) and keeps it for all its rows, so concurrent writers append in
parallel instead of queueing on one row, and no transaction ever waits for a second head (no deadlock).
Call `record` inside the transaction of the change it records: both commit, or neither does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, IntegerField, Value, When
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
    # The chain number is not hashed (rows written before there were several chains stay valid): a row
    # moved to another chain breaks both chains' seq and prev-hash links anyway.
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
    # No savepoint of its own: a failed append must fail the change it records, and two round trips per
    # row (SAVEPOINT, RELEASE) were a tenth of a submission's queries.
    with transaction.atomic(savepoint=False):
        head = _take_head()
        entry = AuditEntry(
            chain=head.pk,
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
        AuditChainHead.objects.filter(pk=head.pk).update(last_seq=entry.seq, last_hash=entry.hash)
    return entry


def chain_count() -> int:
    return max(1, int(getattr(settings, "YIWANG_AUDIT_CHAINS", 16)))


def ensure_heads(using: str = "default") -> None:
    """Create the missing chain heads (run after every migrate; YIWANG_AUDIT_CHAINS may have grown)."""
    AuditChainHead.objects.using(using).bulk_create(
        [AuditChainHead(pk=pk) for pk in range(1, chain_count() + 1)], ignore_conflicts=True
    )


def _take_head() -> AuditChainHead:
    """Lock a chain head for the current transaction.

    The head this connection used last comes first: within one transaction that is the head it already
    holds (its own lock never counts as taken), so a transaction keeps to one chain; across transactions
    each connection tends to keep its own chain, so writers rarely meet. Heads other transactions hold are
    skipped. Only when every head is held does the writer wait, and then for one head only."""
    preferred = getattr(connection, "_yiwang_audit_chain", None) or 1
    order = Case(When(pk=preferred, then=Value(0)), default=Value(1), output_field=IntegerField())
    head = (
        AuditChainHead.objects.select_for_update(skip_locked=True)
        .filter(pk__lte=chain_count())
        .order_by(order, "pk")
        .first()
    )
    if head is None:  # every head is held by someone else, or (never after migrate) there are none
        ensure_heads()
        head = AuditChainHead.objects.select_for_update().get(pk=preferred)
    connection._yiwang_audit_chain = head.pk  # type: ignore[attr-defined]
    return head


@dataclass(frozen=True)
class ChainProblem:
    chain: int
    seq: int
    message: str


def verify_chain(batch_size: int = 5000) -> Iterator[ChainProblem]:
    """Walk every chain and yield every inconsistency: edited rows, deleted rows, a moved head."""
    heads = {head.pk: head for head in AuditChainHead.objects.all()}
    chain: int | None = None
    expected_prev, expected_seq = GENESIS_HASH, 1
    for entry in AuditEntry.objects.order_by("chain", "seq").iterator(chunk_size=batch_size):
        if entry.chain != chain:
            if chain is not None:
                yield from _check_head(heads.pop(chain, None), chain, expected_seq, expected_prev)
            chain, expected_prev, expected_seq = entry.chain, GENESIS_HASH, 1
        if entry.seq != expected_seq:
            yield ChainProblem(
                chain, expected_seq, f"第 {chain} 条链缺少第 {expected_seq}–{entry.seq - 1} 行（已被删除）。"
            )
        if entry.prev_hash != expected_prev:
            yield ChainProblem(
                chain,
                entry.seq,
                f"第 {chain} 条链第 {entry.seq} 行的前序哈希与上一行不符（上一行被篡改或删除）。",
            )
        if compute_hash(entry) != entry.hash:
            yield ChainProblem(
                chain, entry.seq, f"第 {chain} 条链第 {entry.seq} 行内容与其哈希不符（该行被篡改）。"
            )
        expected_prev = entry.hash
        expected_seq = entry.seq + 1
    if chain is not None:
        yield from _check_head(heads.pop(chain, None), chain, expected_seq, expected_prev)
    for head in heads.values():  # chains whose every row is gone
        yield from _check_head(head, head.pk, 1, GENESIS_HASH)


def _check_head(
    head: AuditChainHead | None, chain: int, expected_seq: int, expected_prev: str
) -> Iterator[ChainProblem]:
    if head is None:
        if expected_seq > 1:
            yield ChainProblem(chain, expected_seq - 1, f"第 {chain} 条链的链头记录缺失。")
        return
    if head.last_seq != expected_seq - 1 or head.last_hash != expected_prev:
        yield ChainProblem(chain, head.last_seq, f"第 {chain} 条链的链头与最后一行不符（末尾的行被删除）。")
