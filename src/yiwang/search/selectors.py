"""Search reads: the result page, suggestions while typing, "did you mean" and the empty state.

Passes, each only when the previous found too little: (1) every query piece must match; (2) with fewer than
FEW_RESULTS hits, also the one-character typo correction (offered as "did you mean"); (3) with nothing,
lone characters dropped; (4) with still nothing, all the query's characters anywhere in names or aliases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from yiwang.catalog import codes
from yiwang.catalog.models import Theme
from yiwang.core import selectors as core_selectors
from yiwang.core.models import Organisation
from yiwang.search import highlight
from yiwang.search.backends import Filters, Hit, get_backend
from yiwang.search.models import TOKEN_COLUMNS, SearchDocument
from yiwang.search.query import MAX_QUERY_LENGTH, Expr, ParsedQuery, QueryParser, any_of
from yiwang.search.text import cjk_chars, compact, is_latin
from yiwang.search.vocabulary import get_vocabulary

MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 10
MAX_RESULT_WINDOW = 10_000
FEW_RESULTS = 3
MAX_SUGGESTIONS = 20
EMPTY_STATE_SIZE = 5
AUDIENCES = {"person": codes.Audience.PERSON, "enterprise": codes.Audience.ENTERPRISE}


class SearchParamError(ValueError):
    """A search parameter is wrong; the message (Simplified Chinese) says what and how to fix it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    region: str | None = None
    organisation: int | None = None
    item_type: str | None = None
    audience: str | None = None
    theme: str | None = None
    online_depth: int | None = None
    fully_online: bool = False
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


@dataclass
class SearchResult:
    implementation_id: int
    implementation_code: str
    name: str
    basic_name: str
    organisation: dict[str, Any]
    region: dict[str, str]
    item_type: str
    item_type_label: str
    online_depth: int | None
    highlights: dict[str, str]
    matched_fields: list[str]
    match_kind: str
    score: float
    node: str = ""  # on the national hub: the regional node the item came from ("" for local items)


@dataclass
class EmptyState:
    themes: list[dict[str, str]] = field(default_factory=list)
    organisations: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SearchPage:
    query: str
    normalised_query: str
    total: int
    total_exact: bool
    page: int
    page_size: int
    results: list[SearchResult]
    did_you_mean: str | None = None
    empty_state: EmptyState | None = None


@dataclass
class Suggestion:
    text: str
    kind: str
    count: int


# -- parameters ---------------------------------------------------------------------------------------------


def build_filters(request: SearchRequest) -> Filters:
    """Check every parameter and turn them into filters (raises SearchParamError)."""
    if len(request.q or "") > MAX_QUERY_LENGTH:
        raise SearchParamError(
            "q",
            _("搜索词最长%(max)d个字，您输入了%(n)d个字，请缩短后再试。")
            % {"max": MAX_QUERY_LENGTH, "n": len(request.q)},
        )
    region_prefix = None
    if request.region:
        code = request.region.strip()
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise SearchParamError(
                "region", _("行政区划代码应为6位数字（如 330100），您输入的是“%(code)s”。") % {"code": code}
            )
        region = core_selectors.region_by_code(code)
        if region is None:
            raise SearchParamError(
                "region", _("行政区划代码 %(code)s 不存在，请从地区列表中选择。") % {"code": code}
            )
        region_prefix = region.subtree_prefix
    if request.organisation is not None and (
        request.organisation < 1 or not Organisation.objects.filter(pk=request.organisation).exists()
    ):
        raise SearchParamError(
            "organisation",
            _("实施机构编号 %(id)s 不存在，请从部门列表中选择。") % {"id": request.organisation},
        )
    if request.item_type and request.item_type not in codes.ItemType.values:
        choices = "、".join(f"{value} {label}" for value, label in codes.ItemType.choices)
        raise SearchParamError(
            "item_type",
            _("事项类型“%(value)s”无效，应为以下代码之一：%(choices)s。")
            % {"value": request.item_type, "choices": choices},
        )
    if request.audience and request.audience not in AUDIENCES:
        raise SearchParamError(
            "audience",
            _("服务对象“%(value)s”无效，应为 person（个人）或 enterprise（法人）。")
            % {"value": request.audience},
        )
    if request.theme and not Theme.objects.filter(code=request.theme).exists():
        raise SearchParamError(
            "theme", _("主题代码“%(value)s”不存在，请从主题列表中选择。") % {"value": request.theme}
        )
    if request.online_depth is not None and not 1 <= request.online_depth <= 4:
        raise SearchParamError(
            "online_depth",
            _("网上办理深度应为1到4之间的整数（4 表示全程网办），您输入的是 %(n)s。")
            % {"n": request.online_depth},
        )
    if not 1 <= request.page_size <= MAX_PAGE_SIZE:
        raise SearchParamError(
            "page_size",
            _("每页条数应在1到%(max)d之间，您输入的是 %(n)s。")
            % {"max": MAX_PAGE_SIZE, "n": request.page_size},
        )
    last_page = MAX_RESULT_WINDOW // request.page_size
    if not 1 <= request.page <= last_page:
        raise SearchParamError(
            "page",
            _("页码超出范围：应在1到%(last)d之间，您输入的是 %(n)s。请缩小搜索范围或调大每页条数。")
            % {"last": last_page, "n": request.page},
        )
    return Filters(
        region_prefix=region_prefix,
        organisation_id=request.organisation,
        item_type=request.item_type or None,
        audience=request.audience or None,
        theme_code=request.theme or None,
        min_online_depth=request.online_depth,
        fully_online=request.fully_online,
    )


