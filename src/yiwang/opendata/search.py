"""package_search without Solr: q, fq, sort, paging and facets over the DatasetTerm table.

Understood syntax (the part of Solr's that CKAN clients send):
- q: words (segmented with the portal's jieba dictionary; every word must match), `field:value` pairs
  as in fq, or `*:*` / empty for everything.
- fq: `field:value`, `field:"quoted value"`, `field:(a OR b)`, with `+`/`-` prefixes and AND between
  clauses. Fields: organization, groups, tags, res_format, license_id, frequency, name, id, spatial.
- sort: comma-separated `field asc|desc`; fields score, metadata_modified, metadata_created, name,
  title_string.
Anything else is refused with a Search Query Error that says what was not understood.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.utils.translation import gettext as _

from yiwang.opendata import facets
from yiwang.opendata.models import Dataset, DatasetSearchRow, DatasetTerm

FILTER_FIELDS = (
    "organization",
    "groups",
    "tags",
    "res_format",
    "license_id",
    "frequency",
    "name",
    "id",
    "spatial",
)
FACET_FIELDS = ("organization", "groups", "tags", "res_format", "license_id", "frequency")
MAX_ROWS = 1000
DEFAULT_ROWS = 10
DEFAULT_FACET_LIMIT = 50
SORT_FIELDS = {
    "score": "score",
    "metadata_modified": "modified_at",
    "metadata_created": "created_at",
    "name": "name",
    "title_string": "title",
    "title": "title",
}
CLAUSE = re.compile(r'^([+-]?)([a-z_]+):(?:"([^"]*)"|\(([^)]*)\)|(\S+))$')


class SearchQueryError(ValueError):
    """A q, fq or sort the engine cannot understand; the message says what and how to fix it."""


class SearchValidationError(ValueError):
    """A parameter outside its range: {field: [messages]} as CKAN's Validation Error."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass
class Filter:
    field: str
    values: list[str]
    negate: bool = False


@dataclass
class SearchRequest:
    words: list[str] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (model field, descending)
    sort_text: str = ""
    rows: int = DEFAULT_ROWS
    start: int = 0
    facet_fields: list[str] = field(default_factory=list)
    facet_limit: int = DEFAULT_FACET_LIMIT
    facet_mincount: int = 1


def _split_clauses(text: str) -> list[str]:
    """Whitespace-separated clauses, keeping "quoted phrases" and (groups) whole; AND is implied."""
    clauses: list[str] = []
    index, length = 0, len(text)
    while index < length:
        if text[index].isspace():
            index += 1
            continue
        start, depth, quoted = index, 0, False
        while index < length and (quoted or depth or not text[index].isspace()):
            char = text[index]
            if char == '"':
                quoted = not quoted
            elif not quoted and char == "(":
                depth += 1
            elif not quoted and char == ")":
                depth = max(0, depth - 1)
            index += 1
        if quoted or depth:
            raise SearchQueryError(_("引号或括号不成对：%(q)s") % {"q": text})
        clause = text[start:index]
        if clause.upper() not in ("AND", "&&"):
            clauses.append(clause)
    return clauses


def _filter(clause: str) -> Filter | None:
    match = CLAUSE.match(clause)
    if not match:
        return None
    sign, name, quoted, group, bare = match.groups()
    if name not in FILTER_FIELDS:
        raise SearchQueryError(
            _("不能按字段“%(f)s”筛选；可用字段：%(fields)s。")
            % {"f": name, "fields": ", ".join(FILTER_FIELDS)}
        )
    if group is not None:
        values = [v.strip().strip('"') for v in re.split(r"\s+OR\s+", group.strip()) if v.strip()]
        if not values or any(" AND " in v for v in values):
            raise SearchQueryError(_("括号内只支持用 OR 连接的取值：%(c)s") % {"c": clause})
    else:
        values = [quoted if quoted is not None else bare]
    return Filter(name, values, negate=sign == "-")


def parse_fq(fq: str) -> list[Filter]:
    filters: list[Filter] = []
    for clause in _split_clauses(fq.strip()):
        parsed = _filter(clause)
        if parsed is None:
            raise SearchQueryError(
                _('无法理解筛选条件“%(c)s”：应写成 字段:取值，例如 organization:xxx 或 tags:"交通"。')
                % {"c": clause}
            )
        filters.append(parsed)
    return filters


