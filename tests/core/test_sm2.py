"""core.sm2: signatures verify, tampering and the wrong key fail, malformed input is refused, and keys whose
hex starts with "04" work (gmssl's constructor used to strip that as a point prefix, corrupting them)."""

from __future__ import annotations

import pytest

from yiwang.core import sm2

# A key pair whose public key starts with "04" followed by "0": gmssl's lstrip("04") would eat three digits.
PRIVATE_04 = "2039fbdc82fda4fa678a3674b1e29fc90e83d0ba230ec8a9e5c23a5ceec2ae1b"
PUBLIC_04 = (
    "040fa593ff6384f9da8a86ae81501c096872f31d1ac3ac49a5d7e21fc3d087e3"
    "c753c9457fb7231069e075c4eb48039dfe47097fd1f38dc27b43b66c4e327fe9"
)


def test_sign_and_verify_round_trip_and_tampering_fails() -> None:
    keys = sm2.generate_keypair()
    signature = sm2.sign(keys.private_hex, b"payload", public_hex=keys.public_hex)
    assert len(signature) == 128
    assert sm2.verify(keys.public_hex, b"payload", signature)
    assert not sm2.verify(keys.public_hex, b"payloaD", signature)
    assert not sm2.verify(sm2.generate_keypair().public_hex, b"payload", signature)
    assert not sm2.verify(keys.public_hex, b"payload", "00" * 64)
    assert not sm2.verify(keys.public_hex, b"payload", "not hex")


def test_a_public_key_starting_with_04_signs_and_verifies() -> None:
    assert sm2.public_key_of(PRIVATE_04) == PUBLIC_04
    for message in (b"a", b"licence content", b"x" * 500):
        signature = sm2.sign(PRIVATE_04, message, public_hex=PUBLIC_04)
        assert sm2.verify(PUBLIC_04, message, signature)


def test_malformed_keys_are_refused_with_a_reason() -> None:
    with pytest.raises(sm2.SM2Error, match="64 位十六进制"):
        sm2.sign("12", b"x")
    assert sm2.fingerprint(PUBLIC_04) == sm2.fingerprint(PUBLIC_04.upper())


def test_encryption_round_trip_only_for_the_key_holder() -> None:
    keys = sm2.generate_keypair()
    for public_hex, private_hex in ((keys.public_hex, keys.private_hex), (PUBLIC_04, PRIVATE_04)):
        sealed = sm2.encrypt(public_hex, b"330106199003071234")
        assert sm2.decrypt(private_hex, sealed, public_hex=public_hex) == b"330106199003071234"
    assert sm2.decrypt(sm2.generate_keypair().private_hex, sm2.encrypt(keys.public_hex, b"x")) is None
    tampered = bytearray(sm2.encrypt(keys.public_hex, b"secret"))
    tampered[-70] ^= 1
    assert sm2.decrypt(keys.private_hex, bytes(tampered)) is None
