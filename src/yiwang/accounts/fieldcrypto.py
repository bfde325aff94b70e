"""Field encryption for personal data: SM4-GCM at rest, plus a keyed SM3 (HMAC-SM3) blind index for lookups.

One master key (env YIWANG_FIELD_KEY, 64 hex characters; otherwise generated once into the data folder,
never the repository) derives two independent sub-keys, so the blind index never reuses the cipher key.
Ciphertexts carry a version prefix so the key or construction can be rotated later.
"""

from __future__ import annotations

import base64
import functools
import hmac
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

PREFIX = "sm4gcm1:"
NONCE_BYTES = 12
TAG_BYTES = 16


class FieldDecryptionError(Exception):
    """The stored value was altered, or was written under another key."""


def _load_master_key() -> bytes:
    if value := os.environ.get("YIWANG_FIELD_KEY", "").strip():
        key = bytes.fromhex(value)
        if len(key) < 16:
            raise ValueError("YIWANG_FIELD_KEY must be at least 32 hex characters (16 bytes).")
        return key
    path = settings.DATA_DIR / "field_key"
    if not path.exists():
        # O_EXCL: two processes starting together must not write two different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


@functools.cache
def _keys() -> tuple[bytes, bytes]:
    master = _load_master_key()
    cipher_key = hmac.new(master, b"yiwang/field-encryption/sm4", "sm3").digest()[:16]
    index_key = hmac.new(master, b"yiwang/blind-index/sm3", "sm3").digest()
    return cipher_key, index_key


def encrypt(plaintext: str, *, context: str) -> str:
    """SM4-GCM; `context` (e.g. "resident_id") is authenticated, so a value can't be moved to another field."""
    cipher_key, _ = _keys()
    nonce = secrets.token_bytes(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(cipher_key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(context.encode())
    body = encryptor.update(plaintext.encode("utf-8")) + encryptor.finalize()
    return PREFIX + base64.b64encode(nonce + body + encryptor.tag).decode("ascii")


def decrypt(token: str, *, context: str) -> str:
    if not token.startswith(PREFIX):
        raise FieldDecryptionError("unknown ciphertext format")
    raw = base64.b64decode(token[len(PREFIX) :])
    nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    cipher_key, _ = _keys()
    decryptor = Cipher(algorithms.SM4(cipher_key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(context.encode())
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode("utf-8")
    except InvalidTag:
        raise FieldDecryptionError("ciphertext failed authentication") from None


def blind_index(value: str, *, context: str) -> str:
    """HMAC-SM3 of a normalised value: equal inputs give equal indexes, and nobody without the key can
    test guesses against the column (an ID number has too little entropy for a plain hash)."""
    _, index_key = _keys()
    return hmac.new(index_key, f"{context}\x00{value}".encode(), "sm3").hexdigest()


def keyed_digest(value: str, *, context: str) -> str:
    """Same construction as the blind index, for secrets that are only ever compared (one-time codes)."""
    return blind_index(value, context=context)
