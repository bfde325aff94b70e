"""Federation test helpers: peers with key pairs the test holds, and signed inbox requests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from yiwang.core import sm2
from yiwang.core.crypto import canonical_json
from yiwang.federation import signing
from yiwang.federation.models import NodeRole, Peer


@dataclass
class FakeSender:
    """A peer whose private key the test holds, so it can sign like a real node."""

    peer: Peer
    keys: sm2.KeyPair

    def message(self, kind: str, payload: dict[str, Any], *, message_id: str | None = None) -> bytes:
        return canonical_json(
            {
                "id": message_id or str(uuid.uuid4()),
                "from": self.peer.code,
                "to": "100000",
                "kind": kind,
                "sent_at": timezone.now().isoformat(),
                "payload": payload,
            }
        ).encode()

    def headers(self, body: bytes, *, keys: sm2.KeyPair | None = None) -> dict[str, str]:
        keys = keys or self.keys
        signed = signing.sign_headers(
            method="POST",
            path="/federation/inbox",
            body=body,
            sender=self.peer.code,
            private_hex=keys.private_hex,
            public_hex=keys.public_hex,
        )
        return {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in signed.items()}


def make_sender(
    code: str = "330000", *, role: str = NodeRole.NODE, base_url: str = "http://127.0.0.1:9"
) -> FakeSender:
    keys = sm2.generate_keypair()
    peer = Peer.objects.create(
        code=code, name=f"节点{code}", role=role, base_url=base_url, public_hex=keys.public_hex
    )
    return FakeSender(peer, keys)


def catalogue_entry(
    code: str, *, region: str = "330100", version: int = 1, name: str = "居民身份证换领"
) -> dict[str, Any]:
    return {
        "implementation_code": code,
        "basic_code": "000123",
        "name": name,
        "region": {"code": region, "name": "杭州市"},
        "organisation": "杭州市公安局",
        "item_type": "20",
        "online_depth": 3,
        "version": version,
        "published_at": "2026-11-01",
        "document": {"name": name, "place": "杭州市民中心", "version": version},
    }
