"""Keeps the search index in step with publication, and rebuilds it.

`index_implementations` brings the rows of some implementations in line with the catalogue (indexed if
published, removed otherwise); the catalogue's "catalog.published" / "catalog.withdrawn" events call it
after commit. `reindex_all` rebuilds everything in batches; readers keep seeing a complete index while it
runs (each batch replaces its own id range in one short transaction).
"""

from __future__ import annotations

import heapq
import logging
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from yiwang.catalog.models import (
    Faq,
    GuideStatus,
    GuideVersion,
    Implementation,
    Material,
    PublicStatus,
    Theme,
)
from yiwang.core import audit, events
from yiwang.core.models import Organisation
from yiwang.search import vocabulary
from yiwang.search.backends.base import document_filter_tokens
from yiwang.search.models import SearchDocument, SearchDocumentTheme, SearchState, SearchTerm, TermKind
from yiwang.search.segment import get_segmenter
from yiwang.search.text import RUN, cjk_chars, compact, is_cjk, pinyin_forms

logger = logging.getLogger("yiwang.search")

DEFAULT_BATCH_SIZE = 2000
MAX_PINYIN_RUN = 40  # longer names get pinyin for their whole and their words only
ALIAS_SEPARATORS = "、,，;；/|\n"

TermKey = tuple[str, str]


@dataclass
class Source:
    """The catalogue facts of one published implementation that search needs."""

    implementation_id: int
    implementation_code: str
    name: str
    basic_name: str
    aliases: list[str]
    organisation_id: int
    organisation_name: str
    organisation_short_name: str
    region_code: str
    region_name: str
    item_type: str
    for_person: bool
    for_enterprise: bool
    online_depth: int | None
    popularity: int
    materials: list[str] = field(default_factory=list)
    themes: list[tuple[str, str]] = field(default_factory=list)
    faqs: list[str] = field(default_factory=list)
    node: str = ""  # the regional node a hub's copy came from ("" for this deployment's own items)


def split_aliases(text: str) -> list[str]:
    for separator in ALIAS_SEPARATORS[1:]:
        text = text.replace(separator, ALIAS_SEPARATORS[0])
    return list(dict.fromkeys(part.strip() for part in text.split(ALIAS_SEPARATORS[0]) if part.strip()))


def _published() -> Any:
    return Implementation.objects.filter(
        public_status=PublicStatus.PUBLISHED, published_version__status=GuideStatus.PUBLISHED
    )


_SOURCE_FIELDS = (
    "id",
    "implementation_code",
    "name",
    "item_type",
    "for_person",
    "for_enterprise",
    "online_depth",
    "popularity",
    "published_version_id",
    "published_version__name",
    "published_version__aliases",
    "published_version__item_type",
    "published_version__online_depth",
    "basic_item__name",
    "organisation_id",
    "organisation__name",
    "organisation__short_name",
    "region_id",
    "region__name",
)


