"""SM2 signatures (GB/T 32918) for licences, the exchange gateway and node-to-node messages.

One small interface so callers never touch the library: keys are hex strings (private: 64 hex digits;
public: 128 hex digits, the uncompressed point without its 04 prefix), signatures are r‖s as 128 hex
digits, and signing hashes with SM3 over Z‖M with the standard default user id, as GB/T 32918.2 and
GM/T 0009 describe. The implementation is gmssl (pure Python, on PyPI); pyca/cryptography exposes SM3
and SM4 but not SM2 (see docs/decisions.md).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from gmssl import sm2 as _gmssl_sm2

from yiwang.core.crypto import sm3_hex

_CURVE = _gmssl_sm2.default_ecc_table
_ORDER = int(_CURVE["n"], 16)
_HEX = frozenset("0123456789abcdef")


class SM2Error(ValueError):
    """A key or signature that is not well formed."""


@dataclass(frozen=True)
class KeyPair:
    private_hex: str
    public_hex: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_hex)


def _check_hex(value: str, length: int, what: str) -> str:
    value = value.strip().lower()
    if len(value) != length or not set(value) <= _HEX:
        raise SM2Error(f"{what}应为 {length} 位十六进制数。")
    return value


def _crypt(private_hex: str | None, public_hex: str) -> _gmssl_sm2.CryptSM2:
    crypt = _gmssl_sm2.CryptSM2(private_key=private_hex or "", public_key=public_hex)
    # gmssl's constructor drops a "04" point prefix with str.lstrip("04"), which strips a character SET:
    # a key whose hex happens to start with 0 or 4 after "04" (or starts with "04" itself) was corrupted,
    # so about one key in 256 signed and verified wrongly. Our keys never carry the prefix: set it as is.
    crypt.public_key = public_hex
    return crypt


def public_key_of(private_hex: str) -> str:
    private_hex = _check_hex(private_hex, 64, "SM2 私钥")
    point = _crypt(private_hex, "")._kg(int(private_hex, 16), _CURVE["g"])
    return str(point).lower()


def generate_keypair() -> KeyPair:
    """A fresh key pair from the operating system's CSPRNG (d in [1, n-2])."""
    private = secrets.randbelow(_ORDER - 2) + 1
    private_hex = f"{private:064x}"
    return KeyPair(private_hex=private_hex, public_hex=public_key_of(private_hex))


def sign(private_hex: str, data: bytes, *, public_hex: str | None = None) -> str:
    """SM2 signature with SM3 (Z‖M) over `data`; returns r‖s as 128 lower-case hex digits."""
    private_hex = _check_hex(private_hex, 64, "SM2 私钥")
    public_hex = _check_hex(public_hex, 128, "SM2 公钥") if public_hex else public_key_of(private_hex)
    nonce = f"{secrets.randbelow(_ORDER - 1) + 1:064x}"
    return str(_crypt(private_hex, public_hex).sign_with_sm3(data, nonce)).lower()


def verify(public_hex: str, data: bytes, signature_hex: str) -> bool:
    """True when `signature_hex` is a valid SM2 signature of `data` by the holder of `public_hex`."""
    try:
        public_hex = _check_hex(public_hex, 128, "SM2 公钥")
        signature_hex = _check_hex(signature_hex, 128, "SM2 签名")
    except SM2Error:
        return False
    r, s = int(signature_hex[:64], 16), int(signature_hex[64:], 16)
    if not (0 < r < _ORDER and 0 < s < _ORDER):
        return False
    try:
        return bool(_crypt(None, public_hex).verify_with_sm3(signature_hex, data))
    except (ValueError, TypeError, ZeroDivisionError):
        return False


def encrypt(public_hex: str, plaintext: bytes) -> bytes:
    """SM2 public-key encryption (GB/T 32918.4, C1C2C3) for the holder of the matching private key."""
    public_hex = _check_hex(public_hex, 128, "SM2 公钥")
    return bytes(_crypt(None, public_hex).encrypt(plaintext))


def decrypt(private_hex: str, ciphertext: bytes, *, public_hex: str | None = None) -> bytes | None:
    """The plaintext, or None when `ciphertext` was not made for this key (or was altered)."""
    private_hex = _check_hex(private_hex, 64, "SM2 私钥")
    public_hex = _check_hex(public_hex, 128, "SM2 公钥") if public_hex else public_key_of(private_hex)
    crypt = _crypt(private_hex, public_hex)
    try:
        plain = crypt.decrypt(ciphertext)
        if not plain:
            return None
        # gmssl computes the C3 digest but never compares it: check it here, so a ciphertext for another
        # key (or an altered one) is refused instead of decrypting to noise.
        text = ciphertext.hex()
        point = crypt._kg(int(private_hex, 16), text[:128])
        expected = sm3_hex(bytes.fromhex(point[:64]) + bytes(plain) + bytes.fromhex(point[64:128]))
    except (ValueError, TypeError, IndexError):
        return None
    return bytes(plain) if expected == text[-64:] else None


def fingerprint(public_hex: str) -> str:
    """A short, stable name for a public key: the first 16 hex digits of its SM3 digest."""
    return sm3_hex(bytes.fromhex(_check_hex(public_hex, 128, "SM2 公钥")))[:16]
