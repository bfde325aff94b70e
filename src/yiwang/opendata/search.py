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

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.utils.translation import gettext as _

from yiwang.opendata.models import Dataset, DatasetStatus, DatasetTerm

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
# a range of the covering index (field, value, dataset), on SQLite and PostgreSQL alike. Counting,
# facets and the page then read that set; when it is small against the whole, they walk from it to the
# rows by key, and when it is large, they scan the ordered index and test membership, stopping at LIMIT.

TERMS = DatasetTerm._meta.db_table
DATASETS = Dataset._meta.db_table
SMALL_SHARE = 0.2  # below this share of all datasets, drive joins from the matching set


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
        parts.append(f"SELECT id AS dataset_id FROM {DATASETS} WHERE status = %s")
        params.append(DatasetStatus.PUBLISHED)
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
    return Dataset.objects.filter(status=DatasetStatus.PUBLISHED).count()


def count_matching(match: tuple[str, list[Any]] | None) -> int:
    if match is None:
        return published_total()
    sql, params = match
    return int(_fetch(f"SELECT COUNT(*) FROM ({sql}) AS m", params)[0][0])


def _facet_rows(
    match: tuple[str, list[Any]] | None, fields: list[str], *, small: bool
) -> list[tuple[Any, ...]]:
    marks = ", ".join(["%s"] * len(fields))
    group = "GROUP BY t.field, t.value"
    if match is None:  # terms exist only for published datasets: count them directly
        return _fetch(
            f"SELECT t.field, t.value, COUNT(*) FROM {TERMS} t WHERE t.field IN ({marks}) {group}", fields
        )
    inner, params = match
    if small:
        sql = (
            f"SELECT t.field, t.value, COUNT(*) FROM ({inner}) AS m JOIN {TERMS} t "
            f"ON t.dataset_id = m.dataset_id AND t.field IN ({marks}) {group}"
        )
        return _fetch(sql, [*params, *fields])
    sql = f"SELECT t.field, t.value, COUNT(*) FROM {TERMS} t WHERE t.field IN ({marks}) AND t.dataset_id IN ({inner}) {group}"
    return _fetch(sql, [*fields, *params])


def facet_counts(
    match: tuple[str, list[Any]] | None, fields: list[str], *, limit: int, mincount: int, small: bool
) -> dict[str, list[tuple[str, int]]]:
    """{field: [(value, count)]}, most frequent first, for all requested fields in one query.

    Unnarrowed facets (the portal's front page, `q=*:*`) are the same for everybody until a dataset is
    published, changed or withdrawn, so they are cached under the index generation.
    """
    if not fields:
        return {}
    key = None
    if match is None:
        key = f"opendata:facets:{generation()}:{','.join(sorted(fields))}"
        rows = cache.get(key)
        if rows is None:
            rows = _facet_rows(None, fields, small=False)
            cache.set(key, rows, timeout=3600)
    else:
        rows = _facet_rows(match, fields, small=small)
    grouped: dict[str, list[tuple[str, int]]] = {name: [] for name in fields}
    for field_name, value, count in rows:
        if count >= max(mincount, 1):
            grouped[field_name].append((value, int(count)))
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


def page_ids(request: SearchRequest, match: tuple[str, list[Any]] | None, *, small: bool) -> list[int]:
    """The ids of one page, in the requested order (score: every word in the title ranks first)."""
    order: list[str] = []
    params: list[Any] = []
    select_params: list[Any] = []
    score = ""
    if request.words and any(name == "score" for name, _desc in request.sort):
        title = " INTERSECT ".join(_branch("title", [word])[0] for word in request.words)
        for word in request.words:
            select_params += ["title", word]
        score = f", CASE WHEN d.id IN ({title}) THEN 1 ELSE 0 END AS score"
    for name, descending in request.sort:
        if name == "score":
            if score:
                order.append("score DESC" if descending else "score")
            continue
        column = ORDER_COLUMNS[name]
        order.append(f"d.{column} {'DESC' if descending else 'ASC'}")
    order.append("d.id DESC")
    if match is None:
        source, where = f"{DATASETS} d", "d.status = %s"
        params.append(DatasetStatus.PUBLISHED)
    else:
        inner, inner_params = match
        if small:
            source = f"({inner}) AS m JOIN {DATASETS} d ON d.id = m.dataset_id"
            where = "1 = 1"
        else:
            source, where = f"{DATASETS} d", f"d.status = %s AND d.id IN ({inner})"
            params.append(DatasetStatus.PUBLISHED)
        params = inner_params + params if small else params + inner_params
    sql = f"SELECT d.id{score} FROM {source} WHERE {where} ORDER BY {', '.join(order)} LIMIT %s OFFSET %s"
    return [row[0] for row in _fetch(sql, [*select_params, *params, request.rows, request.start])]


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
    count = count_matching(match)
    small = match is not None and count < SMALL_SHARE * max(published_total(), 1)
    page: list[Dataset] = []
    stored: list[str] = []
    if request.rows and request.start < count:
        ids = page_ids(request, match, small=small)
        if documents:
            by_id = dict(Dataset.objects.filter(pk__in=ids).values_list("pk", "document"))
            stored = [by_id[pk] for pk in ids if pk in by_id]
        else:
            rows = Dataset.objects.filter(pk__in=ids).select_related("organisation", "spatial")
            by_pk = {d.pk: d for d in rows.prefetch_related("themes", "resources")}
            page = [by_pk[pk] for pk in ids if pk in by_pk]
    facets = facet_counts(
        match, request.facet_fields, limit=request.facet_limit, mincount=request.facet_mincount, small=small
    )
    return SearchResult(count, page, facets, request.sort_text, stored)