def fetch_sources(ids: Iterable[int]) -> list[Source]:
    """The sources of those of `ids` that are published (five queries, whatever the number of ids)."""
    rows = list(_published().filter(pk__in=list(ids)).order_by("pk").values(*_SOURCE_FIELDS))
    guide_ids = [row["published_version_id"] for row in rows]
    materials: dict[int, list[str]] = defaultdict(list)
    for guide_id, name in (
        Material.objects.filter(guide_id__in=guide_ids)
        .order_by("guide_id", "order", "id")
        .values_list("guide_id", "name")
    ):
        if name not in materials[guide_id]:
            materials[guide_id].append(name)
    faqs: dict[int, list[str]] = defaultdict(list)
    for guide_id, question in (
        Faq.objects.filter(guide_id__in=guide_ids)
        .order_by("guide_id", "order", "id")
        .values_list("guide_id", "question")
    ):
        faqs[guide_id].append(question)
    themes: dict[int, list[tuple[str, str]]] = defaultdict(list)
    through = GuideVersion.themes.through
    for guide_id, code, name in (
        through.objects.filter(guideversion_id__in=guide_ids)
        .order_by("guideversion_id", "theme__order", "theme__code")
        .values_list("guideversion_id", "theme__code", "theme__name")
    ):
        themes[guide_id].append((code, name))
    sources = []
    for row in rows:
        guide_id = row["published_version_id"]
        sources.append(
            Source(
                implementation_id=row["id"],
                implementation_code=row["implementation_code"],
                name=row["name"] or row["published_version__name"] or row["basic_item__name"],
                basic_name=row["basic_item__name"] or "",
                aliases=split_aliases(row["published_version__aliases"] or ""),
                organisation_id=row["organisation_id"],
                organisation_name=row["organisation__name"] or "",
                organisation_short_name=row["organisation__short_name"] or "",
                region_code=row["region_id"],
                region_name=row["region__name"] or "",
                item_type=row["item_type"] or row["published_version__item_type"] or "",
                for_person=bool(row["for_person"]),
                for_enterprise=bool(row["for_enterprise"]),
                online_depth=row["online_depth"]
                if row["online_depth"] is not None
                else row["published_version__online_depth"],
                popularity=row["popularity"] or 0,
                materials=materials.get(guide_id, []),
                themes=themes.get(guide_id, []),
                faqs=faqs.get(guide_id, []),
            )
        )
    return sources


# -- turning a source into a document ---------------------------------------------------------------------


def _tokens(texts: Iterable[str]) -> list[str]:
    segmenter = get_segmenter()
    found: dict[str, None] = {}
    for text in texts:
        if text:
            for token in segmenter.index_tokens(text):
                found[token] = None
    return list(found)


@lru_cache(maxsize=200_000)
def pinyin_tokens(text: str) -> tuple[str, ...]:
    """Full pinyin and initials of the whole text, of each of its words, and of every run of 2–5
    characters (so 换领 is found as huanling even where jieba has no such word): 身份证 → shenfenzheng sfz …"""
    found: dict[str, None] = {}
    runs = [run for run in RUN.findall(compact(text)) if is_cjk(run)]
    pieces = list(runs)
    pieces += [token for token in get_segmenter().index_tokens(text) if is_cjk(token) and len(token) >= 2]
    for run in runs:
        if len(run) <= MAX_PINYIN_RUN:
            pieces += [
                run[start : start + length]
                for length in range(2, min(5, len(run)) + 1)
                for start in range(len(run) - length + 1)
            ]
    for piece in dict.fromkeys(pieces):
        for form in pinyin_forms(piece):
            if len(form) >= 2:
                found[form] = None
    return tuple(found)


def _keys(values: Iterable[str], limit: int) -> str:
    text = "|"
    for value in values:
        key = compact(value)
        if key and len(text) + len(key) + 1 <= limit:
            text += f"{key}|"
    return text if text != "|" else ""


def document_terms(
    *,
    name: str,
    basic_name: str,
    aliases: Iterable[str],
    materials: Iterable[str],
    organisation: Iterable[str],
    themes: Iterable[str],
    name_tokens: Iterable[str],
) -> dict[TermKey, str]:
    """The vocabulary entries one document contributes, each with the text it was written as."""
    terms: dict[TermKey, str] = {}
    for values, kind in (
        ((name, basic_name), TermKind.NAME),
        (aliases, TermKind.ALIAS),
        (materials, TermKind.MATERIAL),
        (organisation, TermKind.ORGANISATION),
        (themes, TermKind.THEME),
        ((token for token in name_tokens if len(token) >= 2 and is_cjk(token)), TermKind.WORD),
    ):
        for value in values:
            entry = _term_entry(value)
            if entry is not None:
                terms.setdefault((entry[0], kind), entry[1])
    return terms


@lru_cache(maxsize=200_000)
def _term_entry(value: str) -> tuple[str, str] | None:
    """(term, display) for a catalogue text, or None when it cannot be a term."""
    term = compact(value)
    return (term, value.strip()[:200]) if vocabulary.usable(term) else None


