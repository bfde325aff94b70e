"""The vocabulary of indexed terms, held in memory per process: the jieba domain dictionary, pinyin → words,
one-character typo neighbours and the suggestion lists.

The rows live in SearchTerm; SearchState's stamp changes whenever the set of live terms changes, and every
process compares stamps (one primary-key read) before using its copy, so a publication in one worker is
searchable by its own words in every other worker at once.
"""

from __future__ import annotations

import bisect
import threading
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection

from yiwang.search.models import SearchState, SearchTerm, TermKind
from yiwang.search.segment import get_segmenter
from yiwang.search.text import pinyin_forms

# Kinds whose terms teach jieba (WORD terms come out of jieba already).
DICTIONARY_KINDS = frozenset(
    {TermKind.NAME, TermKind.ALIAS, TermKind.MATERIAL, TermKind.ORGANISATION, TermKind.THEME}
)
SUGGEST_KINDS = frozenset({TermKind.NAME, TermKind.ALIAS})
MAX_TERM_LENGTH = 200


@dataclass
class Vocabulary:
    stamp: str
    counts: dict[str, int] = field(
        default_factory=dict
    )  # term → documents it occurs in (largest of its kinds)
    kinds: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    displays: dict[str, str] = field(default_factory=dict)  # term → how the catalogue writes it
    dictionary_words: list[str] = field(default_factory=list)  # terms that teach jieba
    pinyin_words: dict[str, list[str]] = field(default_factory=dict)  # full pinyin or initials → terms
    pinyin_keys: list[str] = field(default_factory=list)  # sorted keys of pinyin_words
    suggest_terms: list[str] = field(default_factory=list)  # sorted, names and aliases
    suggest_pinyin: list[tuple[str, str]] = field(default_factory=list)  # sorted (pinyin or initials, term)
    _neighbours: dict[str, list[str]] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __contains__(self, term: str) -> bool:
        return term in self.counts

    def count(self, term: str) -> int:
        return self.counts.get(term, 0)

    def display(self, term: str) -> str:
        return self.displays.get(term, term)

    def words_for_pinyin(self, latin: str, limit: int = 5) -> list[str]:
        return self.pinyin_words.get(latin, [])[:limit]

    def words_with_pinyin_prefix(self, prefix: str, limit: int = 5) -> list[str]:
        """Terms whose full pinyin or initials start with `prefix`, most common first."""
        found: dict[str, None] = {}
        start = bisect.bisect_left(self.pinyin_keys, prefix)
        for key in self.pinyin_keys[start : start + 200]:
            if not key.startswith(prefix):
                break
            found.update(dict.fromkeys(self.pinyin_words[key]))
        return sorted(found, key=lambda term: (-self.count(term), len(term), term))[:limit]

    def substitutions(self, word: str) -> list[str]:
        """Known terms of the same length that differ from `word` in exactly one character."""
        neighbours = self._neighbour_index()
        found: dict[str, None] = {}
        for position in range(len(word)):
            key = f"{word[:position]}\x00{word[position + 1 :]}"
            for candidate in neighbours.get(key, ()):
                if candidate != word:
                    found[candidate] = None
        return sorted(found, key=lambda term: (-self.count(term), term))

    def _neighbour_index(self) -> dict[str, list[str]]:
        # Built on first use only: typo correction is the rare path.
        if self._neighbours is None:
            with self._lock:
                if self._neighbours is None:
                    index: dict[str, list[str]] = defaultdict(list)
                    for term in self.counts:
                        if 2 <= len(term) <= 40:
                            for position in range(len(term)):
                                index[f"{term[:position]}\x00{term[position + 1 :]}"].append(term)
                    self._neighbours = dict(index)
        return self._neighbours

    def suggest(self, prefix: str, *, latin: bool, limit: int) -> list[str]:
        """Names and aliases starting with `prefix` (or whose pinyin/initials do), most common first."""
        found: dict[str, None] = {}
        if latin:
            start = bisect.bisect_left(self.suggest_pinyin, (prefix, ""))
            for key, term in self.suggest_pinyin[start:]:
                if not key.startswith(prefix) or len(found) >= limit * 20:
                    break
                found[term] = None
        else:
            start = bisect.bisect_left(self.suggest_terms, prefix)
            for term in self.suggest_terms[start:]:
                if not term.startswith(prefix) or len(found) >= limit * 20:
                    break
                found[term] = None
        return sorted(found, key=lambda term: (-self.count(term), len(term), term))[:limit]

    def containing(self, text: str, *, limit: int) -> list[str]:
        """Names and aliases that contain `text` (a slower fallback for suggestions)."""
        found = [term for term in self.suggest_terms if text in term]
        return sorted(found, key=lambda term: (-self.count(term), len(term), term))[:limit]


