"""Races on PostgreSQL: a reply racing a transfer, two replies, two satisfaction ratings."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from accounts.identity_factories import make_person
from interaction.interaction_factories import Desk, consultation
from yiwang.interaction import services
from yiwang.interaction.models import Message, MessageEvent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row-level races need PostgreSQL"),
]


def race(*calls: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_a_reply_racing_a_transfer_lets_exactly_one_through() -> None:
    desk, other = Desk(), Desk()
    message = consultation(desk)
    outcomes = race(
        lambda: services.reply(message, actor=desk.clerk, text="答复"),
        lambda: services.transfer(message, actor=desk.clerk, to_organisation=other.organisation, reason="转"),
    )
    assert sum(isinstance(o, Message) for o in outcomes) == 1, outcomes
    assert MessageEvent.objects.filter(message=message, action__in=["reply", "transfer"]).count() == 1


def test_two_ratings_of_a_reply_store_one() -> None:
    desk = Desk()
    asker = make_person()
    message = services.reply(consultation(desk, asker), actor=desk.clerk, text="答复")
    outcomes = race(
        lambda: services.rate_reply(message, asker=asker, satisfaction=1),
        lambda: services.rate_reply(message, asker=asker, satisfaction=5),
    )
    assert sum(isinstance(o, Message) for o in outcomes) == 1, outcomes
    assert MessageEvent.objects.filter(message=message, action="rate").count() == 1
