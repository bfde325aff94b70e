"""Why an item matched: the matched terms wrapped in <mark>, every other character HTML-escaped."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from yiwang.search.text import pinyin_span, to_simplified

Span = tuple[int, int]


def _comparable(text: str) -> str:
    """Lower-case Simplified text with the same length as `text` (so offsets carry over)."""
    folded = to_simplified(text).lower()
    return folded if len(folded) == len(text) else text.lower()


def find_spans(
    text: str, words: Iterable[str], *, chars: Iterable[str] = (), latin: Iterable[str] = ()
) -> list[Span]:
    if not text:
        return []
    haystack = _comparable(text)
    spans: list[Span] = []
    for needle in (*words, *chars):
        if not needle:
            continue
        start = haystack.find(needle)
        while start >= 0:
            spans.append((start, start + len(needle)))
            start = haystack.find(needle, start + len(needle))
    for token in latin:
        span = pinyin_span(haystack, token)
        if span is not None:
            spans.append(span)
    return _merge(spans)


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def render(text: str, spans: list[Span]) -> str:
    parts: list[str] = []
    position = 0
    for start, end in spans:
        parts.append(escape(text[position:start]))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    parts.append(escape(text[position:]))
    return "".join(parts)


def mark(
    text: str, words: Iterable[str], *, chars: Iterable[str] = (), latin: Iterable[str] = ()
) -> str | None:
    """`text` escaped with its matches marked, or None when nothing in it matches."""
    spans = find_spans(text, words, chars=chars, latin=latin)
    return render(text, spans) if spans else None


def mark_lines(lines: Iterable[str], words: Iterable[str], *, separator: str, limit: int = 5) -> str | None:
    """Only the values (materials, questions …) that match, marked and joined."""
    word_list = list(words)
    marked = [line for line in (mark(value, word_list) for value in lines if value) if line]
    return separator.join(marked[:limit]) if marked else None