_current: Vocabulary | None = None
_load_lock = threading.Lock()


def current_stamp() -> str:
    # Read on every search: plain SQL, the ORM's query building would cost more than the query.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT vocabulary_stamp FROM {SearchState._meta.db_table} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    return str(row[0]) if row and row[0] else ""


def bump_stamp() -> str:
    stamp = uuid.uuid4().hex
    updated = SearchState.objects.filter(pk=1).update(vocabulary_stamp=stamp)
    if not updated:
        SearchState.objects.update_or_create(pk=1, defaults={"vocabulary_stamp": stamp})
    return stamp


def get_vocabulary() -> Vocabulary:
    """This process's vocabulary, reloaded when another process (or this one) changed the terms."""
    global _current
    stamp = current_stamp()
    vocabulary = _current
    if vocabulary is not None and vocabulary.stamp == stamp:
        return vocabulary
    with _load_lock:
        if _current is None or _current.stamp != stamp:
            _current = _load(stamp)
        return _current


def invalidate() -> None:
    """Forget this process's copy (the next use reloads it)."""
    global _current
    _current = None


TermRow = tuple[str, str, str, str, int, str]  # term, kind, pinyin, initials, doc_count, display


def _load(stamp: str) -> Vocabulary:
    rows = SearchTerm.objects.filter(doc_count__gt=0).values_list(
        "term", "kind", "pinyin", "initials", "doc_count", "display"
    )
    vocabulary = build_vocabulary(stamp, rows.iterator(chunk_size=5000))
    get_segmenter().add_words(vocabulary.dictionary_words)
    return vocabulary


def build_vocabulary(stamp: str, rows: Iterable[TermRow]) -> Vocabulary:
    """A vocabulary from term rows (no database access; the loader and tests both use it)."""
    vocabulary = Vocabulary(stamp=stamp)
    pinyin_words: dict[str, dict[str, None]] = defaultdict(dict)
    suggest_terms: set[str] = set()
    suggest_pinyin: set[tuple[str, str]] = set()
    for term, kind, pinyin, initials, doc_count, display in rows:
        if doc_count <= 0:
            continue
        vocabulary.counts[term] = max(vocabulary.counts.get(term, 0), doc_count)
        if kind in SUGGEST_KINDS or term not in vocabulary.displays:
            vocabulary.displays[term] = display or term
        vocabulary.kinds[term].add(kind)
        if kind in DICTIONARY_KINDS:
            vocabulary.dictionary_words.append(term)
        for key in (pinyin, initials):
            if len(key) >= 2:
                pinyin_words[key][term] = None
        if kind in SUGGEST_KINDS:
            suggest_terms.add(term)
            for key in (pinyin, initials):
                if key:
                    suggest_pinyin.add((key, term))
    vocabulary.pinyin_words = {
        key: sorted(terms, key=lambda term: (-vocabulary.counts.get(term, 0), len(term), term))
        for key, terms in pinyin_words.items()
    }
    vocabulary.pinyin_keys = sorted(vocabulary.pinyin_words)
    vocabulary.suggest_terms = sorted(suggest_terms)
    vocabulary.suggest_pinyin = sorted(suggest_pinyin)
    return vocabulary


def term_row(term: str, kind: str, doc_count: int, display: str = "") -> SearchTerm:
    pinyin, initials = pinyin_forms(term)
    return SearchTerm(
        term=term,
        display=(display or term)[:200],
        kind=kind,
        pinyin=pinyin[:400],
        initials=initials[:200],
        doc_count=doc_count,
    )


def usable(term: str) -> bool:
    return 0 < len(term) <= MAX_TERM_LENGTH


def teach_segmenter(terms: Iterable[tuple[str, str]]) -> None:
    """Add domain words to this process's jieba before indexing documents that contain them."""
    get_segmenter().add_words(term for term, kind in terms if kind in DICTIONARY_KINDS)
