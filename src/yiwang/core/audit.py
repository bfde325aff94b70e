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
from django.db.models.sql import InsertQuery
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
        _append(head, entry)
        head.last_seq, head.last_hash = entry.seq, entry.hash
        _hold(head)
    return entry


def take_chain() -> None:
    """Lock this transaction's chain head now; the rows recorded later in the transaction append to it
    without reading it again. For a writer that is about to take a lock everybody queues on (the case
    number counter): the head's round trip then happens before that lock, not while holding it."""
    with transaction.atomic(savepoint=False):
        _hold(_take_head())


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
    held = _held_head()
    if held is not None and held.pk == preferred:
        return held
    head = _first_free_head(preferred)
    if head is None:  # every head is held by someone else, or (never after migrate) there are none
        ensure_heads()
        head = AuditChainHead.objects.select_for_update().get(pk=preferred)
    connection._yiwang_audit_chain = head.pk  # type: ignore[attr-defined]
    return head


def _hold(head: AuditChainHead) -> None:
    """Remember the head this transaction holds, as of its last append (we hold its row lock, so nobody
    else can move it). Validity is tied to a marker: an on-commit callback that does nothing. The commit
    or rollback of the transaction, or the rollback of the savepoint the marker was registered in (which
    may also have released the lock and undone the append), discards the marker and so the remembered
    head. One marker per savepoint level: a transaction appending many rows adds no callbacks."""
    savepoints = tuple(connection.savepoint_ids)
    held = getattr(connection, "_yiwang_audit_held", None)
    if held is not None and held[2] == savepoints and _pending(held[1]):
        marker = held[1]
    else:

        def marker() -> None:
            return None

        transaction.on_commit(marker)
    connection._yiwang_audit_held = (head, marker, savepoints)  # type: ignore[attr-defined]


def _pending(marker: Any) -> bool:
    # From the end: the marker was registered recently, so it is near the tail of the list.
    return any(entry[1] is marker for entry in reversed(connection.run_on_commit))


def _held_head() -> AuditChainHead | None:
    held = getattr(connection, "_yiwang_audit_held", None)
    if held is None:
        return None
    head, marker, _savepoints = held
    if _pending(marker):
        return AuditChainHead(pk=head.pk, last_seq=head.last_seq, last_hash=head.last_hash)
    connection._yiwang_audit_held = None  # type: ignore[attr-defined]
    return None


def _first_free_head(preferred: int) -> AuditChainHead | None:
    """SELECT … FOR UPDATE SKIP LOCKED of the preferred head, else the lowest free one. Plain SQL: the
    same statement every time, and building it through the ORM (a CASE ordering) cost more than running
    it. Databases without row locks (SQLite, one writer at a time) read the preferred head."""
    table = connection.ops.quote_name(AuditChainHead._meta.db_table)
    lock = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, last_seq, last_hash FROM {table} WHERE id <= %s "  # noqa: S608 - our table name
            f"ORDER BY CASE WHEN id = %s THEN 0 ELSE 1 END, id LIMIT 1{lock}",
            [chain_count(), preferred],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return AuditChainHead(pk=row[0], last_seq=row[1], last_hash=row[2])


def _append(head: AuditChainHead, entry: AuditEntry) -> None:
    """Insert the row and move its chain's head to it. On PostgreSQL one statement (the head's UPDATE as
    a data-modifying WITH, which always runs to completion): appending is on every state change's path,
    and the second round trip was pure waiting with the chain's lock held."""
    if connection.vendor != "postgresql":
        entry.save(force_insert=True)
        _advance_head(head, entry)
        return
    query = InsertQuery(AuditEntry)
    query.insert_values([f for f in AuditEntry._meta.concrete_fields if not f.primary_key], [entry])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [AuditEntry._meta.pk]
    ((insert_sql, params),) = compiler.as_sql()
    table = connection.ops.quote_name(AuditChainHead._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH moved AS (UPDATE {table} SET last_seq = %s, last_hash = %s WHERE id = %s) {insert_sql}",  # noqa: S608
            [entry.seq, entry.hash, head.pk, *params],
        )
        entry.pk = cursor.fetchone()[0]
    entry._state.adding = False
    entry._state.db = connection.alias


def _advance_head(head: AuditChainHead, entry: AuditEntry) -> None:
    table = connection.ops.quote_name(AuditChainHead._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_seq = %s, last_hash = %s WHERE id = %s",  # noqa: S608 - our table name
            [entry.seq, entry.hash, head.pk],
        )


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