def parse_q(q: str) -> tuple[list[str], list[Filter]]:
    q = q.strip()
    if q in ("", "*:*", "*"):
        return [], []
    words: list[str] = []
    filters: list[Filter] = []
    text_parts: list[str] = []
    for clause in _split_clauses(q):
        parsed = _filter(clause) if ":" in clause else None
        if parsed is not None:
            filters.append(parsed)
        elif ":" in clause and not clause.startswith(("http:", "https:")):
            raise SearchQueryError(_("无法理解查询“%(c)s”。") % {"c": clause})
        else:
            text_parts.append(clause.strip('"'))
    if text_parts:
        from yiwang.search.segment import get_segmenter

        words = list(dict.fromkeys(w for w in get_segmenter().query_words(" ".join(text_parts)) if w.strip()))
    return words, filters


def parse_sort(sort: str) -> list[tuple[str, bool]]:
    result: list[tuple[str, bool]] = []
    for part in sort.split(","):
        part = part.strip()
        if not part:
            continue
        pieces = part.split()
        name, direction = pieces[0], (pieces[1].lower() if len(pieces) > 1 else "asc")
        if name not in SORT_FIELDS or direction not in ("asc", "desc") or len(pieces) > 2:
            raise SearchQueryError(
                _("无法按“%(s)s”排序：可用 %(fields)s，加 asc 或 desc。")
                % {"s": part, "fields": ", ".join(SORT_FIELDS)}
            )
        result.append((SORT_FIELDS[name], direction == "desc"))
    return result


def _int(params: dict[str, Any], name: str, default: int, *, low: int, high: int | None = None) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise SearchValidationError({name: [_("应为整数。")]}) from None
    if value < low:
        raise SearchValidationError({name: [_("不能小于 %(v)d。") % {"v": low}]})
    if high is not None and value > high:
        raise SearchValidationError({name: [_("不能大于 %(v)d。") % {"v": high}]})
    return value


def parse_request(params: dict[str, Any]) -> SearchRequest:
    words, q_filters = parse_q(str(params.get("q") or ""))
    request = SearchRequest(words=words, filters=q_filters + parse_fq(str(params.get("fq") or "")))
    sort_text = str(params.get("sort") or "score desc, metadata_modified desc")
    request.sort = parse_sort(sort_text)
    request.sort_text = sort_text
    request.rows = _int(params, "rows", DEFAULT_ROWS, low=0, high=MAX_ROWS)
    request.start = _int(params, "start", 0, low=0)
    request.facet_limit = _int(params, "facet.limit", DEFAULT_FACET_LIMIT, low=-1)
    request.facet_mincount = _int(params, "facet.mincount", 1, low=0)
    raw_fields = params.get("facet.field")
    if raw_fields not in (None, ""):
        if isinstance(raw_fields, str):
            try:
                raw_fields = json.loads(raw_fields)
            except json.JSONDecodeError:
                raise SearchValidationError({"facet.field": [_('应为 JSON 列表，例如 ["tags"]。')]}) from None
        if not isinstance(raw_fields, list) or not all(isinstance(f, str) for f in raw_fields):
            raise SearchValidationError({"facet.field": [_("应为字段名的列表。")]})
        unknown = [f for f in raw_fields if f not in FACET_FIELDS]
        if unknown:
            raise SearchQueryError(
                _("不能按“%(f)s”分面；可用：%(fields)s。")
                % {"f": "、".join(unknown), "fields": ", ".join(FACET_FIELDS)}
            )
        request.facet_fields = list(dict.fromkeys(raw_fields))
    return request


# ruff: noqa: S608 - the SQL below is assembled from table names and placeholders only; every value
# that comes from a request travels as a query parameter.

