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
_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event: str, handler: Handler) -> None:
    if handler not in _handlers[event]:
        _handlers[event].append(handler)


def publish(event: str, payload: dict[str, Any]) -> None:
    """Dispatch `event` to its subscribers once the current transaction commits (at once outside one)."""

    def dispatch() -> None:
        for handler in list(_handlers.get(event, ())):
            try:
                handler(event, payload)
            except Exception:  # one failing subscriber must not stop the others or the committed change
                logger.exception("event handler failed", extra={"event": event, "handler": repr(handler)})

    transaction.on_commit(dispatch)
