"""`yiwang search reindex`: rebuilds the index and vocabulary in batches, with progress, and is repeatable."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from search.fixtures import ITEMS, build_catalogue
from yiwang.catalog.models import Implementation, PublicStatus
from yiwang.core.models import AuditEntry
from yiwang.search import indexer
from yiwang.search.models import SearchDocument, SearchDocumentTheme, SearchTerm
from yiwang.search.selectors import SearchRequest, search

pytestmark = pytest.mark.django_db


def test_reindex_command_rebuilds_everything_in_batches() -> None:
    catalogue = build_catalogue(ITEMS[:6])
    out, err = StringIO(), StringIO()
    call_command("search", "reindex", "--batch-size", "5", stdout=out, stderr=err)
    assert "已索引 12 个事项" in out.getvalue() and "项/秒" in out.getvalue()
    assert "12/12" in err.getvalue()  # the tqdm progress bar
    assert SearchDocument.objects.count() == 12
    assert SearchDocumentTheme.objects.count() == 14  # 出生登记 is filed under two themes
    assert SearchTerm.objects.filter(term="居民身份证申领", kind="name", doc_count=2).exists()
    assert AuditEntry.objects.filter(action="search.reindex").count() == 1
    assert search(SearchRequest(q="居住证")).results[0].name == "居住证签发"

    # Repeatable, and whatever is no longer published leaves the index.
    gone = catalogue.implementations[("居住证签发", "330212")]
    gone.public_status = PublicStatus.WITHDRAWN
    gone.save(update_fields=["public_status"])
    SearchDocument.objects.filter(pk=catalogue.implementations[("户口迁移", "330100")].pk).update(
        tok_name="陈旧"
    )
    report = indexer.reindex_all(batch_size=4)
    assert report.documents == 11 and report.per_second > 0
    assert not SearchDocument.objects.filter(pk=gone.pk).exists()
    assert search(SearchRequest(q="陈旧")).total == 0
    assert search(SearchRequest(q="户口迁移")).results[0].name == "户口迁移"


def test_reindex_rejects_a_silly_batch_size() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="batch-size"):
        call_command("search", "reindex", "--batch-size", "0", stdout=StringIO())


def test_popularity_is_synced_and_ranks_follow_at_reindex() -> None:
    catalogue = build_catalogue(ITEMS[:1])
    indexer.reindex_all()
    hangzhou = catalogue.implementations[("居民身份证申领", "330100")]
    ningbo = catalogue.implementations[("居民身份证申领", "330212")]
    assert [r.region["code"] for r in search(SearchRequest(q="居民身份证申领")).results] == [
        "330100",
        "330212",
    ]
    Implementation.objects.filter(pk=ningbo.pk).update(popularity=hangzhou.popularity + 100)
    assert indexer.sync_popularity() == 2
    assert SearchDocument.objects.get(pk=ningbo.pk).popularity == hangzhou.popularity + 100
    indexer.reindex_all()
    assert [r.region["code"] for r in search(SearchRequest(q="居民身份证申领")).results] == [
        "330212",
        "330100",
    ]


def _fulltext_shape(table: str) -> tuple[int, int]:
    """(b-trees, stored blocks) of an FTS5 index. Its structure record (block 10) is a 4-byte cookie, then
    varints: the number of levels, then of b-trees (segments)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT block FROM {table}_data WHERE id = 10")  # noqa: S608
        record = bytes(cursor.fetchone()[0])
        cursor.execute(f"SELECT count(*) FROM {table}_data")  # noqa: S608
        blocks = int(cursor.fetchone()[0])
    values: list[int] = []
    value, position = 0, 4
    while len(values) < 2:
        byte = record[position]
        position += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            values.append(value)
            value = 0
    return values[1], blocks


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 is the SQLite engine")
def test_reindex_leaves_one_btree_per_fulltext_index_and_no_dead_postings() -> None:
    build_catalogue(ITEMS[:6])
    tables = ("search_fts", "search_names_fts")
    indexer.reindex_all(batch_size=4)
    first = {table: _fulltext_shape(table) for table in tables}
    # Every row is deleted and added again under a new static rank: without a merge the old postings
    # stay behind their delete markers, in more b-trees and more blocks.
    indexer.reindex_all(batch_size=4)
    second = {table: _fulltext_shape(table) for table in tables}
    assert all(segments == 1 for segments, _ in second.values()), second
    assert second == first
    assert search(SearchRequest(q="居民身份证申领")).results[0].name == "居民身份证申领"
