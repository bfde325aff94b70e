"""Text folding shared by the index and the query: width, case, Traditional → Simplified, pinyin.

Both sides pass through the same functions, so what is indexed and what is asked always meet in the same
form. Everything here is pure and cached per distinct string: real catalogues repeat the same names,
materials and departments across thousands of regions.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from opencc import OpenCC
from pypinyin import lazy_pinyin

# CJK ideographs (basic, extension A, compatibility, extensions B–F) and 〇.
_CJK = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
CJK_CHAR = re.compile(f"[{_CJK}]")
# A run is either CJK characters or ASCII letters/digits: the unit both FTS engines see as one token.
RUN = re.compile(f"[{_CJK}]+|[a-z0-9]+")
LATIN_RUN = re.compile(r"[a-z]+")

_t2s = OpenCC("t2s")


@lru_cache(maxsize=200_000)
def to_simplified(text: str) -> str:
    return str(_t2s.convert(text)) if text else ""


@lru_cache(maxsize=200_000)
def normalise(text: str) -> str:
    """NFKC, lower case, Simplified; every character that is neither CJK nor a letter/digit becomes a space."""
    folded = to_simplified(unicodedata.normalize("NFKC", text or "").lower())
    return " ".join(RUN.findall(folded))


def compact(text: str) -> str:
    """The normalised text without spaces: the key used for exact and prefix name comparisons."""
    return normalise(text).replace(" ", "")


def is_cjk(text: str) -> bool:
    return bool(text) and all(CJK_CHAR.fullmatch(char) for char in text)


def is_latin(text: str) -> bool:
    return bool(LATIN_RUN.fullmatch(text))


def cjk_chars(text: str) -> list[str]:
    """The distinct CJK characters of a text, in order of first appearance."""
    return list(dict.fromkeys(CJK_CHAR.findall(text)))


@lru_cache(maxsize=200_000)
def syllables(text: str) -> tuple[str, ...]:
    """Toneless pinyin per character of a CJK text (one entry per character, in order)."""
    # Characters without pinyin stay one entry each, so offsets line up with the text.
    keep_each: Any = list
    return tuple(lazy_pinyin(text, errors=keep_each))


@lru_cache(maxsize=200_000)
def pinyin_forms(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of a CJK text without tones or spaces: 身份证 → ('shenfenzheng', 'sfz')."""
    parts = [part for part in syllables(text) if part and part.isascii() and part.isalpha()]
    return "".join(parts), "".join(part[0] for part in parts)


def pinyin_span(text: str, latin: str) -> tuple[int, int] | None:
    """Where in `text` a latin query matches as full pinyin or initials, allowing an unfinished last syllable.

    Returns (start, end) character offsets, or None. 居民身份证申领 + "sfz" → (2, 5).
    """
    if not text or not latin:
        return None
    per_char = syllables(text)
    if len(per_char) != len(text):
        return None
    for start in range(len(text)):
        full = ""
        initials = ""
        for end in range(start, len(text)):
            syllable = per_char[end]
            if not (syllable.isascii() and syllable.isalpha()):
                break
            full += syllable
            initials += syllable[0]
            if full == latin or initials == latin:
                return start, end + 1
            if full.startswith(latin) and len(latin) > len(full) - len(syllable):
                return start, end + 1
            if not (latin.startswith(full) or latin.startswith(initials)):
                break
    return None
