"""Receiving messages from peers: verify, apply once, answer.

A message is applied in one transaction together with the row that records its id; a second delivery of
the same id (the sender retrying after a lost answer) is acknowledged without being applied again.
Handlers are registered per kind by the modules that understand them (catalogue sync, statistics …).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_datetime

from yiwang.core import audit
from yiwang.federation import signing
from yiwang.federation.models import NodeKey, Peer, ReceivedMessage

Handler = Callable[[Peer, dict[str, Any]], dict[str, Any]]
_handlers: dict[str, Handler] = {}


def handles(kind: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        _handlers[kind] = function
        return function

    return register


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Outcome:
    duplicate: bool
    result: dict[str, Any]


def receive(*, method: str, path: str, body: bytes, headers: dict[str, str]) -> Outcome:
    sender_code = headers.get(signing.HEADER_NODE, "")
    peer = Peer.objects.filter(code=sender_code, active=True).first()
    if peer is None:
        raise Refused(403, f"节点 {sender_code or '（未署名）'} 未在本节点登记或已停用。")
    try:
        signing.verify(method=method, path=path, body=body, headers=headers, public_keys=[peer.public_hex])
    except signing.SignatureError as exc:
        raise Refused(401, str(exc)) from None
    try:
        message = json.loads(body)
        message_id = str(message["id"])
        kind = str(message["kind"])
        payload = message["payload"]
        sent_at = parse_datetime(str(message["sent_at"]))
    except (ValueError, KeyError, TypeError):
        raise Refused(400, "消息格式不正确：应有 id、kind、sent_at 和 payload。") from None
    if message.get("from") != peer.code:
        raise Refused(400, "消息的发件节点与签名节点不一致。")
    handler = _handlers.get(kind)
    if handler is None:
        raise Refused(422, f"本节点不处理“{kind}”类消息。")
    if ReceivedMessage.objects.filter(message_id=message_id).exists():
        return Outcome(True, {})
    try:
        with transaction.atomic():
            record = ReceivedMessage.objects.create(
                message_id=message_id, sender=peer.code, kind=kind, sent_at=sent_at or dt.datetime.now(dt.UTC)
            )
            result = handler(peer, payload)
            record.result = result
            record.save(update_fields=["result"])
            audit.record(
                actor=f"node:{peer.code}",
                action=f"federation.received.{kind}",
                object_type="federation.ReceivedMessage",
                object_id=message_id,
                data={"result": result},
            )
    except IntegrityError:
        return Outcome(True, {})  # the same message, applied by a concurrent delivery a moment ago
    return Outcome(False, result)


def known_public_keys() -> list[str]:
    return list(NodeKey.objects.order_by("-pk").values_list("public_hex", flat=True))