def source_terms(source: Source) -> dict[TermKey, str]:
    return document_terms(
        name=source.name,
        basic_name=source.basic_name,
        aliases=source.aliases,
        materials=source.materials,
        organisation=[source.organisation_name, source.organisation_short_name],
        themes=[name for _, name in source.themes],
        name_tokens=_tokens([source.name, source.basic_name]),
    )


def stored_terms(document: SearchDocument) -> dict[TermKey, str]:
    return document_terms(
        name=document.name,
        basic_name=document.basic_name,
        aliases=split_aliases(document.aliases),
        materials=document.materials.splitlines(),
        organisation=[document.organisation_name, document.organisation_short_name],
        themes=document.themes.splitlines(),
        name_tokens=document.tok_name.split(),
    )


DocumentRow = dict[str, Any]
ThemeRow = tuple[int, str]


def build_document(source: Source, rank_id: int) -> tuple[DocumentRow, list[ThemeRow]]:
    """The index row of one source (column → value) and its theme rows."""
    names = (
        [source.name]
        if compact(source.basic_name) == compact(source.name)
        else [source.name, source.basic_name]
    )
    pinyin: dict[str, None] = {}
    for text in (*names, *source.aliases):
        pinyin.update(dict.fromkeys(pinyin_tokens(text)))
    grams = cjk_chars("".join(compact(text) for text in (*names, *source.aliases)))
    theme_codes = list(dict.fromkeys(code for code, _ in source.themes))
    filters = document_filter_tokens(
        region_code=source.region_code,
        organisation_id=source.organisation_id,
        item_type=source.item_type,
        for_person=source.for_person,
        for_enterprise=source.for_enterprise,
        theme_codes=theme_codes,
        online_depth=source.online_depth,
    )
    row: DocumentRow = {
        "implementation_id": source.implementation_id,
        "implementation_code": source.implementation_code,
        "node": source.node,
        "rank_id": rank_id,
        "name": source.name[:200],
        "basic_name": source.basic_name[:200],
        "name_key": compact(source.name)[:200],
        "alias_keys": _keys([*source.aliases, *names[1:]], 400),
        "organisation_id": source.organisation_id,
        "organisation_name": source.organisation_name[:128],
        "organisation_short_name": source.organisation_short_name[:64],
        "region_code": source.region_code,
        "region_name": source.region_name[:64],
        "item_type": source.item_type,
        "for_person": source.for_person,
        "for_enterprise": source.for_enterprise,
        "online_depth": source.online_depth,
        "popularity": source.popularity,
        "aliases": "、".join(source.aliases)[:300],
        "materials": "\n".join(source.materials),
        "themes": "\n".join(name for _, name in source.themes),
        "faq": "\n".join(source.faqs),
        "tok_name": " ".join(_tokens(names)),
        "tok_aliases": " ".join(_tokens(source.aliases)),
        "tok_pinyin": " ".join(pinyin),
        "tok_materials": " ".join(_tokens(source.materials)),
        "tok_themes": " ".join(_tokens(name for _, name in source.themes)),
        "tok_org": " ".join(
            _tokens([source.organisation_name, source.organisation_short_name, source.region_name])
        ),
        "tok_faq": " ".join(_tokens(source.faqs)),
        "tok_grams": " ".join(grams),
        "tok_filters": " ".join(filters),
    }
    return row, [(source.implementation_id, code) for code in theme_codes]


def delete_documents(ids: list[int]) -> None:
    """Remove index rows by implementation id, in plain SQL (no model instances)."""
    documents = SearchDocument._meta.db_table
    themes = SearchDocumentTheme._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {themes} WHERE document_id IN ({marks})", chunk)  # noqa: S608
            cursor.execute(f"DELETE FROM {documents} WHERE implementation_id IN ({marks})", chunk)  # noqa: S608


