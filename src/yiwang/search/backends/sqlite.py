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
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection

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
from yiwang.search.query import All, AnyOf, Expr, Term, matches

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
# classes are checked in Python against each candidate's own token columns (see OTHER_CLASS_COLUMNS).
FIELD_CLASSES: tuple[tuple[str, float, Callable[[Term], bool], bool], ...] = (
    ("{tok_name tok_pinyin}", 10.0, _any_term, True),
    ("{tok_aliases}", 6.0, _whole_word, True),
    ("{tok_grams}", 3.0, _single_character, True),
    ("{tok_materials tok_themes}", 2.0, _whole_word, False),
    ("{tok_org}", 1.5, _whole_word, False),
    ("{tok_faq}", 0.5, _whole_word, False),
)

# The other classes are credited in Python from the candidates' own token columns: in FTS5 a lookup with
# a column filter reads the position lists of every document that has the terms anywhere, and for
# several common words (居民 身份 申领 身份证) that was 13 ms per class at 300,000 items, even with no
# match in that column. Tokens are the indexer's space-separated words, as FTS5's unicode61 reads them.
OTHER_CLASS_COLUMNS: dict[str, tuple[str, ...]] = {
    "{tok_materials tok_themes}": ("tok_materials", "tok_themes"),
    "{tok_org}": ("tok_org",),
    "{tok_faq}": ("tok_faq",),
}
OTHER_COLUMNS = ("tok_materials", "tok_themes", "tok_org", "tok_faq")
MAX_ALTERNATIVES = 64


def _alternatives(expr: Expr) -> list[frozenset[str]] | None:
    """`expr` as an OR of word sets (each set: words that must all occur), or None when it has prefix terms
    or more than MAX_ALTERNATIVES sets; a subset test per set is then all a document check costs."""
    if isinstance(expr, Term):
        return None if expr.prefix else [frozenset((expr.text,))]
    parts = [_alternatives(part) for part in expr.parts]
    if any(part is None for part in parts):
        return None
    if isinstance(expr, AnyOf):
        return [alternative for part in parts for alternative in part or ()]
    combined: list[frozenset[str]] = [frozenset()]
    for part in parts:
        combined = [have | alternative for have in combined for alternative in part or ()]
        if len(combined) > MAX_ALTERNATIVES:
            return None
    return combined


class ClassCheck:
    """Whether a candidate's text in one field class holds a query part (whole-word terms, as FTS5 would).

    The text is the class's columns joined and wrapped in spaces; a word occurs when " word " does. A
    substring test per word runs in C and needs no token set per candidate and class (building those
    sets was the costliest Python step of ranking)."""

    def __init__(self, restricted: Expr) -> None:
        self.restricted = restricted
        alternatives = _alternatives(restricted)
        self.alternatives = (
            None
            if alternatives is None
            else [tuple(f" {word} " for word in alternative) for alternative in alternatives]
        )

    def __call__(self, padded: str) -> bool:
        if self.alternatives is None:
            return matches(self.restricted, set(padded.split()))
        return any(all(word in padded for word in alternative) for alternative in self.alternatives)


def padded_text(texts: Iterable[str | None]) -> str:
    """Token columns as one text that ClassCheck reads: words separated and surrounded by spaces."""
    return " " + " ".join(text for text in texts if text).lower() + " "


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


MERGE_PAGES = 2000  # FTS5 pages (about 4 KB each) written per merge step, one short write each


def compact_fulltext(pages: int = MERGE_PAGES) -> int:
    """Merge each FTS5 index into a single b-tree, dropping the postings of deleted rows. Returns steps.

    FTS5 deletes by writing delete markers; the old postings stay until a merge meets them. A full
    reindex deletes every row and re-adds it under a new static rank, so afterwards every common word's
    doclist starts with the whole previous index, dead, and "the first 300 matches" or a capped count
    walk through all of it first (about a million dead postings per word at a million items). Merging
    also leaves one b-tree per index instead of a dozen, which every lookup would otherwise merge on the
    fly. The work is done in steps of `pages`, each its own short write, so publications can interleave.
    """
    steps = 0
    with connection.cursor() as cursor:
        raw = cursor.connection  # the sqlite3 connection: total_changes tells whether a step merged
        for table in (FTS_TABLE, NAMES_TABLE):
            statement = f"INSERT INTO {table}({table}, rank) VALUES ('merge', %s)"  # noqa: S608
            # A negative step puts every b-tree on one level and starts merging them all; positive steps
            # continue that merge until nothing is left to merge (fewer than 2 changes).
            cursor.execute(statement, [-pages])
            steps += 1
            while True:
                before = raw.total_changes
                cursor.execute(statement, [pages])
                steps += 1
                if raw.total_changes - before < 2:
                    break
    return steps


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
        # Name classes are looked up in the names-only index among the matches up to the last name or
        # ordinary candidate (the exact-name head may reach further, but it ranks first on its tier
        # anyway); each lookup reads about as many matches as there are candidates.
        name_bound = max([*anywhere, *in_names], default=0)
        credits: list[str] = []
        credit_params: list[Any] = []
        other_classes: list[tuple[float, ClassCheck, tuple[str, ...]]] = []
        for group in groups:
            for columns, weight, admissible, names_only in FIELD_CLASSES:
                restricted = restrict(group, admissible)
                if restricted is None:
                    continue
                if not names_only:
                    other_classes.append((weight, ClassCheck(restricted), OTHER_CLASS_COLUMNS[columns]))
                    continue
                credits.append(
                    f"{weight} * (d.rank_id IN (SELECT rowid FROM {NAMES_TABLE} "  # noqa: S608
                    f"WHERE {NAMES_TABLE} MATCH %s AND rowid <= %s))"
                )
                # With the filter tokens: under a region filter the last candidate can sit far down the
                # static rank, and without them every match up to it, anywhere, was read.
                credit_params += [
                    _with_filters(f"{columns} : {compile_match(restricted)}", filters),
                    name_bound,
                ]
        tier, tier_params = tier_sql(phrases, "instr")
        sql = (
            f"SELECT d.implementation_id, d.rank_id, {tier}, {' + '.join(credits) or '0'}, "  # noqa: S608
            f"d.popularity, {', '.join(f'd.{column}' for column in OTHER_COLUMNS)} "
            f"FROM {DOCUMENTS} d INDEXED BY search_doc_rank "
            "WHERE d.rank_id IN (SELECT value FROM json_each(%s))"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*tier_params, *credit_params, json.dumps(candidates)])
            rows = cursor.fetchall()
        ranked = []
        for implementation_id, rank_id, tier_code, name_credit, popularity, *texts in rows:
            credit = float(name_credit)
            if other_classes:
                # A class's terms may occur in any of its columns ({tok_materials tok_themes} : …); the
                # columns hold the indexer's words separated by spaces, as unicode61 splits them.
                text_of = dict(zip(OTHER_COLUMNS, texts, strict=True))
                padded: dict[tuple[str, ...], str] = {}
                for weight, check, class_columns in other_classes:
                    if class_columns not in padded:
                        padded[class_columns] = padded_text(text_of[column] for column in class_columns)
                    if check(padded[class_columns]):
                        credit += weight
            relevance = credit * (1.0 + POPULARITY_WEIGHT * math.log(1 + (popularity or 0)))
            ranked.append((int(tier_code), -round(relevance, 3), int(rank_id), implementation_id, relevance))
        ranked.sort()
        return [
            Hit(int(implementation_id), tier_code, float(relevance))
            for tier_code, _, _, implementation_id, relevance in ranked[offset : offset + limit]
        ]
