"""SQLite FTS5 over pre-segmented tokens (the embedded default).

The FTS5 table is an external-content index over search_searchdocument's token columns, kept in step by
triggers (migration 0002); `unicode61` splits on the spaces the indexer put between jieba's words, so a
CJK word is exactly one token. Its rowid is the static rank, so "the first N matches" are the N most
popular ones and FTS5 stops reading there. Filters are tokens too (tok_filters), intersected inside the
index. bm25 is not used: it counts every match of every phrase for its IDF, which costs tens of
milliseconds per common word at a million documents; relevance instead credits each query part with the
weight of the best field class it occurs in (a BM25F without term frequencies), computed only for the
candidates.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.backends.signals import connection_created

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

FTS_TABLE = "search_fts"
NAMES_TABLE = "search_names_fts"  # the name columns only (migration 0003): name lookups stay cheap
NAME_COLUMNS = "{tok_name tok_aliases tok_pinyin tok_grams}"


def _any_term(term: Term) -> bool:
    return True


def _whole_word(term: Term) -> bool:
    return not term.prefix  # pinyin prefixes only ever match the pinyin column


def _single_character(term: Term) -> bool:
    return len(term.text) == 1 and not term.prefix


# Field classes, their weights (name ≫ aliases > materials/themes > organisation > FAQ), and which terms
# can occur in them at all (the others are pruned from that class's lookup).
# The last flag marks the name classes, looked up in the names-only index for every candidate; the other
# classes are looked up in the full index for the ordinary candidates.
FIELD_CLASSES: tuple[tuple[str, float, Callable[[Term], bool], bool], ...] = (
    ("{tok_name tok_pinyin}", 10.0, _any_term, True),
    ("{tok_aliases}", 6.0, _whole_word, True),
    ("{tok_grams}", 3.0, _single_character, True),
    ("{tok_materials tok_themes}", 2.0, _whole_word, False),
    ("{tok_org}", 1.5, _whole_word, False),
    ("{tok_faq}", 0.5, _whole_word, False),
)

_native_ln: bool | None = None


def _ensure_ln() -> None:
    """ln() is built into SQLite ≥ 3.35 when compiled with math functions; otherwise supply it."""
    global _native_ln
    if _native_ln is None:
        with connection.cursor() as cursor:
            try:
                cursor.execute("SELECT ln(1)")
                _native_ln = True
            except Exception:
                _native_ln = False
                connection_created.connect(_register_ln, weak=False)
                _register_ln(connection=connection)


def _register_ln(sender: Any = None, connection: Any = None, **kwargs: Any) -> None:
    if connection is not None and connection.vendor == "sqlite":
        connection.ensure_connection()
        connection.connection.create_function("ln", 1, math.log, deterministic=True)


def compile_match(expr: Expr) -> str:
    """The FTS5 MATCH string: every token quoted (so no token is ever read as an operator)."""
    if isinstance(expr, Term):
        quoted = '"' + expr.text.replace('"', '""') + '"'
        return f"{quoted}*" if expr.prefix else quoted
    operator = " AND " if isinstance(expr, All) else " OR "
    assert isinstance(expr, All | AnyOf)
    return "(" + operator.join(compile_match(part) for part in expr.parts) + ")"


def restrict(expr: Expr, admissible: Callable[[Term], bool]) -> Expr | None:
    """The expression with inadmissible terms removed, or None when it can no longer match."""
    if isinstance(expr, Term):
        return expr if admissible(expr) else None
    parts = [restrict(part, admissible) for part in expr.parts]
    if isinstance(expr, All):
        return None if any(part is None for part in parts) else All(tuple(p for p in parts if p is not None))
    kept = tuple(part for part in parts if part is not None)
    return (kept[0] if len(kept) == 1 else AnyOf(kept)) if kept else None


def _with_filters(match: str | None, filters: Filters) -> str | None:
    tokens = filter_tokens(filters)
    if not tokens:
        return match
    restriction = "{tok_filters} : (" + " AND ".join(f'"{token}"' for token in tokens) + ")"
    return restriction if match is None else f"{match} AND {restriction}"


class SQLiteBackend(SearchBackend):
    vendor = "sqlite"

    def _first(self, match: str, size: int, table: str = FTS_TABLE) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid FROM {table} WHERE {table} MATCH %s ORDER BY rowid LIMIT %s",  # noqa: S608
                [match, size],
            )
            return [int(row[0]) for row in cursor.fetchall()]

    def count(self, expr: Expr | None, filters: Filters) -> Count:
        match = _with_filters(compile_match(expr) if expr is not None else None, filters)
        if match is None:
            return self.count_all(filters)
        sql = f"SELECT count(*) FROM (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s LIMIT %s)"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [match, COUNT_CAP + 1])
            value = int(cursor.fetchone()[0])
        return Count(min(value, COUNT_CAP), value <= COUNT_CAP)

    def browse(self, filters: Filters, *, offset: int, limit: int) -> list[Hit]:
        match = _with_filters(None, filters)
        if match is None:
            return super().browse(filters, offset=offset, limit=limit)
        ranks = self._first(match, offset + limit)[offset:]
        return [Hit(implementation_id, 4, 0.0) for implementation_id in self._implementations(ranks)]

    def _implementations(self, ranks: list[int]) -> list[int]:
        if not ranks:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT d.rank_id, d.implementation_id FROM {DOCUMENTS} d "  # noqa: S608
                "WHERE d.rank_id IN (SELECT value FROM json_each(%s))",
                [json.dumps(ranks)],
            )
            by_rank = dict(cursor.fetchall())
        return [by_rank[rank] for rank in ranks if rank in by_rank]

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
        _ensure_ln()
        size = max(CANDIDATES, offset + limit)
        match = compile_match(expr)
        anywhere = self._first(_with_filters(match, filters) or match, size)
        in_names = self._first(
            _with_filters(f"{NAME_COLUMNS} : {match}", filters) or match, size, NAMES_TABLE
        )
        head = self._exact_head(phrases, filters, size)
        candidates = sorted({*anywhere, *in_names, *head})
        if not candidates:
            return []
        # Field credits are looked up among the matches up to the last candidate of the matching source:
        # name classes up to the last name candidate, the other classes up to the last ordinary one (the
        # exact-name head may reach further, but it ranks first on its tier anyway). Bounded that way,
        # each lookup reads about as many matches as there are candidates.
        name_bound = max([*anywhere, *in_names], default=0)
        other_bound = max(anywhere, default=0)
        credits: list[str] = []
        credit_params: list[Any] = []
        for group in groups:
            for columns, weight, admissible, names_only in FIELD_CLASSES:
                restricted = restrict(group, admissible)
                if restricted is None:
                    continue
                table = NAMES_TABLE if names_only else FTS_TABLE
                credits.append(
                    f"{weight} * (d.rank_id IN (SELECT rowid FROM {table} "  # noqa: S608
                    f"WHERE {table} MATCH %s AND rowid <= %s))"
                )
                credit_params += [
                    f"{columns} : {compile_match(restricted)}",
                    name_bound if names_only else other_bound,
                ]
        tier, tier_params = tier_sql(phrases, "instr")
        relevance = f"({' + '.join(credits) or '0'}) * (1.0 + {POPULARITY_WEIGHT} * ln(1 + d.popularity))"
        # Materialised first, so the credit lookups run once (ORDER BY would otherwise repeat them).
        sql = (
            "WITH ranked AS MATERIALIZED ("  # noqa: S608
            f"SELECT d.implementation_id, d.rank_id, {tier} AS tier, {relevance} AS relevance "
            f"FROM {DOCUMENTS} d INDEXED BY search_doc_rank "
            "WHERE d.rank_id IN (SELECT value FROM json_each(%s))) "
            "SELECT implementation_id, tier, relevance FROM ranked "
            "ORDER BY tier, round(relevance, 3) DESC, rank_id LIMIT %s OFFSET %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*tier_params, *credit_params, json.dumps(candidates), limit, offset])
            return [Hit(int(row[0]), int(row[1]), float(row[2])) for row in cursor.fetchall()]