def write_documents(built: list[tuple[DocumentRow, list[ThemeRow]]]) -> None:
    """Insert index rows with plain executemany (the ORM's per-field preparation costs more than the
    insert itself at a million rows). The FTS5 triggers or the match-table trigger do the rest."""
    if not built:
        return
    now = timezone.now()
    columns = [str(field.column) for field in SearchDocument._meta.concrete_fields]
    documents = SearchDocument._meta.db_table
    themes = SearchDocumentTheme._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {documents} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})",  # noqa: S608
            [[now if column == "indexed_at" else row[column] for column in columns] for row, _ in built],
        )
        theme_rows = [theme for _, rows in built for theme in rows]
        if theme_rows:
            cursor.executemany(
                f"INSERT INTO {themes} (document_id, theme_code) VALUES (%s, %s)",  # noqa: S608
                theme_rows,
            )


# -- keeping in step ----------------------------------------------------------------------------------------


def allocate_ranks(count: int) -> int:
    """Reserve `count` consecutive static-rank numbers and return the first (call inside a transaction)."""
    state, _ = SearchState.objects.select_for_update().get_or_create(pk=1)
    first = state.next_rank
    SearchState.objects.filter(pk=1).update(next_rank=first + count)
    return first


def index_implementations(ids: Iterable[int]) -> int:
    """Bring the index rows of these implementations in line with the catalogue. Returns rows indexed.

    A re-published item keeps its static rank; a new one goes to the end (the least popular) until the
    next `reindex_all` ranks everything by popularity again.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return 0
    vocabulary.get_vocabulary()  # loads the domain dictionary into this process's jieba
    with transaction.atomic():
        # Lock the implementations so two updates of the same item queue instead of racing.
        list(Implementation.objects.select_for_update().filter(pk__in=wanted).values_list("pk", flat=True))
        return _replace_documents(wanted, fetch_sources(wanted))


def index_sources(wanted: Iterable[int], sources: list[Source]) -> int:
    """Like `index_implementations`, for documents that are not local implementations (an external
    catalogue's, with negative ids): rows of `wanted` not among `sources` are removed. The caller holds
    the locks that order concurrent updates of the same items (its own rows), inside its transaction."""
    global _segmenter_primed
    wanted = sorted(set(wanted) | {source.implementation_id for source in sources})
    if not wanted:
        return 0
    if not _segmenter_primed:
        # The domain dictionary once per process, then each batch teaches its own new terms: reloading the
        # whole vocabulary before every batch (its stamp changes with each batch of new items) would make
        # a national sync quadratic in the number of terms.
        vocabulary.get_vocabulary()
        _segmenter_primed = True
    with transaction.atomic():
        return _replace_documents(wanted, sources)


_segmenter_primed = False


def _replace_documents(wanted: list[int], sources: list[Source]) -> int:
    """Replace the rows of `wanted` by the documents of `sources`, keeping static ranks and term counts."""
    new_terms = {source.implementation_id: source_terms(source) for source in sources}
    vocabulary.teach_segmenter(key for terms in new_terms.values() for key in terms)
    old_documents = {document.pk: document for document in SearchDocument.objects.filter(pk__in=wanted)}
    newcomers = [source for source in sources if source.implementation_id not in old_documents]
    next_rank = allocate_ranks(len(newcomers)) if newcomers else 0
    built = []
    for source in sources:
        old = old_documents.get(source.implementation_id)
        if old is not None:
            rank_id = old.rank_id
        else:
            rank_id, next_rank = next_rank, next_rank + 1
        built.append(build_document(source, rank_id))
    delta: Counter[TermKey] = Counter()
    displays: dict[TermKey, str] = {}
    for document in old_documents.values():
        delta.subtract(stored_terms(document).keys())
    for terms in new_terms.values():
        delta.update(terms.keys())
        displays.update(terms)
    delete_documents(wanted)
    write_documents(built)
    if _apply_term_delta(delta, displays):
        transaction.on_commit(vocabulary.invalidate)
    return len(built)


def remove_implementations(ids: Iterable[int]) -> int:
    """Drop these implementations from the index (whatever their state in the catalogue)."""
    wanted = sorted(set(ids))
    with transaction.atomic():
        documents = list(SearchDocument.objects.filter(pk__in=wanted))
        delta: Counter[TermKey] = Counter()
        for document in documents:
            delta.subtract(stored_terms(document).keys())
        delete_documents(wanted)
        if _apply_term_delta(delta, {}):
            transaction.on_commit(vocabulary.invalidate)
    return len(documents)


def _apply_term_delta(delta: Counter[TermKey], displays: dict[TermKey, str]) -> bool:
    """Add `delta` to the terms' document counts; True when a term appeared or disappeared (stamp bumped)."""
    changes = {key: change for key, change in delta.items() if change}
    if not changes:
        return False
    existing: dict[TermKey, int] = {}
    for term, kind, count in SearchTerm.objects.filter(term__in={term for term, _ in changes}).values_list(
        "term", "kind", "doc_count"
    ):
        existing[(term, kind)] = count
    missing = [key for key in changes if key not in existing]
    if missing:
        SearchTerm.objects.bulk_create(
            [vocabulary.term_row(term, kind, 0, displays.get((term, kind), term)) for term, kind in missing],
            ignore_conflicts=True,
        )
    appeared_or_vanished = False
    rows = []
    for (term, kind), change in changes.items():
        before = existing.get((term, kind), 0)
        rows.append((before + change, term, kind))
        if (before > 0) != (before + change > 0):
            appeared_or_vanished = True
    # One executemany, not an ORM update per term: a batch of new documents changes thousands of terms.
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {SearchTerm._meta.db_table} SET doc_count = %s WHERE term = %s AND kind = %s",  # noqa: S608
            rows,
        )
    if appeared_or_vanished:
        vocabulary.bump_stamp()
    return appeared_or_vanished