# --- execution ----------------------------------------------------------------------------------
#
# The matching set is a SQL set expression over the term index: one `SELECT dataset_id … WHERE field = ?
# AND value IN (…)` per word or filter, joined with INTERSECT (and EXCEPT for negations). Every branch is
# a range of the covering index (field, value, dataset), on SQLite and PostgreSQL alike.
#
# Ordering and facets then read the narrow search rows (one per published dataset: sort keys and facet
# values), never the wide dataset rows. A page either joins the match to its rows and sorts them, or
# walks the sort key's index testing membership until LIMIT — whichever reads fewer rows. Relevance
# order (score) reads the title matches and then the rest, each in the next sort key's order; a set
# expression (two or more words or filters) is counted by the page query itself. Facets are tallied from the matching rows' facet codes (opendata.facets) — or, when more than
# half of the datasets match, from the rows that do not, subtracted from the cached totals — and kept
# in the cache under the catalogue's generation, so identical searches count once per change.

TERMS = DatasetTerm._meta.db_table
DATASETS = Dataset._meta.db_table
ROWS = DatasetSearchRow._meta.db_table
FACET_CACHE_SECONDS = 3600


def _branch(field_name: str, values: list[str]) -> tuple[str, list[Any]]:
    marks = ", ".join(["%s"] * len(values))
    return f"SELECT dataset_id FROM {TERMS} WHERE field = %s AND value IN ({marks})", [field_name, *values]


def match_sql(request: SearchRequest) -> tuple[str, list[Any]] | None:
    """SQL for the ids of matching published datasets, or None when nothing narrows them."""
    positive = [("text", [word]) for word in request.words]
    positive += [(item.field, item.values) for item in request.filters if not item.negate]
    negative = [(item.field, item.values) for item in request.filters if item.negate]
    if not positive and not negative:
        return None
    parts: list[str] = []
    params: list[Any] = []
    if positive:
        for field_name, values in positive:
            sql, branch_params = _branch(field_name, values)
            parts.append(sql if not parts else f"INTERSECT {sql}")
            params += branch_params
    else:
        parts.append(f"SELECT dataset_id FROM {ROWS}")
    for field_name, values in negative:
        sql, branch_params = _branch(field_name, values)
        parts.append(f"EXCEPT {sql}")
        params += branch_params
    return " ".join(parts), params


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def published_total() -> int:
    key = f"opendata:total:{generation()}"
    total = cache.get(key)
    if total is None:
        total = int(_fetch(f"SELECT COUNT(*) FROM {ROWS}", [])[0][0])
        cache.set(key, total, timeout=FACET_CACHE_SECONDS)
    return int(total)


def count_matching(match: tuple[str, list[Any]] | None) -> int:
    if match is None:
        return published_total()
    sql, params = match
    return int(_fetch(f"SELECT COUNT(*) FROM ({sql}) AS m", params)[0][0])


def _tally(rows_sql: str, params: list[Any]) -> Counter[str]:
    """How often each facet code occurs in the search rows `rows_sql` selects (alias s): the database
    concatenates their codes into one string, and Counter tallies its characters."""
    concat = "string_agg(s.facets, '')" if connection.vendor == "postgresql" else "group_concat(s.facets, '')"
    joined = _fetch(f"SELECT {concat} {rows_sql}", params)[0][0]
    return Counter(joined or "")


def _all_facet_codes() -> dict[str, int]:
    key = f"opendata:facets:{generation()}:*"
    counts = cache.get(key)
    if counts is None:
        counts = dict(_tally(f"FROM {ROWS} s", []))
        cache.set(key, counts, timeout=FACET_CACHE_SECONDS)
    return dict(counts)


def _facet_values(
    match: tuple[str, list[Any]] | None, *, count: int, total: int
) -> dict[tuple[str, str], int]:
    """{(field, value): count} over the matching datasets, for all facet fields at once."""
    if match is None:
        key = f"opendata:facets:{generation()}:*:values"
    else:
        inner, params = match
        digest = hashlib.sha256(json.dumps([inner, params], ensure_ascii=False, default=str).encode())
        key = f"opendata:facets:{generation()}:{digest.hexdigest()}"
    values = cache.get(key)
    if values is not None:
        return dict(values)
    if match is None:
        codes = _all_facet_codes()
    elif count * 2 > total:
        # Most datasets match: tally the few that do not and subtract them from the cached totals.
        rest = _tally(f"FROM {ROWS} s WHERE s.dataset_id NOT IN ({inner})", params)
        codes = {char: n - rest[char] for char, n in _all_facet_codes().items() if n > rest[char]}
    else:
        codes = _tally(f"FROM ({inner}) AS m JOIN {ROWS} s ON s.dataset_id = m.dataset_id", params)
    names = facets.decode(codes)
    values = {names[char]: n for char, n in codes.items() if char in names}
    cache.set(key, values, timeout=FACET_CACHE_SECONDS)
    return values


