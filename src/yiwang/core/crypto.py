"""国密 helpers. SM3 comes from OpenSSL through hashlib (OpenSSL 3 ships it in its default provider)."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def sm3_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.new("sm3", data).hexdigest()


def canonical_json(value: Any) -> str:
    """Stable JSON (sorted keys, no spaces, UTF-8 text) so the same content always hashes the same."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def digest(value: Any) -> str:
    """SM3 of the canonical JSON of a value; '' for None (nothing before a creation, nothing after a delete)."""
    if value is None:
        return ""
    return sm3_hex(canonical_json(value))