def sync_popularity() -> int:
    """Copy Implementation.popularity into the index (popularity changes more often than publications).

    This refreshes the popularity nudge in relevance; the static rank order follows at the next reindex.
    """
    return SearchDocument.objects.filter(node="").update(
        popularity=Subquery(Implementation.objects.filter(pk=OuterRef("pk")).values("popularity")[:1])
    )


# -- documents from elsewhere -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExternalCatalogue:
    """Index documents that are not this deployment's implementations — on the national hub, the items the
    regional nodes pushed (federation) — with negative ids. The owner indexes them as they change
    (`index_sources`, `remove_implementations`); `reindex_all` rebuilds and ranks them with the local ones.

    ranked: (popularity, implementation code, document id) of every document, most popular first, then by
    code; fetch: the sources of those of the given ids it holds; words: the domain words of its documents.
    """

    ranked: Callable[[], Iterable[tuple[int, str, int]]]
    fetch: Callable[[list[int]], list[Source]]
    words: Callable[[], Iterable[str]]


_external: list[ExternalCatalogue] = []


def register_external(catalogue: ExternalCatalogue) -> None:
    if catalogue not in _external:
        _external.append(catalogue)


def _fetch_any(ids: list[int]) -> list[Source]:
    local = [pk for pk in ids if pk > 0]
    others = [pk for pk in ids if pk < 0]
    sources = fetch_sources(local) if local else []
    for catalogue in _external if others else ():
        sources += catalogue.fetch(others)
    return sources


def _on_published(event: str, payload: dict[str, Any]) -> None:
    index_implementations([int(payload["implementation_id"])])


def _on_withdrawn(event: str, payload: dict[str, Any]) -> None:
    remove_implementations([int(payload["implementation_id"])])


def connect_events() -> None:
    events.subscribe("catalog.published", _on_published)
    events.subscribe("catalog.withdrawn", _on_withdrawn)


# -- rebuilding ---------------------------------------------------------------------------------------------


@dataclass
class ReindexReport:
    documents: int
    terms: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.documents / self.seconds if self.seconds > 0 else 0.0