def facet_counts(
    match: tuple[str, list[Any]] | None,
    fields: list[str],
    *,
    limit: int,
    mincount: int,
    count: int,
    total: int,
) -> dict[str, list[tuple[str, int]]]:
    """{field: [(value, count)]}, most frequent first, at most `limit` values a field (-1: all).

    Counted for every facet field at once, so searches that differ only in facet.field share the work;
    cached under the index generation, which every publish, change or withdrawal bumps.
    """
    if not fields:
        return {}
    grouped: dict[str, list[tuple[str, int]]] = {name: [] for name in fields}
    if count:
        for (name, value), n in _facet_values(match, count=count, total=total).items():
            if name in grouped and n >= max(mincount, 1):
                grouped[name].append((value, n))
    for counts in grouped.values():
        counts.sort(key=lambda pair: (-pair[1], pair[0]))
        if limit >= 0:
            del counts[limit:]
    return grouped


GENERATION_KEY = "opendata:generation"


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        value = time.time_ns()
        cache.add(GENERATION_KEY, value, timeout=None)
        value = cache.get(GENERATION_KEY, value)
    return int(value)


def bump_generation() -> None:
    """Called whenever the published set or its terms change: cached facets are then recomputed."""
    cache.set(GENERATION_KEY, time.time_ns(), timeout=None)


ORDER_COLUMNS = {"modified_at": "modified_at", "created_at": "created_at", "name": "name", "title": "title"}


def _order_by(request: SearchRequest, *, score: bool) -> str:
    """ORDER BY of the requested sort (score only when `score`); ties by id in the last key's direction,
    so that an index on (key, dataset) serves the whole ORDER BY."""
    order: list[str] = []
    last_descending = True
    for name, descending in request.sort:
        if name == "score":
            if score:
                order.append("score DESC" if descending else "score")
            continue
        order.append(f"s.{ORDER_COLUMNS[name]} {'DESC' if descending else 'ASC'}")
        last_descending = descending
    order.append(f"s.dataset_id {'DESC' if last_descending else 'ASC'}")
    return ", ".join(order)


def _ordered(
    ids_sql: str, params: list[Any], *, size: int, total: int, order: str, limit: int, offset: int
) -> list[int]:
    """`limit` ids from `offset` of a set of `size` datasets, in `order` (without score).

    Either walk the sort key's index and test each row's membership (about (offset + limit) × total /
    size rows to read), or join the set to its rows and sort them (size rows): whichever reads less.
    The unary plus keeps SQLite from driving the walk by the id list instead of the index.
    """
    if size <= 0 or limit <= 0 or offset >= size:
        return []
    if (offset + limit) * total <= size * size:
        source = f"{ROWS} s WHERE +s.dataset_id IN ({ids_sql})"
    else:
        source = f"({ids_sql}) AS m JOIN {ROWS} s ON s.dataset_id = m.dataset_id"
    sql = f"SELECT s.dataset_id FROM {source} ORDER BY {order} LIMIT %s OFFSET %s"
    return [row[0] for row in _fetch(sql, [*params, limit, offset])]


def _scored_page(
    request: SearchRequest, match: tuple[str, list[Any]], *, count: int, total: int, descending: bool
) -> list[int]:
    """Score first: the matches with every word in their title, then the others, each part in the
    remaining sort order — two ordered reads instead of scoring and sorting every match."""
    inner, params = match
    title_sql = " INTERSECT ".join(_branch("title", [word])[0] for word in request.words)
    title_params = [value for word in request.words for value in ("title", word)]
    if request.filters:  # title words are text words, so without filters the title set lies inside the match
        title_sql, title_params = f"{title_sql} INTERSECT {inner}", [*title_params, *params]
    in_title = int(_fetch(f"SELECT COUNT(*) FROM ({title_sql}) AS t", title_params)[0][0])
    rest_sql, rest_params = f"{inner} EXCEPT {title_sql}", [*params, *title_params]
    parts = [(title_sql, title_params, in_title), (rest_sql, rest_params, count - in_title)]
    if not descending:
        parts.reverse()
    order = _order_by(request, score=False)
    ids: list[int] = []
    offset, limit = request.start, request.rows
    for sql, sql_params, size in parts:
        ids += _ordered(sql, sql_params, size=size, total=total, order=order, limit=limit, offset=offset)
        limit = request.rows - len(ids)
        offset = max(0, offset - size)
        if limit <= 0:
            break
    return ids


