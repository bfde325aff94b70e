"""Chinese word segmentation with jieba and the domain dictionary (item names, aliases, materials, departments).

One `jieba.Tokenizer` per process, separate from jieba's global one so nobody else's dictionary changes
ours. The index stores, for every field, the union of jieba's search mode and full mode (every dictionary
word found in the text, also inside longer words), so a query word matches wherever it occurs. Queries are
cut in precise mode without HMM: a character sequence the dictionary does not know falls apart into single
characters, which the index holds too (as unigrams of names and aliases, and as leftovers of full mode).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from functools import lru_cache

import jieba

from yiwang.search.text import RUN, is_cjk, normalise

jieba.setLogLevel(logging.WARNING)

# Frequency given to a domain word unless jieba already rates it higher: high enough that precise mode
# keeps the word whole, low enough that it does not swallow its neighbours.
DOMAIN_WORD_FREQUENCY = 3000
MAX_DOMAIN_WORD_LENGTH = 30


class Segmenter:
    def __init__(self) -> None:
        self._tokenizer = jieba.Tokenizer()
        self._lock = threading.Lock()
        self._ready = False
        self._domain_words: set[str] = set()
        # Per-instance caches, cleared whenever the dictionary grows.
        self._index_cache = lru_cache(maxsize=300_000)(self._index_tokens_uncached)
        self._query_cache = lru_cache(maxsize=20_000)(self._query_words_uncached)

    def _ensure_ready(self) -> None:
        if not self._ready:
            with self._lock:
                if not self._ready:
                    self._tokenizer.initialize()
                    self._ready = True

    def add_words(self, words: Iterable[str]) -> int:
        """Teach jieba domain words (already normalised, no spaces). Returns how many were new."""
        self._ensure_ready()
        added = 0
        with self._lock:
            for word in words:
                if word in self._domain_words or not (2 <= len(word) <= MAX_DOMAIN_WORD_LENGTH):
                    continue
                if not is_cjk(word):
                    continue
                self._domain_words.add(word)
                known = self._tokenizer.FREQ.get(word) or 0
                if known < DOMAIN_WORD_FREQUENCY:
                    self._tokenizer.add_word(word, DOMAIN_WORD_FREQUENCY)
                added += 1
        if added:
            self._index_cache.cache_clear()
            self._query_cache.cache_clear()
        return added

    def is_domain_word(self, word: str) -> bool:
        return word in self._domain_words

    def is_word(self, word: str) -> bool:
        self._ensure_ready()
        return bool(self._tokenizer.FREQ.get(word))

    def index_tokens(self, text: str) -> tuple[str, ...]:
        """Tokens to index for a text: search-mode ∪ full-mode words, each a pure CJK or letter/digit run."""
        return self._index_cache(normalise(text))

    def query_words(self, text: str) -> tuple[str, ...]:
        """Precise-mode words of a query, unknown sequences as single characters."""
        return self._query_cache(normalise(text))

    def sub_words(self, word: str) -> tuple[str, ...]:
        """Shorter dictionary words inside a word (search mode), used when an index predates the word."""
        self._ensure_ready()
        parts = [part for part in self._tokenizer.cut_for_search(word, HMM=False) if part != word]
        return tuple(dict.fromkeys(part for part in parts if len(part) >= 2))

    def _index_tokens_uncached(self, text: str) -> tuple[str, ...]:
        self._ensure_ready()
        tokens: dict[str, None] = {}
        for chunk in text.split(" "):
            if not chunk:
                continue
            for mode_tokens in (
                self._tokenizer.cut_for_search(chunk, HMM=False),
                self._tokenizer.cut(chunk, cut_all=True, HMM=False),
            ):
                for token in mode_tokens:
                    for run in RUN.findall(token):
                        tokens[run] = None
        return tuple(tokens)

    def _query_words_uncached(self, text: str) -> tuple[str, ...]:
        self._ensure_ready()
        words: list[str] = []
        for chunk in text.split(" "):
            for token in self._tokenizer.cut(chunk, HMM=False):
                words.extend(RUN.findall(token))
        return tuple(words)


_segmenter: Segmenter | None = None
_segmenter_lock = threading.Lock()


def get_segmenter() -> Segmenter:
    """The process-wide segmenter (jieba's dictionary loads once per process, on first use)."""
    global _segmenter
    if _segmenter is None:
        with _segmenter_lock:
            if _segmenter is None:
                _segmenter = Segmenter()
    return _segmenter
