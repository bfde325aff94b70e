"""Catalogue reads: the published catalogue and derived views over it.

Several modules add functions here (the API, the admin, import/export); add, never rewrite.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Func, Prefetch, Q, QuerySet, TextField
from django.db.models.functions import Cast

from yiwang.catalog import codes, readcache
from yiwang.catalog.models import (
    Bundle,
    BundleMember,
    BundleStatus,
    GuideStatus,
    GuideVersion,
    Implementation,
    Material,
    PublicStatus,
    Theme,
)
from yiwang.catalog.snapshot import SNAPSHOT_FORMAT
from yiwang.core.models import Organisation, Region


def published_implementations() -> QuerySet[Implementation]:
    """Every implementation the public may see, with what a list needs in one query."""
    return Implementation.objects.filter(
        public_status=PublicStatus.PUBLISHED, published_version__isnull=False
    ).select_related("organisation", "region", "basic_item", "published_version")


def get_published(code_or_id: str | int) -> Implementation | None:
    """A published implementation by its 实施编码 or its database id (None when not published)."""
    queryset = published_implementations()
    if isinstance(code_or_id, int):
        return queryset.filter(pk=code_or_id).first()
    value = str(code_or_id).strip()
    found = queryset.filter(implementation_code=value).first()
    if found is None and value.isdigit() and len(value) < 19:  # a database id, never an 18+ char code
        found = queryset.filter(pk=int(value)).first()
    return found


# --- 一件事: one merged material list ------------------------------------------------------------

_BRACKETS_AND_SPACES = re.compile(r"[\s()（）\[\]【】〔〕《》<>〈〉「」『』]")

# Strictest first: a material any member requires is required for the bundle.
_NECESSITY_RANK: dict[str, int] = {
    codes.MaterialNecessity.REQUIRED.value: 0,
    codes.MaterialNecessity.DEFERRABLE.value: 1,
    codes.MaterialNecessity.OPTIONAL.value: 2,
}


def material_key(name: str, issuing_body: str = "") -> tuple[str, str]:
    """Two materials are the same document when their names match once width, spaces and brackets are
    ignored ("身份证（原件）" = "身份证原件") and the issuing body is the same."""

    def norm(text: str) -> str:
        return _BRACKETS_AND_SPACES.sub("", unicodedata.normalize("NFKC", text or ""))

    return norm(name), norm(issuing_body)


def bundle_merged_materials(bundle: Bundle) -> list[dict[str, Any]]:
    """The bundle's one material list (一套材料): every member's published materials, de-duplicated.

    Each entry remembers which items need it and keeps the strictest necessity and the largest original
    and copy counts. Members without a published version contribute nothing.
    """
    members = list(
        bundle.memberships.select_related("implementation")
        .order_by("order", "id")
        .values_list(
            "implementation__published_version_id",
            "implementation__implementation_code",
            "implementation__name",
        )
    )
    version_ids = [version_id for version_id, _code, _name in members if version_id]
    materials = (
        Material.objects.filter(guide_id__in=version_ids)
        .select_related("situation")
        .order_by("guide_id", "order", "id")
    )
    by_guide: dict[int, list[Material]] = {}
    for material in materials:
        by_guide.setdefault(material.guide_id, []).append(material)

    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for version_id, code, item_name in members:
        for material in by_guide.get(version_id, []) if version_id else []:
            key = material_key(material.name, material.issuing_body)
            entry = merged.get(key)
            if entry is None:
                entry = merged[key] = {
                    "name": material.name,
                    "issuing_body": material.issuing_body,
                    "necessity": material.necessity,
                    "original_count": material.original_count,
                    "copy_count": material.copy_count,
                    "needed_by": [],
                    "situations": [],
                }
            elif _NECESSITY_RANK.get(material.necessity, 9) < _NECESSITY_RANK.get(entry["necessity"], 9):
                entry["necessity"] = material.necessity
            entry["original_count"] = max(entry["original_count"], material.original_count)
            entry["copy_count"] = max(entry["copy_count"], material.copy_count)
            if code not in (n["implementation_code"] for n in entry["needed_by"]):
                entry["needed_by"].append({"implementation_code": code, "name": item_name})
            if material.situation is not None:
                entry["situations"].append(
                    {"implementation_code": code, "situation": material.situation.name}
                )
    result = list(merged.values())
    for entry in result:
        entry["necessity_label"] = str(codes.MaterialNecessity(entry["necessity"]).label)
    return result


def guide_versions_with_parts() -> QuerySet[GuideVersion]:
    """Guide versions with every related list prefetched (quality checks and exports read them all)."""
    return GuideVersion.objects.select_related(
        "implementation__organisation", "implementation__region", "implementation__basic_item"
    ).prefetch_related(
        "themes",
        "joint_organisations",
        "variants",
        "situations__variant",
        "materials__situation",
        "steps",
        "fees",
        "special_procedures",
        "faqs",
    )


# --- the public read API (catalog.api): lean reads, one indexed query each ------------------------

SNAPSHOT_CACHE_SECONDS = 24 * 3600
COUNT_CACHE_SECONDS = 60
_CODE_OR_ID = re.compile(r"^[0-9A-Z]{1,40}$")
_ITEM_TYPE_LABELS = {value: str(label) for value, label in codes.ItemType.choices}
PUBLIC_VERSION_STATUSES = (GuideStatus.PUBLISHED, GuideStatus.SUPERSEDED, GuideStatus.WITHDRAWN)


def is_code_or_id(value: str) -> bool:
    """实施编码 are 1–40 characters of [0-9A-Z]; database ids are digits (a subset)."""
    return bool(_CODE_OR_ID.match(value))


# Hot reads run the ORM's own SQL, compiled once: building SQL costs the ORM about ten times what the
# database needs for these small indexed reads (measured ~1 ms against ~0.1 ms per lookup on SQLite).
_CODE_SLOT = "\x00code\x00"
_ID_SLOT = -7_340_033_019
_compiled_sql: dict[tuple[Any, ...], tuple[str, tuple[Any, ...]]] = {}
_COMPILED_MAX = 4096


def _compiled(
    key: tuple[Any, ...], build: Callable[[], QuerySet[Any]], *, inline: bool = False
) -> tuple[str, tuple[Any, ...]]:
    """The SQL and parameters of `build()`'s queryset, remembered per database vendor and `key`.

    `inline` (for a key that fixes every parameter value): on PostgreSQL the values are written into the
    SQL as literals. A prepared statement without parameters is planned once per connection and its plan
    reused; with parameters PostgreSQL plans the first five executions anyway before trying a generic
    plan, and planning a list query (0.7-1.5 ms) cost more than running it (0.2-0.8 ms, EXPLAIN ANALYZE
    at 100,000 and 1,000,000 items).
    """
    full_key = (connection.vendor, inline, *key)
    found = _compiled_sql.get(full_key)
    if found is None:
        if len(_compiled_sql) >= _COMPILED_MAX:
            _compiled_sql.clear()
        sql, params = build().query.sql_with_params()
        if inline and params and connection.vendor == "postgresql":
            # Quoted by psycopg from the connection's own adapters; the values are validated filters.
            sql, params = connection.ops.compose_sql(sql, params), ()  # type: ignore[attr-defined]
        found = _compiled_sql[full_key] = (sql, tuple(params))
    return found


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        # No parameters: none passed, so literal SQL is never scanned for placeholders.
        cursor.execute(sql, list(params) if params else None)
        return list(cursor.fetchall())


@dataclass(frozen=True)
class ImplementationRef:
    """The few columns that decide how an implementation is served."""

    id: int
    implementation_code: str
    public_status: str
    published_version_id: int | None


def _ref_queryset(*, by_id: bool, with_snapshot: bool) -> QuerySet[Any]:
    lookup = Q(implementation_code=_CODE_SLOT)
    if by_id:
        lookup |= Q(pk=_ID_SLOT)
    columns: list[Any] = ["id", "implementation_code", "public_status", "published_version_id"]
    if with_snapshot:
        # The stored JSON text as it is: no decoding and re-encoding per request.
        columns.append(Cast("published_version__snapshot", TextField()))
    return Implementation.objects.filter(lookup).order_by().values_list(*columns)[:2]


def _ref_rows(code_or_id: str, *, with_snapshot: bool) -> list[tuple[Any, ...]]:
    """One indexed query: by 实施编码, or by database id when the value is all digits (a code wins)."""
    by_id = code_or_id.isdigit() and len(code_or_id) < 19  # fits a bigint id
    sql, params = _compiled(
        ("ref", by_id, with_snapshot), lambda: _ref_queryset(by_id=by_id, with_snapshot=with_snapshot)
    )
    values = {_CODE_SLOT: code_or_id, _ID_SLOT: int(code_or_id) if by_id else None}
    rows = _fetch(sql, [values.get(p, p) for p in params])
    rows.sort(key=lambda row: row[1] != code_or_id)
    return rows


def implementation_ref(code_or_id: str) -> ImplementationRef | None:
    rows = _ref_rows(code_or_id, with_snapshot=False)
    return ImplementationRef(*rows[0]) if rows else None


def _snapshot_key(guide_id: int) -> str:
    return f"catalog:snapshot:{SNAPSHOT_FORMAT}:{guide_id}"


def published_document(code_or_id: str) -> tuple[ImplementationRef, bytes | None] | None:
    """The implementation and, when published, its frozen document as UTF-8 JSON bytes ready to send.

    One query reads the implementation row joined to its published version's snapshot, as stored text.
    Text written with \\u escapes (the JSON field's default) is re-encoded once to compact UTF-8 and the
    bytes cached by guide id: a published snapshot never changes, so the entry never goes stale.
    """
    rows = _ref_rows(code_or_id, with_snapshot=True)
    if not rows:
        return None
    *columns, text = rows[0]
    ref = ImplementationRef(*columns)
    if ref.public_status != PublicStatus.PUBLISHED or ref.published_version_id is None or text is None:
        return ref, None
    if "\\u" not in text:
        return ref, text.encode()
    key = _snapshot_key(ref.published_version_id)
    body = cache.get(key)
    if body is None:
        body = json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":")).encode()
        cache.set(key, body, SNAPSHOT_CACHE_SECONDS)
    return ref, body


def withdrawal(implementation_id: int) -> dict[str, Any] | None:
    """When and why an implementation was taken off the catalogue (its latest withdrawn version)."""
    row = (
        GuideVersion.objects.filter(implementation_id=implementation_id, status=GuideStatus.WITHDRAWN)
        .order_by("-version")
        .values("version", "withdrawn_at", "status_reason", "name")
        .first()
    )
    return dict(row) if row is not None else None


def public_versions(implementation_id: int) -> list[dict[str, Any]]:
    """Version history the public may see: published, superseded and withdrawn versions, newest first."""
    rows = (
        GuideVersion.objects.filter(implementation_id=implementation_id, status__in=PUBLIC_VERSION_STATUSES)
        .order_by("-version")
        .values("version", "status", "published_at", "withdrawn_at", "change_note", "status_reason")
    )
    labels = dict(GuideStatus.choices)
    return [{**row, "status_label": str(labels[row["status"]])} for row in rows]


def published_quality(guide_id: int) -> dict[str, Any] | None:
    row = (
        GuideVersion.objects.filter(pk=guide_id)
        .values("version", "quality_score", "quality_findings", "blocking_findings", "published_at")
        .first()
    )
    return dict(row) if row is not None else None


@dataclass(frozen=True)
class ListFilters:
    """Resolved filters of the public implementation list (the API validates and resolves raw input)."""

    region_prefix: str | None = None  # Region.subtree_prefix: the region and everything below it
    organisation_id: int | None = None
    item_type: str | None = None
    audience: str | None = None  # codes.Audience
    theme_id: int | None = None
    min_online_depth: int | None = None
    fully_online: bool | None = None
    q: str | None = None

    def cache_key(self) -> str:
        return hashlib.sha1(repr(self).encode(), usedforsecurity=False).hexdigest()


def _filtered(filters: ListFilters) -> QuerySet[Implementation]:
    queryset = Implementation.objects.filter(public_status=PublicStatus.PUBLISHED)
    if filters.region_prefix:
        # Through the subtree's codes, so both databases use the (status, region, code) index.
        queryset = queryset.filter(region_id__in=subtree_codes(filters.region_prefix))
    if filters.organisation_id is not None:
        queryset = queryset.filter(organisation_id=filters.organisation_id)
    if filters.item_type:
        queryset = queryset.filter(item_type=filters.item_type)
    if filters.audience == codes.Audience.PERSON:
        queryset = queryset.filter(for_person=True)
    elif filters.audience == codes.Audience.ENTERPRISE:
        queryset = queryset.filter(for_enterprise=True)
    if filters.theme_id is not None:
        queryset = queryset.filter(published_version__themes=filters.theme_id)
    if filters.min_online_depth is not None:
        queryset = queryset.filter(online_depth__gte=filters.min_online_depth)
    if filters.fully_online is True:
        queryset = queryset.filter(online_depth=codes.OnlineDepth.FULLY_ONLINE)
    elif filters.fully_online is False:
        queryset = queryset.filter(online_depth__lt=codes.OnlineDepth.FULLY_ONLINE)
    if filters.q:
        queryset = queryset.filter(name__contains=filters.q)
    return queryset


class IsoUtcText(Func):
    """A timestamp as the API writes it (ISO 8601 in UTC, `isoformat()` style), made by PostgreSQL.

    Loading an aware datetime through psycopg and Django's time-zone loader and formatting it again cost
    a fifth of a list request's CPU; the database writes the text for free. Elsewhere (SQLite stores text
    already) the column passes through and `_iso_utc` formats it.
    """

    output_field = TextField()

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra: Any) -> Any:
        return compiler.compile(self.source_expressions[0])

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        column, params = compiler.compile(self.source_expressions[0])
        utc = f"({column} AT TIME ZONE 'UTC')"
        micros = f"to_char({utc}, 'US')"
        sql = (
            f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') "
            f"|| CASE WHEN {micros} = '000000' THEN '' ELSE '.' || {micros} END || 'Z')"
        )
        return sql, (*params, *params, *params)


_LIST_COLUMNS = (
    "implementation_code",
    "name",
    "item_type",
    "organisation_id",
    "organisation__name",
    "region_id",
    "region__name",
    "online_depth",
    "published_version__version",
    "published_at_text",
)


MERGE_MAX_REGIONS = 16
SUBTREE_CACHE_SECONDS = 600


def subtree_codes(prefix: str) -> list[str]:
    """The codes of a region and everything below it (cached: regions change once a year)."""
    if len(prefix) == 6:
        return [prefix]
    key = f"catalog:subtree:{prefix}"
    found = cache.get(key)
    if found is None:
        found = list(
            Region.objects.filter(code__startswith=prefix).order_by("code").values_list("code", flat=True)
        )
        cache.set(key, found, SUBTREE_CACHE_SECONDS)
    return list(found)


def _page_queryset(filters: ListFilters, *, offset: int, limit: int) -> QuerySet[Any]:
    """The ids (or codes) of one page, chosen from the indexes alone; rows are joined afterwards.

    Joining only the page's rows (a "deferred join") spares the joins of every row an OFFSET skips.

    A prefecture-sized subtree is merged from each region's ordered index range: real 实施编码 begin
    with the implementing body's USCC, which carries its region, so code order is nearly region order and
    a prefecture's rows sit together somewhere in the code index — neither walking that index nor
    sorting the subtree is cheap. UNION ALL with ORDER BY merges the sorted ranges (SQLite lazily; on
    PostgreSQL each range is capped at offset + limit rows), reading about offset + limit entries per
    region. A province (many
    regions, usually most rows of a node) and everything else walks the index that fits the filters.
    """
    region_codes = subtree_codes(filters.region_prefix) if filters.region_prefix else []
    if filters.organisation_id is None and 1 < len(region_codes) <= MERGE_MAX_REGIONS:
        members = [
            _filtered(replace(filters, region_prefix=code)).order_by().values_list("implementation_code")
            for code in region_codes
        ]
        if connection.features.supports_slicing_ordering_in_compound:
            # PostgreSQL would rather append every member and sort; cap each member at the rows a page
            # can need, so the sort stays small however large the regions grow.
            members = [m.order_by("implementation_code")[: offset + limit] for m in members]
        page = members[0].union(*members[1:], all=True).order_by("implementation_code")
        return Implementation.objects.filter(implementation_code__in=page[offset : offset + limit])
    if connection.vendor == "sqlite":
        # SQLite's index entries end with the rowid: the ids come from the index alone.
        page_ids = _filtered(filters).order_by("implementation_code").values("pk")[offset : offset + limit]
        return Implementation.objects.filter(pk__in=page_ids)
    # PostgreSQL's do not carry the id, so reading ids would fetch a table row for every entry the
    # OFFSET skips; the codes are in every list index (an index-only scan), and the code is unique.
    page_codes = _filtered(filters).order_by("implementation_code").values("implementation_code")
    return Implementation.objects.filter(implementation_code__in=page_codes[offset : offset + limit])


def _region_key(filters: ListFilters) -> tuple[str, ...]:
    """The region codes a compiled list query has baked in (regions can be re-imported)."""
    return tuple(subtree_codes(filters.region_prefix)) if filters.region_prefix else ()


def _iso_utc(value: Any) -> str | None:
    """A timestamp read through a bare cursor as ISO 8601 UTC text (2026-11-22T08:00:00Z).

    SQLite gives naive UTC (a datetime, or text), PostgreSQL an aware value; formatting here keeps the
    JSON encoder on its fast path.
    """
    if value is None:
        return None
    if isinstance(value, str):
        if value.endswith("Z"):  # written by the database already (IsoUtcText)
            return value
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is not None and value.utcoffset():
        value = value.astimezone(dt.UTC)
    return value.replace(tzinfo=None).isoformat() + "Z"


def published_rows(filters: ListFilters, *, offset: int, limit: int) -> list[dict[str, Any]]:
    """One page of the published list in 实施编码 order: one query (page from the indexes, then joins)."""
    sql, params = _compiled(
        ("list", filters, _region_key(filters), offset, limit),
        lambda: (
            _page_queryset(filters, offset=offset, limit=limit)
            .annotate(published_at_text=IsoUtcText("published_at"))
            .order_by("implementation_code")
            .values_list(*_LIST_COLUMNS)
        ),
        inline=True,
    )
    return [
        {
            "implementation_code": code,
            "name": name,
            "item_type": item_type,
            "item_type_label": _ITEM_TYPE_LABELS.get(item_type, ""),
            "organisation": {"id": org_id, "name": org_name},
            "region": {"code": region_code, "name": region_name},
            "online_depth": depth,
            "version": version,
            "published_at": _iso_utc(published_at),
        }
        for (
            code,
            name,
            item_type,
            org_id,
            org_name,
            region_code,
            region_name,
            depth,
            version,
            published_at,
        ) in _fetch(sql, params)
    ]


def published_count(filters: ListFilters, *, up_to: int) -> tuple[int, bool]:
    """How many published implementations match, counting no further than `up_to`: (count, exact).

    An exact count of a million rows took 40 ms–1 s (measured), far more than the page itself, and no one
    pages past the list's result window anyway; counting stops one row past `up_to` (then the count is
    `up_to` and not exact). Cached per filter combination for a minute, or until the catalogue change
    marker moves (`readcache.catalogue_version`: at once in the process that made the change, within a
    check interval in every other).
    """
    key = f"catalog:count:{readcache.catalogue_version()}:{up_to}:{filters.cache_key()}"
    found = cache.get(key)
    if found is None:
        found = _filtered(filters).order_by()[: up_to + 1].count()
        cache.set(key, found, COUNT_CACHE_SECONDS)
    return min(int(found), up_to), int(found) <= up_to


def theme_by_code(code: str) -> Theme | None:
    return Theme.objects.filter(code=code).first()


def theme_codes() -> list[str]:
    return list(Theme.objects.order_by("code").values_list("code", flat=True))


def published_bundles() -> QuerySet[Bundle]:
    """Published bundles (一件事) with their lead organisation, region, themes and members."""
    return (
        Bundle.objects.filter(status=BundleStatus.PUBLISHED)
        .select_related("lead_organisation", "region")
        .prefetch_related(
            "themes",
            Prefetch(
                "memberships",
                queryset=BundleMember.objects.select_related("implementation__organisation").order_by(
                    "order", "id"
                ),
            ),
        )
        .order_by("code")
    )


def themes(*, audience: str | None = None) -> QuerySet[Theme]:
    queryset = Theme.objects.all()
    if audience:
        queryset = queryset.filter(audience=audience)
    return queryset.order_by("audience", "order", "code")


# --- cached lookups for list filters (positive answers only: something new is found at once) -------

LOOKUP_CACHE_SECONDS = 300


def _cached_lookup(kind: str, key: str, find: Callable[[], Any]) -> Any:
    cache_key = f"catalog:lookup:{kind}:{key}"
    value = cache.get(cache_key)
    if value is None:
        value = find()
        if value is not None:
            cache.set(cache_key, value, LOOKUP_CACHE_SECONDS)
    return value


def region_prefix(code: str) -> str | None:
    """The subtree prefix of an existing region (330000 → "33"), or None when there is no such region."""

    def find() -> str | None:
        region = Region.objects.filter(code=code).first()
        return region.subtree_prefix if region is not None else None

    return _cached_lookup("region", code, find)


def organisation_id(key: str) -> int | None:
    """An organisation's id from its id or its 18-character USCC."""
    if key.isdigit() and len(key) < 19:
        return _cached_lookup(
            "org-id",
            key,
            lambda: Organisation.objects.filter(pk=int(key)).values_list("pk", flat=True).first(),
        )
    return _cached_lookup(
        "org-uscc", key, lambda: Organisation.objects.filter(uscc=key).values_list("pk", flat=True).first()
    )


def theme_id(code: str) -> int | None:
    return _cached_lookup(
        "theme", code, lambda: Theme.objects.filter(code=code).values_list("pk", flat=True).first()
    )
