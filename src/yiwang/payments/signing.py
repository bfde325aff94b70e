"""HMAC-SM3 signatures of provider messages (callbacks), the scheme the sandbox provider uses.

Signed string: "<timestamp>\\n<nonce>\\n<body>\\n" (the raw body bytes), like WeChat Pay API v3's
message format, with HMAC-SM3 (GB/T 32905 SM3 in RFC 2104 HMAC) under the merchant key shared with the
provider. Headers: Yiwang-Pay-Timestamp (Unix seconds), Yiwang-Pay-Nonce, Yiwang-Pay-Signature (hex).

Why HMAC-SM3 rather than SM2: the sandbox and the platform share one merchant key, verification costs
microseconds instead of the ~20 ms of pure-Python SM2, and SM3 keeps it 国密. A real provider that signs
with SM2 (e.g. UnionPay) plugs in its own `verify_callback` using yiwang.core.sm2.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Mapping

from django.conf import settings

HEADER_TIMESTAMP = "Yiwang-Pay-Timestamp"
HEADER_NONCE = "Yiwang-Pay-Nonce"
HEADER_SIGNATURE = "Yiwang-Pay-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """A message whose signature is missing, wrong or too old."""


def sandbox_key() -> bytes:
    """The sandbox merchant key: YIWANG_PAYMENT_SANDBOX_KEY, else derived from SECRET_KEY."""
    configured = getattr(settings, "YIWANG_PAYMENT_SANDBOX_KEY", "") or ""
    if configured:
        return str(configured).encode("utf-8")
    return hmac.new(settings.SECRET_KEY.encode("utf-8"), b"yiwang-payments-sandbox", "sm3").digest()


def tolerance_seconds() -> int:
    return int(getattr(settings, "YIWANG_PAYMENT_CALLBACK_TOLERANCE", DEFAULT_TOLERANCE_SECONDS))


def _message(timestamp: str, nonce: str, body: bytes) -> bytes:
    return timestamp.encode("ascii") + b"\n" + nonce.encode("ascii") + b"\n" + body + b"\n"


def signature(key: bytes, timestamp: str, nonce: str, body: bytes) -> str:
    return hmac.new(key, _message(timestamp, nonce, body), "sm3").hexdigest()


def sign_headers(key: bytes, body: bytes, *, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(now if now is not None else time.time()))
    nonce = secrets.token_hex(16)
    return {
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: signature(key, timestamp, nonce, body),
    }


def verify_headers(key: bytes, body: bytes, headers: Mapping[str, str], *, now: float | None = None) -> None:
    """Raise SignatureError unless the headers carry a valid, fresh signature of `body`."""
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp = lowered.get(HEADER_TIMESTAMP.lower(), "")
    nonce = lowered.get(HEADER_NONCE.lower(), "")
    given = lowered.get(HEADER_SIGNATURE.lower(), "")
    if not (timestamp and nonce and given):
        raise SignatureError("缺少签名头（时间戳、随机串或签名）。")
    try:
        sent = int(timestamp)
    except ValueError:
        raise SignatureError("签名时间戳格式不正确。") from None
    if not nonce.isascii():
        raise SignatureError("签名随机串格式不正确。")
    if not hmac.compare_digest(signature(key, timestamp, nonce, body), given.strip().lower()):
        raise SignatureError("签名校验失败：通知可能被伪造或篡改。")
    current = now if now is not None else time.time()
    if abs(current - sent) > tolerance_seconds():
        raise SignatureError("通知的签名时间超出允许范围（可能是重放的旧通知）。")
