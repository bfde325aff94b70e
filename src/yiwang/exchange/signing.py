"""Signed gateway requests: an organisation signs each call with its SM2 private key.

The signed text is five lines joined by "\\n": the upper-case method, the path (with query string), the SM3
digest of the body, the Unix timestamp in seconds and a one-time nonce, followed by the key id. Headers:

    X-Yiwang-Key        key id (the first 16 hex digits of the SM3 digest of the public key)
    X-Yiwang-Timestamp  Unix seconds; refused when more than WINDOW_SECONDS away from the server clock
    X-Yiwang-Nonce      8–64 characters [A-Za-z0-9_-], never used twice by the same key
    X-Yiwang-Signature  SM2 signature (r‖s, 128 hex digits) of the signed text

A nonce is remembered for as long as its timestamp is acceptable (SeenNonce; `yiwang exchange purge`
forgets older ones), so a captured request cannot be sent again, and an old one is refused by its time.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import sm2
from yiwang.core.crypto import sm3_hex

from .models import Credential, SeenNonce

WINDOW_SECONDS = 300
HEADER_KEY = "X-Yiwang-Key"
HEADER_TIMESTAMP = "X-Yiwang-Timestamp"
HEADER_NONCE = "X-Yiwang-Nonce"
HEADER_SIGNATURE = "X-Yiwang-Signature"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class SignatureRefused(Exception):
    """The request is not signed by an active credential, is stale, or is a replay."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def signed_text(method: str, path: str, body: bytes, timestamp: str, nonce: str, key_id: str) -> bytes:
    return "\n".join([method.upper(), path, sm3_hex(body), timestamp, nonce, key_id]).encode("utf-8")


def sign_headers(
    *, private_hex: str, key_id: str, method: str, path: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    """The headers a client sends (used by tests, the benchmark and `yiwang exchange call`)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = secrets.token_urlsafe(18)
    signature = sm2.sign(private_hex, signed_text(method, path, body, stamp, nonce, key_id))
    return {HEADER_KEY: key_id, HEADER_TIMESTAMP: stamp, HEADER_NONCE: nonce, HEADER_SIGNATURE: signature}


@dataclass(frozen=True)
class VerifiedCaller:
    credential: Credential

    @property
    def organisation_id(self) -> int:
        return int(self.credential.organisation_id)


def _header(headers: Mapping[str, str], name: str) -> str:
    return (headers.get(name) or "").strip()


def verify_request(*, method: str, path: str, body: bytes, headers: Mapping[str, str]) -> VerifiedCaller:
    """Check key, time window, signature and nonce (in that order: an unsigned request never costs a row)."""
    key_id, stamp = _header(headers, HEADER_KEY), _header(headers, HEADER_TIMESTAMP)
    nonce, signature = _header(headers, HEADER_NONCE), _header(headers, HEADER_SIGNATURE)
    if not (key_id and stamp and nonce and signature):
        raise SignatureRefused(
            _(
                "请求未签名：须带 X-Yiwang-Key、X-Yiwang-Timestamp、X-Yiwang-Nonce、X-Yiwang-Signature 请求头。"
            ),
            code="unsigned",
        )
    if not stamp.isdigit():
        raise SignatureRefused(_("X-Yiwang-Timestamp 应为 Unix 时间戳（秒）。"), code="bad_timestamp")
    if abs(time.time() - int(stamp)) > WINDOW_SECONDS:
        raise SignatureRefused(
            _("请求时间戳与服务器时间相差超过 %(s)d 秒，请校准时钟后重新签名。") % {"s": WINDOW_SECONDS},
            code="stale",
        )
    if not _NONCE.match(nonce):
        raise SignatureRefused(_("X-Yiwang-Nonce 应为 8–64 位字母、数字、下划线或连字符。"), code="bad_nonce")
    credential = (
        Credential.objects.select_related("organisation")
        .filter(key_id=key_id.lower(), revoked_at__isnull=True)
        .first()
    )
    if credential is None or not credential.organisation.is_active:
        raise SignatureRefused(_("密钥标识不存在或已停用。"), code="unknown_key")
    if not sm2.verify(
        credential.public_hex, signed_text(method, path, body, stamp, nonce, key_id), signature
    ):
        raise SignatureRefused(
            _("签名验证失败：请用本单位 SM2 私钥对方法、路径、请求体摘要、时间戳、随机串和密钥标识签名。"),
            code="bad_signature",
        )
    try:
        with transaction.atomic():
            SeenNonce.objects.create(key_id=credential.key_id, nonce=nonce, seen_at=timezone.now())
    except IntegrityError:
        raise SignatureRefused(_("重复的请求（随机串已使用过），已拒绝。"), code="replay") from None
    return VerifiedCaller(credential)


def purge_nonces(now: dt.datetime | None = None) -> int:
    """Forget nonces whose requests are now refused by their timestamp anyway."""
    cutoff = (now or timezone.now()) - dt.timedelta(seconds=2 * WINDOW_SECONDS)
    deleted, _rows = SeenNonce.objects.filter(seen_at__lt=cutoff).delete()
    return deleted
