"""Facet value codes: every facet value (organization, groups, tags, res_format, license_id, frequency)
gets a number once (FacetValue), and a dataset's search row keeps its facet values as one character per
value, the character standing for that number.

Why characters: counting facets over tens of thousands of matching datasets then needs no parsing. The
database concatenates the matching rows' codes into one string (group_concat / string_agg) and
`collections.Counter` tallies its characters in C — about 60 ns a value, against microseconds for rows
of (field, value) pairs (docs/apps/opendata.md).
"""

from __future__ import annotations

from collections.abc import Iterable

from yiwang.opendata.models import FacetValue

FIRST_CODE_POINT = 0x100  # clear of NUL (which PostgreSQL text refuses) and of ASCII
SURROGATES_START, SURROGATES_END = 0xD800, 0xE000  # not characters: skipped
MAX_CODE_POINT = 0x10FFFF


def code_char(code: int) -> str:
    point = FIRST_CODE_POINT + code
    if point >= SURROGATES_START:
        point += SURROGATES_END - SURROGATES_START
    if point > MAX_CODE_POINT:
        raise OverflowError(f"facet value code {code} has no character")
    return chr(point)


def char_code(char: str) -> int:
    point = ord(char)
    if point >= SURROGATES_END:
        point -= SURROGATES_END - SURROGATES_START
    return point - FIRST_CODE_POINT


def _existing(pairs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    fields = {name for name, _value in pairs}
    values = {value for _name, value in pairs}
    found: dict[tuple[str, str], int] = {}
    value_list = sorted(values)
    for offset in range(0, len(value_list), 500):
        rows = FacetValue.objects.filter(field__in=fields, value__in=value_list[offset : offset + 500])
        for pk, name, value in rows.values_list("pk", "field", "value"):
            if (name, value) in pairs:
                found[(name, value)] = pk
    return found


def codes_for(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The code character of each (field, value), numbering the values seen for the first time.

    Read from the database every time (not a process cache): a number given in a transaction that
    rolls back must not outlive it. Two writers numbering the same value meet at the unique constraint.
    """
    wanted = set(pairs)
    codes = _existing(wanted)
    missing = wanted - codes.keys()
    if missing:
        FacetValue.objects.bulk_create(
            [FacetValue(field=name, value=value) for name, value in sorted(missing)], ignore_conflicts=True
        )
        codes.update(_existing(missing))
    return {pair: code_char(code) for pair, code in codes.items()}


def decode(chars: Iterable[str]) -> dict[str, tuple[str, str]]:
    """{character: (field, value)} for the given code characters."""
    by_code = {char_code(char): char for char in chars}
    result: dict[str, tuple[str, str]] = {}
    codes = sorted(by_code)
    for offset in range(0, len(codes), 500):
        rows = FacetValue.objects.filter(pk__in=codes[offset : offset + 500]).values_list(
            "pk", "field", "value"
        )
        for pk, name, value in rows:
            result[by_code[pk]] = (name, value)
    return result
