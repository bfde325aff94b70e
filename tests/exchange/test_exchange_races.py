"""Races on PostgreSQL: two administrators deciding the same request, and one signed request sent twice at
the same moment (the nonce lets exactly one through)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from accounts.identity_factories import make_person
from catalog.factories import make_organisation
from exchange.exchange_factories import credential, grant, population_resource
from yiwang.accounts import services as account_services
from yiwang.exchange import services, signing
from yiwang.exchange.models import CallLog, Grant, GrantStatus

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row-level races need PostgreSQL; SQLite has one writer"
    ),
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


def test_approve_and_refuse_at_once_exactly_one_decision_stands() -> None:
    resource = population_resource()
    pending = Grant.objects.create(
        resource=resource, consumer=make_organisation(), fields=["name"], purpose="核验"
    )
    outcomes = race(
        lambda: services.approve_grant(pending, actor=None),
        lambda: services.refuse_grant(pending, actor=None, reason="不符合条件"),
    )
    decided = [o for o in outcomes if isinstance(o, Grant)]
    refused = [o for o in outcomes if isinstance(o, services.ExchangeError)]
    assert len(decided) == 1 and len(refused) == 1, outcomes
    assert Grant.objects.get(pk=pending.pk).status in (GrantStatus.APPROVED, GrantStatus.REFUSED)


def test_the_same_signed_request_twice_at_once_is_answered_once() -> None:
    resource = population_resource()
    consumer = make_organisation()
    grant(resource, consumer, ["name"])
    key, private_hex = credential(consumer)
    number = account_services.resident_id_of(make_person())
    path = "/api/exchange/gateway/query"
    body = json.dumps(
        {"resource": resource.code, "fields": ["name"], "subject": number, "purpose": "办理事项核验"}
    ).encode()
    headers = signing.sign_headers(
        private_hex=private_hex, key_id=key.key_id, method="POST", path=path, body=body
    )

    def send() -> int:
        return Client().post(path, data=body, content_type="application/json", headers=headers).status_code

    assert sorted(race(send, send)) == [200, 401]
    assert CallLog.objects.count() == 1
