"""Deterministic, valid 统一社会信用代码 for demo organisations (GB 32100-2015 + GB 11714).

The codes are invented: positions 9–16 come from a SHA-256 of the organisation's name, so the same name
always gets the same code, and both check characters are computed, so every code passes validation.
"""

from __future__ import annotations

import hashlib

from stdnum.cn import uscc

ORG_CODE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_check(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code body."""
    total = sum(ORG_CODE_ALPHABET.index(c) * w for c, w in zip(body, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "0" if check == 11 else "X" if check == 10 else str(check)


def make_uscc(name: str, region_code: str, category: str = "11", salt: int = 0) -> str:
    """A valid USCC for a government body: category ("11" 机关, "12" 事业单位, "13" 群团) + region + org code.

    Government organisation codes are numeric and usually start with 00, so the body is "00" + six digits
    taken from the hash of the name (and `salt`, used only to step past a collision).
    """
    digest = hashlib.sha256(f"{name}|{salt}".encode()).hexdigest()
    body = "00" + f"{int(digest[:12], 16) % 1_000_000:06d}"
    first17 = category + region_code + body + org_check(body)
    return first17 + uscc.calc_check_digit(first17)
