"""PostgreSQL full text over pre-segmented tokens: the 'simple' configuration (no stemming, no stopwords:
the tokens are already jieba's words), a stored generated tsvector weighted A–D and a GIN index
(migration 0002), and a second one over the name columns only (0003). Candidates come in static-rank order (the planner picks the GIN index or the rank_id
index, whichever the match rate favours) and only they are scored with ts_rank, whose default weights
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
    filter_sql,
    tier_sql,
    where,
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


@contextmanager
def _index_cursor() -> Iterator[Any]:
    """A cursor whose statements may not scan the table sequentially. With a LIMIT, the planner likes a
    sequential scan that stops early — but it must detoast and test every row's tsvector on the way,
    which costs far more than reading the GIN index."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        yield cursor


class PostgresBackend(SearchBackend):
    vendor = "postgresql"

    def _first(self, query: str, filters: Filters, size: int, column: str = "tsv") -> list[int]:
        clauses, params = filter_sql(filters)
        sql = (
            f"SELECT d.rank_id FROM {DOCUMENTS} d WHERE d.{column} @@ to_tsquery('simple', %s)"  # noqa: S608
            f"{where(clauses, ' AND ')} ORDER BY d.rank_id LIMIT %s"
        )
        with _index_cursor() as cursor:
            cursor.execute(sql, [query, *params, size])
            return [int(row[0]) for row in cursor.fetchall()]

    def count(self, expr: Expr | None, filters: Filters) -> Count:
        if expr is None:
            return self.count_all(filters)
        clauses, params = filter_sql(filters)
        sql = (
            f"SELECT count(*) FROM (SELECT 1 FROM {DOCUMENTS} d "  # noqa: S608
            f"WHERE d.tsv @@ to_tsquery('simple', %s){where(clauses, ' AND ')} LIMIT %s) AS capped"
        )
        with _index_cursor() as cursor:
            cursor.execute(sql, [compile_tsquery(expr), *params, COUNT_CAP + 1])
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
        candidates = {
            *self._first(query, filters, size),
            *self._first(query, filters, size, "tsv_names"),
            *self._exact_head(phrases, filters, size),
        }
        if not candidates:
            return []
        tier, tier_params = tier_sql(phrases, "strpos")
        params: list[Any] = [*tier_params, query, sorted(candidates), limit, offset]
        # PostgreSQL orders by an output column only when it is named bare, hence the outer query.
        sql = (
            "SELECT implementation_id, tier, relevance FROM ("  # noqa: S608
            f"SELECT d.implementation_id, d.rank_id, {tier} AS tier, "
            f"ts_rank(d.tsv, q.query)::float8 * (1.0 + {POPULARITY_WEIGHT} * ln((1 + d.popularity)::float8)) "
            f"AS relevance FROM {DOCUMENTS} d, to_tsquery('simple', %s) AS q(query) "
            "WHERE d.rank_id = ANY(%s)) AS ranked "
            "ORDER BY tier, round(relevance::numeric, 4) DESC, rank_id LIMIT %s OFFSET %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [Hit(int(row[0]), int(row[1]), float(row[2])) for row in cursor.fetchall()]
