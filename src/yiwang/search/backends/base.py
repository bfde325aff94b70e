"""What every search backend does: count and rank the documents matching an expression under filters.

Latency must not grow with the number of matches (a query like 身份证 matches most of a national
catalogue), so no engine scores every match. Each document has a static rank (`rank_id`, most popular
first) and a backend gathers a bounded set of candidates in that order — the first matches anywhere, the
first matches in names/aliases/pinyin, and the exact-name matches — and ranks only those:

1. the tier: exact name, exact alias, name prefix, name contains, anything else;
2. field-weighted relevance (name ≫ aliases > materials/themes > organisation > FAQ), nudged by
   popularity (at most about +40% for the most visited items), rounded so near-equal scores tie;
3. the static rank (popularity) among ties.

Totals are counted up to COUNT_CAP; beyond it the total is reported as a lower bound.

Only constant table names and generated placeholders are interpolated into the SQL (hence the S608
waivers); every value travels as a query parameter.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from django.db import connection

from yiwang.search.query import Expr

DOCUMENTS = "search_searchdocument"
THEMES = "search_searchdocumenttheme"
POPULARITY_WEIGHT = 0.03
CANDIDATES = 300  # per candidate source
COUNT_CAP = 10_000

# Tier codes in ranking order, with the API's name for each.
MATCH_KINDS = ("exact", "alias", "prefix", "contains", "text")


@dataclass(frozen=True)
class Filters:
    region_prefix: str | None = None
    organisation_id: int | None = None
    item_type: str | None = None
    audience: str | None = None  # "person" | "enterprise"
    theme_code: str | None = None
    min_online_depth: int | None = None
    fully_online: bool = False


@dataclass(frozen=True)
class Hit:
    implementation_id: int
    tier: int
    relevance: float

    @property
    def match_kind(self) -> str:
        return MATCH_KINDS[min(self.tier, len(MATCH_KINDS) - 1)]


@dataclass(frozen=True)
class Count:
    value: int
    exact: bool


# -- filters as index tokens (SQLite intersects them inside the full-text index) -------------------------

_NOT_TOKEN = re.compile(r"[^a-z0-9]")


def _code_token(prefix: str, code: str) -> str:
    cleaned = _NOT_TOKEN.sub("", code.lower())
    return prefix + (cleaned if cleaned == code.lower() else code.encode().hex())


def document_filter_tokens(
    *,
    region_code: str,
    organisation_id: int,
    item_type: str,
    for_person: bool,
    for_enterprise: bool,
    theme_codes: list[str],
    online_depth: int | None,
) -> list[str]:
    """The filter tokens of one document: rg33 rg3301 rg330106, og12, it01, aup, th…, dm1…dm4."""
    tokens = [f"rg{region_code[:2]}", f"rg{region_code[:4]}", f"rg{region_code}", f"og{organisation_id}"]
    if item_type:
        tokens.append(f"it{item_type}")
    if for_person:
        tokens.append("aup")
    if for_enterprise:
        tokens.append("aue")
    tokens += [_code_token("th", code) for code in theme_codes]
    tokens += [f"dm{depth}" for depth in range(1, (online_depth or 0) + 1)]
    return list(dict.fromkeys(tokens))


def filter_tokens(filters: Filters) -> list[str]:
    """The tokens a document must carry to pass `filters` (all of them)."""
    tokens = []
    if filters.region_prefix:
        tokens.append(f"rg{filters.region_prefix}")
    if filters.organisation_id is not None:
        tokens.append(f"og{filters.organisation_id}")
    if filters.item_type:
        tokens.append(f"it{filters.item_type}")
    if filters.audience == "person":
        tokens.append("aup")
    elif filters.audience == "enterprise":
        tokens.append("aue")
    if filters.theme_code:
        tokens.append(_code_token("th", filters.theme_code))
    if filters.fully_online:
        tokens.append("dm4")
    elif filters.min_online_depth:
        tokens.append(f"dm{filters.min_online_depth}")
    return tokens


# -- filters and tiers as SQL over the documents table ---------------------------------------------------


def filter_sql(filters: Filters, alias: str = "d") -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if filters.region_prefix:
        # A subtree is a code range: 33 → 330000…339999 (a plain range uses the index on both engines).
        clauses.append(f"{alias}.region_code BETWEEN %s AND %s")
        params += [filters.region_prefix.ljust(6, "0"), filters.region_prefix.ljust(6, "9")]
    if filters.organisation_id is not None:
        clauses.append(f"{alias}.organisation_id = %s")
        params.append(filters.organisation_id)
    if filters.item_type:
        clauses.append(f"{alias}.item_type = %s")
        params.append(filters.item_type)
    if filters.audience == "person":
        clauses.append(f"{alias}.for_person = %s")
        params.append(True)
    elif filters.audience == "enterprise":
        clauses.append(f"{alias}.for_enterprise = %s")
        params.append(True)
    if filters.theme_code:
        clauses.append(
            f"{alias}.implementation_id IN (SELECT document_id FROM {THEMES} WHERE theme_code = %s)"  # noqa: S608
        )
        params.append(filters.theme_code)
    if filters.fully_online:
        clauses.append(f"{alias}.online_depth = %s")
        params.append(4)
    elif filters.min_online_depth is not None:
        clauses.append(f"{alias}.online_depth >= %s")
        params.append(filters.min_online_depth)
    return clauses, params


def where(clauses: list[str], joiner: str = " WHERE ") -> str:
    return joiner + " AND ".join(clauses) if clauses else ""


def tier_sql(phrases: tuple[str, ...], position_function: str, alias: str = "d") -> tuple[str, list[Any]]:
    """CASE expression: 0 exact name, 1 exact alias, 2 name prefix, 3 name contains, 4 otherwise."""
    if not phrases:
        return "4", []
    placeholders = ", ".join(["%s"] * len(phrases))
    alias_any = " OR ".join([f"{position_function}({alias}.alias_keys, %s) > 0"] * len(phrases))
    prefix_any = " OR ".join([f"{position_function}({alias}.name_key, %s) = 1"] * len(phrases))
    contains_any = " OR ".join([f"{position_function}({alias}.name_key, %s) > 0"] * len(phrases))
    sql = (
        f"CASE WHEN {alias}.name_key IN ({placeholders}) THEN 0 "
        f"WHEN {alias_any} THEN 1 WHEN {prefix_any} THEN 2 WHEN {contains_any} THEN 3 ELSE 4 END"
    )
    params = [*phrases, *(f"|{phrase}|" for phrase in phrases), *phrases, *phrases]
    return sql, params


class SearchBackend(ABC):
    vendor: str

    @abstractmethod
    def count(self, expr: Expr | None, filters: Filters) -> Count:
        """How many documents match (all documents under the filters when `expr` is None), up to COUNT_CAP."""

    @abstractmethod
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
        """One page of matching documents, best first (by static rank when `expr` is None).

        `groups` are the query's parts (the AND of them is `expr`); relevance credits each part for the
        best field it occurs in."""

    def _exact_head(self, phrases: tuple[str, ...], filters: Filters, size: int) -> list[int]:
        """Static ranks of documents whose name is exactly one of the phrases (bounded by the name index)."""
        if not phrases:
            return []
        clauses, params = filter_sql(filters)
        placeholders = ", ".join(["%s"] * len(phrases))
        sql = (
            f"SELECT d.rank_id FROM {DOCUMENTS} d WHERE d.name_key IN ({placeholders})"  # noqa: S608
            f"{where(clauses, ' AND ')} ORDER BY d.rank_id LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*phrases, *params, size])
            return [int(row[0]) for row in cursor.fetchall()]

    def browse(self, filters: Filters, *, offset: int, limit: int) -> list[Hit]:
        clauses, params = filter_sql(filters)
        sql = (
            f"SELECT d.implementation_id FROM {DOCUMENTS} d{where(clauses)} "  # noqa: S608
            "ORDER BY d.rank_id LIMIT %s OFFSET %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, limit, offset])
            return [Hit(row[0], 4, 0.0) for row in cursor.fetchall()]

    def count_all(self, filters: Filters) -> Count:
        clauses, params = filter_sql(filters)
        sql = f"SELECT count(*) FROM (SELECT 1 FROM {DOCUMENTS} d{where(clauses)} LIMIT %s) AS capped"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, COUNT_CAP + 1])
            value = int(cursor.fetchone()[0])
        return Count(min(value, COUNT_CAP), value <= COUNT_CAP)
