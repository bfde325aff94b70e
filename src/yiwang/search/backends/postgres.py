"""PostgreSQL full text over pre-segmented tokens: the 'simple' configuration (no stemming, no stopwords:
the tokens are already jieba's words). A slim table, search_match (migration 0004), kept in step by a
trigger, holds each document's static rank, its filter columns, a tsvector weighted A–D over every field
and one over the name columns only, each with a GIN index. Candidates are the first matches in
static-rank order, read through those indexes; only they are scored with ts_rank, whose default weights
{0.1, 0.2, 0.4, 1.0} give name ≫ aliases/pinyin > materials/themes > organisation/FAQ.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction

from yiwang.search.backends.base import (
    CANDIDATES,
    COUNT_CAP,
    DOCUMENTS,
    POPULARITY_WEIGHT,
    Count,
    Filters,
    Hit,
    SearchBackend,
    filter_tokens,
    tier_sql,
)
from yiwang.search.query import All, AnyOf, Expr, Term


def compile_tsquery(expr: Expr, weights: str = "") -> str:
    """tsquery text: each token a quoted lexeme ('身份证', 'sfz':* for a prefix, 'x':AB for names only)."""
    if isinstance(expr, Term):
        quoted = "'" + expr.text.replace("\\", "\\\\").replace("'", "''") + "'"
        label = ("*" if expr.prefix else "") + weights
        return f"{quoted}:{label}" if label else quoted
    operator = " & " if isinstance(expr, All) else " | "
    assert isinstance(expr, All | AnyOf)
    return "(" + operator.join(compile_tsquery(part, weights) for part in expr.parts) + ")"


MATCH = "search_match"  # static rank and the two tsvectors, filter tokens included (migration 0004)


def match_query(expr: Expr, filters: Filters) -> str:
    """The tsquery of `expr` restricted by the filters' tokens (one GIN lookup does both)."""
    query = compile_tsquery(expr)
    tokens = filter_tokens(filters)
    if not tokens:
        return query
    return " & ".join([query, *(compile_tsquery(Term(token)) for token in tokens)])


@contextmanager
def _bitmap_cursor() -> Iterator[Any]:
    """A cursor whose statements read matches through the GIN indexes only (a bitmap scan, then a top-N
    sort). Left alone, the planner misjudges how many rows an OR/prefix tsquery matches and walks the rank
    index instead, detoasting and testing one tsvector per row: 17,000 rows for 300 matches at 20,000
    items. The bitmap costs what the matches cost (filters included, as tokens), and a match costs about
    a hundredth of a page in the slim match table."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
        yield cursor


class PostgresBackend(SearchBackend):
    vendor = "postgresql"

    def count(self, expr: Expr | None, filters: Filters) -> Count:
        if expr is None:
            return self.count_all(filters)
        sql = (
            f"SELECT count(*) FROM (SELECT 1 FROM {MATCH} m "  # noqa: S608
            "WHERE m.tsv @@ to_tsquery('simple', %s) LIMIT %s) AS capped"
        )
        with _bitmap_cursor() as cursor:
            cursor.execute(sql, [match_query(expr, filters), COUNT_CAP + 1])
            value = int(cursor.fetchone()[0])
        return Count(min(value, COUNT_CAP), value <= COUNT_CAP)

    def rank(
        self,
        expr: Expr | None,
        groups: list[Expr],
        filters: Filters,
        phrases: tuple[str, ...],
        *,
        offset: int,
        limit: int,
    ) -> list[Hit]:
        if expr is None:
            return self.browse(filters, offset=offset, limit=limit)
        size = max(CANDIDATES, offset + limit)
        query = compile_tsquery(expr)
        restricted = match_query(expr, filters)
        # The first matches anywhere and the first in names, in one round trip.
        first = (
            f"(SELECT m.rank_id FROM {MATCH} m WHERE m.{{column}} @@ to_tsquery('simple', %s) "  # noqa: S608
            "ORDER BY m.rank_id LIMIT %s)"
        )
        with _bitmap_cursor() as cursor:
            cursor.execute(
                f"{first.format(column='tsv')} UNION {first.format(column='tsv_names')}",
                [restricted, size, restricted, size],
            )
            candidates = {int(row[0]) for row in cursor.fetchall()}
        candidates.update(self._exact_head(phrases, filters, size))
        if not candidates:
            return []
        tier, tier_params = tier_sql(phrases, "strpos")
        params: list[Any] = [*tier_params, query, sorted(candidates), limit, offset]
        # PostgreSQL orders by an output column only when it is named bare, hence the outer query.
        sql = (
            "SELECT implementation_id, tier, relevance FROM ("  # noqa: S608
            f"SELECT d.implementation_id, d.rank_id, {tier} AS tier, "
            f"ts_rank(m.tsv, q.query)::float8 * (1.0 + {POPULARITY_WEIGHT} * ln((1 + d.popularity)::float8)) "
            f"AS relevance FROM {DOCUMENTS} d JOIN {MATCH} m ON m.rank_id = d.rank_id, "
            "to_tsquery('simple', %s) AS q(query) "
            "WHERE d.rank_id = ANY(%s)) AS ranked "
            "ORDER BY tier, round(relevance::numeric, 4) DESC, rank_id LIMIT %s OFFSET %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [Hit(int(row[0]), int(row[1]), float(row[2])) for row in cursor.fetchall()]
