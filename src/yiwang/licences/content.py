"""What an issuer signs, and how anyone checks it — online or offline.

The signed content is canonical JSON (core.crypto.canonical_json: sorted keys, no spaces, UTF-8) of the
licence's header (identifier, type, issuer, validity, version chain, key fingerprint, masked holder ID)
and a *commitment* per data field instead of the value: SM3 over [field salt, name, value], truncated to
128 bits, where each field salt is HMAC-SM3(licence salt, name). The SM2 signature (SM3 with Z‖M inside,
core.sm2) covers those bytes.

That lets the holder choose what a verifier sees: a disclosure is {name: [field salt, value]}; the
verifier recomputes the commitment and compares it with the signed one. The QR code on the PDF carries
the signed content, the signature and only the disclosed fields (offline verification with the issuer's
published public key, /api/licences/keys); the full data never leaves the platform unless the holder
shares it for a case.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache

from yiwang.core import sm2
from yiwang.core.crypto import canonical_json, sm3_hex

FORMAT_VERSION = 1
COMMITMENT_HEX = 32
HOLDER_NAME = "holder_name"
HOLDER_ID = "holder_id"
QR_PREFIX = "YWLIC1."
MAX_PAYLOAD = 64 * 1024


def field_salt(licence_salt: str, name: str) -> str:
    return hmac.new(bytes.fromhex(licence_salt), name.encode("utf-8"), "sm3").hexdigest()[:COMMITMENT_HEX]


def commitment(salt: str, name: str, value: Any) -> str:
    return sm3_hex(canonical_json([salt, name, value]))[:COMMITMENT_HEX]


def commitments(licence_salt: str, values: dict[str, Any]) -> dict[str, str]:
    return {name: commitment(field_salt(licence_salt, name), name, value) for name, value in values.items()}


def build_content(
    *,
    identifier: str,
    type_code: str,
    type_name: str,
    issuer_code: str,
    issuer_name: str,
    holder_kind: str,
    holder_id_masked: str,
    valid_from: dt.date,
    valid_until: dt.date | None,
    issued_on: dt.date,
    version: int,
    previous: str,
    key_fingerprint: str,
    field_commitments: dict[str, str],
) -> dict[str, Any]:
    return {
        "fmt": FORMAT_VERSION,
        "id": identifier,
        "type": {"code": type_code, "name": type_name},
        "issuer": {"code": issuer_code, "name": issuer_name},
        "holder": {"kind": holder_kind, "id_masked": holder_id_masked},
        "valid_from": valid_from.isoformat(),
        "valid_until": valid_until.isoformat() if valid_until else "",
        "issued_on": issued_on.isoformat(),
        "version": version,
        "prev": previous,
        "key": key_fingerprint,
        "fields": field_commitments,
    }


def to_bytes(content: dict[str, Any]) -> bytes:
    return canonical_json(content).encode("utf-8")


def sign(private_hex: str, public_hex: str, content: dict[str, Any]) -> str:
    return sm2.sign(private_hex, to_bytes(content), public_hex=public_hex)


VERIFY_CACHE_SECONDS = 24 * 3600


def verify_signature(public_hex: str, data: bytes, signature: str) -> bool:
    """SM2 verification, remembered in the cache under the SM3 of (key, signature, data).

    A pure-Python SM2 verify costs ~0.1 s (bench/licences_bench.py); the answer for the same three inputs
    never changes, so the public verification page and API pay it once per licence version, not per
    request. The key covers every input, so a changed byte is a different entry, verified afresh."""
    key = "licences:sm2:" + sm3_hex(b"\x00".join([public_hex.encode(), signature.encode(), data]))
    cached = cache.get(key)
    if cached is not None:
        return bool(cached)
    ok = sm2.verify(public_hex, data, signature)
    cache.set(key, ok, VERIFY_CACHE_SECONDS)
    return ok


@dataclass
class ContentCheck:
    """The result of checking signed content and disclosures against a public key."""

    signature_ok: bool
    disclosed: dict[str, Any] = field(default_factory=dict)
    bad_fields: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.signature_ok and not self.bad_fields


def check(
    public_hex: str, content: dict[str, Any], signature: str, disclosures: dict[str, Any] | None = None
) -> ContentCheck:
    """Verify the signature over `content`, then each disclosed field against its signed commitment."""
    result = ContentCheck(signature_ok=verify_signature(public_hex, to_bytes(content), signature))
    signed = content.get("fields") or {}
    for name, pair in (disclosures or {}).items():
        ok = (
            isinstance(pair, list)
            and len(pair) == 2
            and isinstance(pair[0], str)
            and signed.get(name) == commitment(pair[0], name, pair[1])
        )
        if ok:
            result.disclosed[name] = pair[1]
        else:
            result.bad_fields.append(name)
    return result


# --- the offline payload (QR code) -------------------------------------------------------------------


def encode_payload(content: dict[str, Any], signature: str, disclosures: dict[str, list[Any]]) -> str:
    """`YWLIC1.` + base64url(deflate(canonical JSON)): compact enough for a QR code on an A4 page."""
    raw = canonical_json({"c": content, "s": signature, "d": disclosures}).encode("utf-8")
    packed = base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode("ascii").rstrip("=")
    return QR_PREFIX + packed


class PayloadError(ValueError):
    pass


def decode_payload(text: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """(content, signature, disclosures) from a QR payload; PayloadError when it is not one of ours."""
    text = (text or "").strip()
    if "q=" in text:  # the whole verification URL was pasted
        text = text.split("q=", 1)[1].split("&", 1)[0]
    if not text.startswith(QR_PREFIX):
        raise PayloadError("not a licence payload")
    body = text[len(QR_PREFIX) :]
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)), MAX_PAYLOAD)
        if inflater.unconsumed_tail:  # larger than any licence: refuse rather than inflate a bomb
            raise PayloadError("payload too large")
        data = json.loads(raw.decode("utf-8"))
        content, signature, disclosures = data["c"], data["s"], data.get("d") or {}
    except (ValueError, KeyError, TypeError, zlib.error) as exc:
        raise PayloadError("malformed payload") from exc
    if not isinstance(content, dict) or not isinstance(signature, str) or not isinstance(disclosures, dict):
        raise PayloadError("malformed payload")
    return content, signature, disclosures
