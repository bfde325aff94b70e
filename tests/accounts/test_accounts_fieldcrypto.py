from __future__ import annotations

import base64

import pytest

from yiwang.accounts import fieldcrypto


def test_round_trip_uses_a_fresh_nonce_each_time() -> None:
    first = fieldcrypto.encrypt("11010519491231002X", context="resident_id")
    second = fieldcrypto.encrypt("11010519491231002X", context="resident_id")
    assert first != second and first.startswith("sm4gcm1:")
    assert "11010519491231002X" not in first
    assert fieldcrypto.decrypt(first, context="resident_id") == "11010519491231002X"


def test_tampered_or_moved_ciphertext_is_refused() -> None:
    token = fieldcrypto.encrypt("11010519491231002X", context="resident_id")
    raw = bytearray(base64.b64decode(token.removeprefix(fieldcrypto.PREFIX)))
    raw[15] ^= 0x01  # one bit of the ciphertext body
    tampered = fieldcrypto.PREFIX + base64.b64encode(bytes(raw)).decode()
    with pytest.raises(fieldcrypto.FieldDecryptionError):
        fieldcrypto.decrypt(tampered, context="resident_id")
    with pytest.raises(fieldcrypto.FieldDecryptionError):
        fieldcrypto.decrypt(token, context="totp_secret")


def test_blind_index_is_keyed_deterministic_and_separated_by_context() -> None:
    a = fieldcrypto.blind_index("11010519491231002X", context="resident_id")
    assert a == fieldcrypto.blind_index("11010519491231002X", context="resident_id")
    assert a != fieldcrypto.blind_index("11010519491231002X", context="otp")
    import hashlib

    assert a != hashlib.new("sm3", b"11010519491231002X").hexdigest()
    assert len(a) == 64