# -- search -------------------------------------------------------------------------------------------------


def search(request: SearchRequest) -> SearchPage:
    filters = build_filters(request)
    backend = get_backend()
    parser = QueryParser(vocabulary=get_vocabulary())
    parsed = parser.parse(request.q or "")
    offset = (request.page - 1) * request.page_size
    did_you_mean: str | None = None
    used: list[ParsedQuery] = [parsed]
    extra_chars: tuple[str, ...] = ()

    expr: Expr | None = parsed.expr()
    groups: list[Expr] = [group.expr for group in parsed.groups]
    count = backend.count(expr, filters)
    if expr is not None and count.value < FEW_RESULTS:
        corrected_text = parser.correct(parsed.normalised)
        if corrected_text and corrected_text != parsed.normalised:
            corrected = parser.parse(corrected_text)
            combined = any_of([part for part in (expr, corrected.expr()) if part is not None])
            combined_count = backend.count(combined, filters)
            if combined is not None and combined_count.value > count.value:
                expr, count, did_you_mean = combined, combined_count, corrected_text.replace(" ", "")
                groups = [combined]
                used.append(corrected)
    if expr is not None and count.value == 0:
        for fallback in (parsed.relaxed_expr(), parsed.unigram_expr()):
            if fallback is None:
                continue
            fallback_count = backend.count(fallback, filters)
            if fallback_count.value:
                expr, count, groups = fallback, fallback_count, [fallback]
                extra_chars = tuple(cjk_chars(parsed.normalised))
                break

    phrases = tuple(dict.fromkeys(phrase for query in used for phrase in query.phrases()))
    hits = (
        backend.rank(expr, groups, filters, phrases, offset=offset, limit=request.page_size)
        if count.value
        else []
    )
    results = _results(hits, used, extra_chars)
    empty_state = _empty_state(parsed, request, filters) if count.value == 0 and not parsed.is_empty else None
    return SearchPage(
        query=request.q,
        normalised_query=parsed.normalised,
        total=count.value,
        total_exact=count.exact,
        page=request.page,
        page_size=request.page_size,
        results=results,
        did_you_mean=did_you_mean,
        empty_state=empty_state,
    )


def _results(hits: list[Hit], queries: list[ParsedQuery], extra_chars: tuple[str, ...]) -> list[SearchResult]:
    # Without the token columns: a page needs only display text, and the pinyin column alone is larger
    # than the rest of a row.
    documents = SearchDocument.objects.defer(*TOKEN_COLUMNS).in_bulk([hit.implementation_id for hit in hits])
    words = tuple(dict.fromkeys(word for query in queries for word in query.highlight_words()))
    chars = tuple(
        dict.fromkeys((*(char for query in queries for char in query.highlight_chars()), *extra_chars))
    )
    latin = tuple(dict.fromkeys(token for query in queries for token in query.latin_tokens()))
    item_types = dict(codes.ItemType.choices)
    results = []
    for hit in hits:
        document = documents.get(hit.implementation_id)
        if document is None:  # removed between ranking and reading
            continue
        highlights = _highlights(document, words, chars, latin)
        results.append(
            SearchResult(
                implementation_id=document.implementation_id,
                implementation_code=document.implementation_code,
                name=document.name,
                basic_name=document.basic_name,
                organisation={
                    "id": document.organisation_id,
                    "name": document.organisation_name,
                    "short_name": document.organisation_short_name,
                },
                region={"code": document.region_code, "name": document.region_name},
                item_type=document.item_type,
                item_type_label=str(item_types.get(document.item_type, "")),
                online_depth=document.online_depth,
                highlights=highlights,
                matched_fields=list(highlights),
                match_kind=hit.match_kind,
                score=round(hit.relevance, 4),
                node=document.node,
            )
        )
    return results


