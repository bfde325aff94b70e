"""Who this node is (settings) and its SM2 key (database, private half encrypted at rest)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from yiwang.accounts import fieldcrypto
from yiwang.core import sm2
from yiwang.federation.models import NodeKey, NodeRole

KEY_CONTEXT = "federation-node-key"


@dataclass(frozen=True)
class LocalNode:
    code: str
    name: str
    role: str
    base_url: str

    @property
    def is_hub(self) -> bool:
        return self.role == NodeRole.HUB


def local_node() -> LocalNode:
    """From YIWANG_NODE_CODE / _NAME / _ROLE / _URL; an unset code means federation is off."""
    return LocalNode(
        code=str(getattr(settings, "YIWANG_NODE_CODE", "") or ""),
        name=str(getattr(settings, "YIWANG_NODE_NAME", "") or ""),
        role=str(getattr(settings, "YIWANG_NODE_ROLE", NodeRole.NODE) or NodeRole.NODE),
        base_url=str(getattr(settings, "YIWANG_NODE_URL", "") or "").rstrip("/"),
    )


def enabled() -> bool:
    return bool(local_node().code)


@transaction.atomic
def active_key() -> NodeKey:
    """The active key, created on first use (select_for_update: two workers never create two)."""
    key = NodeKey.objects.select_for_update().filter(active=True).order_by("-pk").first()
    if key is None:
        pair = sm2.generate_keypair()
        key = NodeKey.objects.create(
            public_hex=pair.public_hex,
            private_encrypted=fieldcrypto.encrypt(pair.private_hex, context=KEY_CONTEXT),
        )
    return key


def private_hex(key: NodeKey) -> str:
    return fieldcrypto.decrypt(key.private_encrypted, context=KEY_CONTEXT)


@transaction.atomic
def rotate_key() -> NodeKey:
    """A new key pair; the old public keys stay listed so peers can check signatures made before."""
    NodeKey.objects.filter(active=True).update(active=False)
    pair = sm2.generate_keypair()
    return NodeKey.objects.create(
        public_hex=pair.public_hex,
        private_encrypted=fieldcrypto.encrypt(pair.private_hex, context=KEY_CONTEXT),
    )


def card() -> dict[str, str]:
    """What a peer needs to register this node: code, name, role, address, public key and fingerprint."""
    node = local_node()
    key = active_key()
    return {
        "code": node.code,
        "name": node.name,
        "role": node.role,
        "base_url": node.base_url,
        "public_key": key.public_hex,
        "fingerprint": sm2.fingerprint(key.public_hex),
    }
