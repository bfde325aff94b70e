"""The synonym and colloquial-name table (data/synonyms.yaml) and the query stopwords."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from yiwang.search.text import compact

DATA_FILE = Path(__file__).resolve().parent / "data" / "synonyms.yaml"


@dataclass(frozen=True)
class SynonymTable:
    expansions: dict[str, tuple[str, ...]]  # colloquial word → official phrases (all compact, Simplified)
    stopwords: frozenset[str]
    longest_key: int

    def find(self, text: str, start: int) -> str | None:
        """The longest synonym key that begins at `start` in `text`."""
        for length in range(min(self.longest_key, len(text) - start), 1, -1):
            candidate = text[start : start + length]
            if candidate in self.expansions:
                return candidate
        return None


def parse(document: dict[str, object]) -> SynonymTable:
    raw = document.get("synonyms") or {}
    if not isinstance(raw, dict):
        raise ValueError("synonyms must be a mapping of word to a list of phrases")
    expansions: dict[str, tuple[str, ...]] = {}
    for key, values in raw.items():
        word = compact(str(key))
        phrases = [values] if isinstance(values, str) else list(values or [])
        folded = tuple(dict.fromkeys(compact(str(phrase)) for phrase in phrases if compact(str(phrase))))
        if word and folded:
            expansions[word] = tuple(phrase for phrase in folded if phrase != word)
    stopwords = frozenset(compact(str(word)) for word in (document.get("stopwords") or []))  # type: ignore[attr-defined]
    return SynonymTable(
        expansions=expansions,
        stopwords=stopwords,
        longest_key=max((len(key) for key in expansions), default=0),
    )


@cache
def get_synonyms() -> SynonymTable:
    with DATA_FILE.open(encoding="utf-8") as handle:
        return parse(yaml.safe_load(handle) or {})
