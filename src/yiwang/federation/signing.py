"""Signed node-to-node requests.

The sender signs, with its SM2 key, the string

    METHOD \\n PATH \\n SM3(body) \\n TIMESTAMP \\n SENDER-CODE

and sends the code, the timestamp and the signature in headers. The receiver knows the sender's public
key from registration, refuses a bad signature, and refuses a timestamp outside ±MAX_SKEW seconds, so a
captured request cannot be replayed later; within the window the message id (recorded with its effect)
makes a repeat harmless.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from yiwang.core import sm2
from yiwang.core.crypto import sm3_hex

MAX_SKEW_SECONDS = 300
HEADER_NODE = "X-Yiwang-Node"
HEADER_TIME = "X-Yiwang-Timestamp"
HEADER_SIGNATURE = "X-Yiwang-Signature"


class SignatureError(Exception):
    """Why a request was refused, in words an operator can act on."""


def string_to_sign(method: str, path: str, body: bytes, timestamp: str, sender: str) -> bytes:
    return "\n".join([method.upper(), path, sm3_hex(body), timestamp, sender]).encode()


def sign_headers(
    *, method: str, path: str, body: bytes, sender: str, private_hex: str, public_hex: str
) -> dict[str, str]:
    timestamp = str(int(time.time()))
    signature = sm2.sign(
        private_hex, string_to_sign(method, path, body, timestamp, sender), public_hex=public_hex
    )
    return {HEADER_NODE: sender, HEADER_TIME: timestamp, HEADER_SIGNATURE: signature}


@dataclass(frozen=True)
class Verified:
    sender: str
    timestamp: int


def verify(
    *,
    method: str,
    path: str,
    body: bytes,
    headers: dict[str, str],
    public_keys: list[str],
    now: float | None = None,
) -> Verified:
    sender = headers.get(HEADER_NODE, "")
    timestamp = headers.get(HEADER_TIME, "")
    signature = headers.get(HEADER_SIGNATURE, "")
    if not (sender and timestamp and signature):
        raise SignatureError("缺少节点签名头（X-Yiwang-Node、X-Yiwang-Timestamp、X-Yiwang-Signature）。")
    try:
        stamp = int(timestamp)
    except ValueError:
        raise SignatureError("时间戳应为 Unix 秒数。") from None
    current = time.time() if now is None else now
    if abs(current - stamp) > MAX_SKEW_SECONDS:
        raise SignatureError(
            f"请求时间与本节点相差超过 {MAX_SKEW_SECONDS} 秒，已拒绝（可能是重放，或时钟不同步）。"
        )
    data = string_to_sign(method, path, body, timestamp, sender)
    if not any(sm2.verify(key, data, signature) for key in public_keys):
        raise SignatureError("签名验证失败：请求不是该节点用已登记的密钥签发的，或内容被改动。")
    return Verified(sender, stamp)
