"""Races on PostgreSQL: the callback against the return-page query, the same notification delivered twice
at once, and the payer confirming twice at the cashier (two tabs)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from payments.payments_factories import decided_case, open_trade, order_of, pay_at_cashier
from yiwang.core.models import AuditEntry
from yiwang.payments import services, signing
from yiwang.payments.models import OrderStatus, PaymentNotification, SandboxTrade, SandboxTradeStatus
from yiwang.payments.providers import get_provider
from yiwang.payments.providers.base import ProviderError
from yiwang.payments.providers.sandbox import MAX_NOTIFY_ATTEMPTS, notification_body

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


def _callback(trade: SandboxTrade) -> Callable[[], Any]:
    body = notification_body(trade)
    return lambda: services.receive_callback(
        "sandbox", body, signing.sign_headers(signing.sandbox_key(), body)
    )


def test_callback_against_query_marks_paid_exactly_once() -> None:
    _office, _person, case = decided_case()
    order = order_of(case)
    # Paid at the provider while its notifications are held back (attempts used up), so the order is
    # still pending when the delayed callbacks and the return-page query arrive together.
    trade = open_trade(order)
    SandboxTrade.objects.filter(pk=trade.pk).update(notify_attempts=MAX_NOTIFY_ATTEMPTS)
    get_provider("sandbox").pay(trade.trade_no)  # type: ignore[attr-defined]
    trade.refresh_from_db()
    assert order_of(case).status == OrderStatus.PENDING
    outcomes = race(_callback(trade), lambda: services.sync_with_provider(order), _callback(trade))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert order_of(case).status == OrderStatus.PAID
    assert AuditEntry.objects.filter(action="payments.paid", object_id=order.number).count() == 1
    assert PaymentNotification.objects.filter(verified=True, notify_id=trade.notify_id).count() == 1


def test_paying_twice_at_the_cashier_charges_once() -> None:
    _office, _person, case = decided_case()
    order = order_of(case)
    trade = open_trade(order)
    provider = get_provider("sandbox")
    outcomes = race(*(lambda: provider.pay(trade.trade_no) for _ in range(3)))  # type: ignore[attr-defined]
    assert sum(isinstance(o, SandboxTrade) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, ProviderError) for o in outcomes) == 2
    assert SandboxTrade.objects.get(pk=trade.pk).status == SandboxTradeStatus.SUCCESS


def test_two_refunds_at_once_never_exceed_what_was_paid() -> None:
    office, _person, case = decided_case()
    order = order_of(case)
    pay_at_cashier(order)
    services.sync_with_provider(order)
    outcomes = race(
        lambda: services.refund(order, actor=office.window, reason="全额退还"),
        lambda: services.refund(order, actor=office.approver, reason="全额退还"),
    )
    assert sum(isinstance(o, services.PaymentError) for o in outcomes) == 1, outcomes
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED and order.refunded_amount == order.amount


def test_two_tabs_opening_the_cashier_at_once_share_one_trade() -> None:
    _office, person, case = decided_case()
    order = order_of(case)
    urls = race(
        *(
            lambda: services.start_checkout(
                order, actor=person, notify_url="http://x/n", return_url="http://x/r"
            )
            for _ in range(3)
        )
    )
    assert all(isinstance(u, str) for u in urls), urls
    assert len(set(urls)) == 1 and SandboxTrade.objects.filter(out_trade_no=order.number).count() == 1