def dictionary_words() -> set[str]:
    """Every domain word of the published catalogue, for jieba, before any document is cut."""
    words: set[str] = set()
    published = _published()
    for name, aliases, basic_name in published.values_list(
        "name", "published_version__aliases", "basic_item__name"
    ).distinct():
        words.update(compact(text) for text in (name or "", basic_name or "", *split_aliases(aliases or "")))
    words.update(
        compact(name)
        for name in Material.objects.filter(guide__status=GuideStatus.PUBLISHED)
        .values_list("name", flat=True)
        .distinct()
    )
    for name, short_name in Organisation.objects.values_list("name", "short_name"):
        words.update((compact(name), compact(short_name)))
    words.update(compact(name) for name in Theme.objects.values_list("name", flat=True))
    for catalogue in _external:
        words.update(compact(word) for word in catalogue.words())
    words.discard("")
    return words


def _ranked_ids() -> array[int]:
    """Every published implementation id, and every external document's, most popular first: the order
    static ranks are given in (a streaming merge: a national hub may hold millions)."""
    ids: array[int] = array("q")
    local = (
        _published()
        .order_by("-popularity", "implementation_code")
        .values_list("popularity", "implementation_code", "pk")
        .iterator(chunk_size=20_000)
    )
    streams = [local, *(catalogue.ranked() for catalogue in _external)]
    ids.extend(row[2] for row in heapq.merge(*streams, key=lambda row: (-row[0], row[1])))
    return ids


def reindex_all(
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    actor: Any = None,
) -> ReindexReport:
    """Rebuild the whole index and vocabulary from the published catalogue, ranking by popularity.

    Readers keep a complete index throughout: each batch replaces its own rows in one short transaction,
    with static ranks from a freshly reserved range; rows older than that range (items no longer
    published) go at the end. Publications during the run are indexed by their events as usual.
    """
    started = time.perf_counter()
    ids = _ranked_ids()
    if on_total is not None:
        on_total(len(ids))
    with transaction.atomic():
        base = allocate_ranks(len(ids) + 1)
    get_segmenter().add_words(dictionary_words())
    counts: Counter[TermKey] = Counter()
    displays: dict[TermKey, str] = {}
    indexed = 0
    for start in range(0, len(ids), batch_size):
        batch = list(ids[start : start + batch_size])
        position = {
            implementation_id: base + start + offset for offset, implementation_id in enumerate(batch)
        }
        built = []
        for source in _fetch_any(batch):
            terms = source_terms(source)
            counts.update(terms.keys())
            for key, display in terms.items():
                displays.setdefault(key, display)
            built.append(build_document(source, position[source.implementation_id]))
        with transaction.atomic():
            delete_documents(batch)
            write_documents(built)
        indexed += len(built)
        if on_progress is not None:
            on_progress(len(batch))
    with transaction.atomic():
        delete_documents(list(SearchDocument.objects.filter(rank_id__lt=base).values_list("pk", flat=True)))
        SearchTerm.objects.all().delete()
        SearchTerm.objects.bulk_create(
            [
                vocabulary.term_row(term, kind, count, displays.get((term, kind), term))
                for (term, kind), count in counts.items()
            ],
            batch_size=2000,
        )
        vocabulary.bump_stamp()
        seconds = time.perf_counter() - started
        audit.record(
            actor=actor,
            action="search.reindex",
            object_type="search.index",
            object_id="all",
            summary=f"重建搜索索引：{indexed} 个事项，{len(counts)} 个词",
            data={"documents": indexed, "terms": len(counts), "seconds": round(seconds, 1)},
        )
    if connection.vendor == "postgresql":
        _refresh_postgres_tables()
    elif connection.vendor == "sqlite":
        from yiwang.search.backends.sqlite import compact_fulltext

        compact_fulltext()
    vocabulary.invalidate()
    return ReindexReport(documents=indexed, terms=len(counts), seconds=time.perf_counter() - started)


def _refresh_postgres_tables() -> None:
    """Fresh statistics for the planner and, outside a transaction, a vacuum: a reindex rewrites every row,
    and until the visibility map is set again a capped count must visit each matching heap page."""
    tables = (SearchDocument._meta.db_table, "search_match")
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"{command} {table}")