def page_ids(
    request: SearchRequest,
    match: tuple[str, list[Any]] | None,
    *,
    count: int | None,
    total: int,
) -> tuple[list[int], int | None]:
    """The ids of one page, in the requested order (score: every word in the title ranks first).

    count None (a set expression not counted yet): the page query counts the matches too, with a window
    count over the same evaluation, and returns that count when the page is not empty.
    """
    first = request.sort[0] if request.sort else ("", False)
    if match is None:
        order = _order_by(request, score=False)
        sql = f"SELECT s.dataset_id FROM {ROWS} s ORDER BY {order} LIMIT %s OFFSET %s"
        return [row[0] for row in _fetch(sql, [request.rows, request.start])], None
    inner, params = match
    if count is not None and request.words and first[0] == "score":
        return _scored_page(request, match, count=count, total=total, descending=first[1]), None
    if count is not None and not (request.words and any(name == "score" for name, _d in request.sort)):
        order = _order_by(request, score=False)
        ids = _ordered(
            inner, params, size=count, total=total, order=order, limit=request.rows, offset=request.start
        )
        return ids, None
    select_params: list[Any] = []
    score = ""
    if request.words and any(name == "score" for name, _desc in request.sort):
        title = " INTERSECT ".join(_branch("title", [word])[0] for word in request.words)
        select_params = [value for word in request.words for value in ("title", word)]
        score = f", CASE WHEN s.dataset_id IN ({title}) THEN 1 ELSE 0 END AS score"
    counted = ", COUNT(*) OVER () AS total" if count is None else ""
    source = f"({inner}) AS m JOIN {ROWS} s ON s.dataset_id = m.dataset_id"
    order = _order_by(request, score=bool(score))
    sql = f"SELECT s.dataset_id{score}{counted} FROM {source} ORDER BY {order} LIMIT %s OFFSET %s"
    rows = _fetch(sql, [*select_params, *params, request.rows, request.start])
    return [row[0] for row in rows], (int(rows[0][-1]) if count is None and rows else None)


def _compound(request: SearchRequest) -> bool:
    """More than one index range (an INTERSECT or EXCEPT): evaluating the match is the costly part."""
    return len(request.words) + len(request.filters) > 1 or any(item.negate for item in request.filters)


@dataclass
class SearchResult:
    count: int
    datasets: list[Dataset]
    facets: dict[str, list[tuple[str, int]]]
    sort: str
    documents: list[str] = field(default_factory=list)


def search(request: SearchRequest, *, documents: bool = False) -> SearchResult:
    """Count, one page (dataset objects, or their stored JSON documents) and the facets."""
    match = match_sql(request)
    total = published_total()
    ids: list[int] = []
    count: int | None = None
    if match is not None and request.rows and _compound(request):
        # A set expression: count it in the page query (a window count) instead of evaluating it twice.
        ids, count = page_ids(request, match, count=None, total=total)
    if count is None:
        count = count_matching(match)
        if request.rows and request.start < count:
            ids, _count = page_ids(request, match, count=count, total=total)
    page: list[Dataset] = []
    stored: list[str] = []
    if ids:
        if documents:
            marks = ", ".join(["%s"] * len(ids))
            by_id = dict(_fetch(f"SELECT id, document FROM {DATASETS} WHERE id IN ({marks})", ids))
            stored = [by_id[pk] for pk in ids if pk in by_id]
        else:
            rows = Dataset.objects.filter(pk__in=ids).select_related("organisation", "spatial")
            by_pk = {d.pk: d for d in rows.prefetch_related("themes", "resources")}
            page = [by_pk[pk] for pk in ids if pk in by_pk]
    facets = facet_counts(
        match,
        request.facet_fields,
        limit=request.facet_limit,
        mincount=request.facet_mincount,
        count=count,
        total=total,
    )
    return SearchResult(count, page, facets, request.sort_text, stored)
