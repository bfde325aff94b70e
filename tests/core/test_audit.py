"""The tamper-evident audit log: an intact chain verifies; edits and deletions anywhere are found."""

from __future__ import annotations

import itertools
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from yiwang.core import audit
from yiwang.core.models import AuditChainHead, AuditEntry, AuditLogImmutableError

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _start_on_chain_one() -> None:
    connection._yiwang_audit_chain = None  # type: ignore[attr-defined]


def write_rows(count: int) -> list[AuditEntry]:
    return [
        audit.record(
            actor=None,
            action="test.write",
            object_type="test.Thing",
            object_id=i,
            before={"n": i - 1} if i > 1 else None,
            after={"n": i, "名称": "测试"},
            summary=f"第{i}次",
            data={"i": i, "nested": {"b": 2, "a": [1, 2]}},
        )
        for i in range(1, count + 1)
    ]


def verify_command() -> tuple[str, str, CommandError | None]:
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


def test_chain_is_intact_after_several_records() -> None:
    rows = write_rows(5)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == audit.GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    assert list(audit.verify_chain()) == []
    out, _err, error = verify_command()
    assert error is None
    assert "审计链完整，共 5 行" in out


def test_empty_chain_is_intact() -> None:
    out, _err, error = verify_command()
    assert error is None
    assert "共 0 行" in out


def test_editing_a_field_through_queryset_update_is_detected() -> None:
    write_rows(4)
    AuditEntry.objects.filter(seq=2).update(summary="被改过")
    problems = list(audit.verify_chain())
    assert [p.seq for p in problems] == [2]
    assert "篡改" in problems[0].message
    _out, err, error = verify_command()
    assert error is not None and error.returncode != 0
    assert "第 1 条链第 2 行" in err


def test_editing_a_row_and_rehashing_it_breaks_the_next_link() -> None:
    rows = write_rows(3)
    forged = AuditEntry.objects.get(seq=2)
    forged.actor_label = "someone-else"
    AuditEntry.objects.filter(seq=2).update(actor_label="someone-else", hash=audit.compute_hash(forged))
    problems = list(audit.verify_chain())
    assert [p.seq for p in problems] == [3]
    assert rows[2].prev_hash != audit.compute_hash(forged)


def test_deleting_a_middle_row_is_detected() -> None:
    write_rows(5)
    AuditEntry.objects.filter(seq=3).delete()
    problems = list(audit.verify_chain())
    assert {p.seq for p in problems} == {3, 4}
    assert any("删除" in p.message for p in problems)
    _out, err, error = verify_command()
    assert error is not None
    assert "删除" in err


def test_deleting_the_last_row_is_detected() -> None:
    write_rows(3)
    AuditEntry.objects.filter(seq=3).delete()
    problems = list(audit.verify_chain())
    assert len(problems) == 1
    assert "末尾" in problems[0].message
    assert verify_command()[2] is not None


def test_rows_cannot_be_changed_or_deleted_through_the_model() -> None:
    (row,) = write_rows(1)
    row.summary = "改写"
    with pytest.raises(AuditLogImmutableError, match="只能追加"):
        row.save()
    with pytest.raises(AuditLogImmutableError, match="不能删除"):
        row.delete()
    assert AuditEntry.objects.get(seq=1).summary == "第1次"
    assert list(audit.verify_chain()) == []


def test_record_in_a_rolled_back_transaction_leaves_no_trace() -> None:
    from django.db import transaction

    write_rows(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(actor=None, action="test.lost", object_type="t", object_id=1)
        raise RuntimeError("roll back")
    assert AuditEntry.objects.count() == 1
    assert AuditChainHead.objects.get(pk=1).last_seq == 1
    write_rows(1)
    assert list(audit.verify_chain()) == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_do_not_fork_the_chain() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite's test database serialises writers, so no race can occur")
    threads_count, per_thread = 6, 15
    errors: list[BaseException] = []
    start = threading.Barrier(threads_count)

    def append(worker: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                audit.record(actor=None, action="test.race", object_type="worker", object_id=f"{worker}-{i}")
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append, args=(w,)) for w in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    total = threads_count * per_thread
    assert AuditEntry.objects.count() == total
    for chain in AuditEntry.objects.values_list("chain", flat=True).distinct():
        seqs = list(AuditEntry.objects.filter(chain=chain).order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1))
    assert AuditEntry.objects.values("chain", "prev_hash").distinct().count() == total
    assert list(audit.verify_chain()) == []


@pytest.mark.django_db(transaction=True)
def test_a_writer_skips_a_held_chain_instead_of_waiting_and_keeps_one_chain_per_transaction() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (SQLite serialises writers)")
    from django.db import transaction

    holding, release = threading.Event(), threading.Event()
    held: list[int] = []

    def hold_a_chain() -> None:
        try:
            with transaction.atomic():
                held.append(audit.record(actor=None, action="test.hold", object_type="t", object_id=0).chain)
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_a_chain)
    holder.start()
    assert holding.wait(10)
    try:
        connection._yiwang_audit_chain = held[0]  # type: ignore[attr-defined]  # prefer the held head
        with transaction.atomic():
            rows = [
                audit.record(actor=None, action="test.pass", object_type="t", object_id=i) for i in (1, 2, 3)
            ]
        assert {row.chain for row in rows} != {held[0]} and len({row.chain for row in rows}) == 1
        assert [row.seq for row in rows] == [1, 2, 3]
    finally:
        release.set()
        holder.join()
    assert list(audit.verify_chain()) == []


def test_tampering_is_found_in_every_chain() -> None:
    write_rows(2)  # chain 1
    connection._yiwang_audit_chain = 3  # type: ignore[attr-defined]
    rows = write_rows(3)
    assert {row.chain for row in rows} == {3} and [row.seq for row in rows] == [1, 2, 3]
    assert list(audit.verify_chain()) == []
    AuditEntry.objects.filter(chain=3, seq=2).update(summary="被改过")
    AuditEntry.objects.filter(chain=3, seq=3).delete()
    problems = list(audit.verify_chain())
    assert [(p.chain, p.seq) for p in problems] == [(3, 2), (3, 3)]
    assert "被篡改" in problems[0].message and "末尾" in problems[1].message


def test_a_chain_whose_every_row_was_deleted_is_found() -> None:
    connection._yiwang_audit_chain = 2  # type: ignore[attr-defined]
    write_rows(2)
    AuditEntry.objects.filter(chain=2).delete()
    problems = list(audit.verify_chain())
    assert [(p.chain, p.seq) for p in problems] == [(2, 2)]