def _highlights(
    document: SearchDocument, words: tuple[str, ...], chars: tuple[str, ...], latin: tuple[str, ...]
) -> dict[str, str]:
    organisation = document.organisation_name
    if document.organisation_short_name and document.organisation_short_name not in organisation:
        organisation = f"{organisation}（{document.organisation_short_name}）"
    candidates = {
        "name": highlight.mark(document.name, words, chars=chars, latin=latin),
        "aliases": highlight.mark(document.aliases, words, chars=chars, latin=latin),
        "materials": highlight.mark_lines(document.materials.splitlines(), words, separator="；"),
        "themes": highlight.mark_lines(document.themes.splitlines(), words, separator="、"),
        "organisation": highlight.mark(organisation, words),
        "faq": highlight.mark_lines(document.faq.splitlines(), words, separator=" / ", limit=2),
    }
    return {name: html for name, html in candidates.items() if html}


# -- empty state --------------------------------------------------------------------------------------------


def _empty_state(parsed: ParsedQuery, request: SearchRequest, filters: Filters) -> EmptyState:
    """The themes and departments closest to what was asked: those whose names share its characters."""
    text = parsed.normalised + "".join(word for word in parsed.highlight_words())
    chars = set(cjk_chars(text))
    state = EmptyState()

    themes = list(Theme.objects.all())
    if request.audience in AUDIENCES:
        themes = [theme for theme in themes if theme.audience == AUDIENCES[request.audience]] or themes
    scored = sorted(
        ((len(chars & set(theme.name)), theme) for theme in themes),
        key=lambda pair: (-pair[0], pair[1].order, pair[1].code),
    )
    close = [theme for score, theme in scored if score > 0] or [theme for _, theme in scored]
    state.themes = [
        {"code": theme.code, "name": theme.name, "audience": theme.audience}
        for theme in close[:EMPTY_STATE_SIZE]
    ]

    with_items = SearchDocument.objects.all()
    if filters.region_prefix:
        with_items = with_items.filter(
            region_code__gte=filters.region_prefix.ljust(6, "0"),
            region_code__lte=filters.region_prefix.ljust(6, "9"),
        )
    organisations: list[Organisation] = []
    if chars:
        condition = Q()
        for char in sorted(chars)[:12]:
            condition |= Q(name__contains=char) | Q(short_name__contains=char)
        candidates = list(Organisation.objects.filter(condition, is_active=True)[:300])
        live = set(
            with_items.filter(organisation_id__in=[org.pk for org in candidates])
            .values_list("organisation_id", flat=True)
            .distinct()
        )
        ranked = sorted(
            (org for org in candidates if org.pk in live),
            key=lambda org: (
                -len(chars & set(org.short_name or org.name)),
                -len(chars & set(org.name)),
                org.name,
            ),
        )
        organisations = ranked[:EMPTY_STATE_SIZE]
    if not organisations:
        busiest = (
            with_items.values("organisation_id")
            .annotate(items=Count("pk"))
            .order_by("-items")[:EMPTY_STATE_SIZE]
        )
        by_id = Organisation.objects.in_bulk([row["organisation_id"] for row in busiest])
        organisations = [by_id[row["organisation_id"]] for row in busiest if row["organisation_id"] in by_id]
    state.organisations = [
        {"id": org.pk, "name": org.name, "short_name": org.short_name, "region_code": org.region_id}
        for org in organisations
    ]
    return state


# -- suggestions --------------------------------------------------------------------------------------------


def suggest(q: str, limit: int = 10) -> list[Suggestion]:
    """Item names and aliases for what is being typed: by prefix, by pinyin (full or initials) prefix, and
    — when that finds too few — names containing the text."""
    if len(q or "") > MAX_QUERY_LENGTH:
        raise SearchParamError("q", _("输入内容最长%(max)d个字，请缩短后再试。") % {"max": MAX_QUERY_LENGTH})
    if not 1 <= limit <= MAX_SUGGESTIONS:
        raise SearchParamError(
            "limit",
            _("建议条数应在1到%(max)d之间，您输入的是 %(n)s。") % {"max": MAX_SUGGESTIONS, "n": limit},
        )
    text = compact(q or "")
    if not text:
        return []
    vocabulary = get_vocabulary()
    latin = is_latin(text)
    terms = vocabulary.suggest(text, latin=latin, limit=limit)
    if len(terms) < limit:
        # Names that contain the text, or — for pinyin — a word whose pinyin starts with it (sfz → 身份证).
        inner = vocabulary.words_with_pinyin_prefix(text, 3) if latin else ([text] if len(text) >= 2 else [])
        for word in inner:
            terms += [term for term in vocabulary.containing(word, limit=limit) if term not in terms]
    suggestions = []
    for term in terms[:limit]:
        kinds = vocabulary.kinds.get(term, set())
        suggestions.append(
            Suggestion(
                text=vocabulary.display(term),
                kind="name" if "name" in kinds else "alias",
                count=vocabulary.count(term),
            )
        )
    return suggestions
