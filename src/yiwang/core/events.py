"""A small in-process domain event bus. Lower apps announce; higher apps subscribe (architecture.md).

Handlers run after the surrounding transaction commits, so nobody reacts to a change that rolled back.
Where delivery must survive a crash, the subscriber keeps its own durable outbox.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger("yiwang.events")

Handler = Callable[[str, dict[str, Any]], None]
BatchHandler = Callable[[str, list[dict[str, Any]]], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)
_batch_handlers: dict[Handler, BatchHandler] = {}


def subscribe(event: str, handler: Handler, *, batch: BatchHandler | None = None) -> None:
    """`batch` (optional): how the subscriber takes many events of one kind at once (`publish_many`),
    e.g. one query for all of them instead of one each."""
    if handler not in _handlers[event]:
        _handlers[event].append(handler)
    if batch is not None:
        _batch_handlers[handler] = batch


def _run(event: str, handler: Handler, payloads: list[dict[str, Any]]) -> None:
    # A failing subscriber (or payload) must not stop the others, nor undo the committed change.
    batch = _batch_handlers.get(handler) if len(payloads) > 1 else None
    calls: list[tuple[Callable[..., None], Any]] = (
        [(batch, payloads)] if batch is not None else [(handler, payload) for payload in payloads]
    )
    for call, argument in calls:
        try:
            call(event, argument)
        except Exception:
            logger.exception("event handler failed", extra={"event": event, "handler": repr(handler)})


def publish(event: str, payload: dict[str, Any]) -> None:
    """Dispatch `event` to its subscribers once the current transaction commits (at once outside one)."""
    publish_many(event, [payload])


def publish_many(event: str, payloads: list[dict[str, Any]]) -> None:
    """Many events of one kind from one change (a sweep's deemed acceptances): one dispatch after the
    commit, handed whole to subscribers that take batches."""
    if not payloads:
        return

    def dispatch() -> None:
        for handler in list(_handlers.get(event, ())):
            _run(event, handler, payloads)

    transaction.on_commit(dispatch)
