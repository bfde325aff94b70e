"""The provider's asynchronous callback: verified (HMAC-SM3), idempotent, forged/stale/replayed refused or
ignored; the query path records a payment the callback has not brought; both together change it once."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from payments.payments_factories import (
    decided_case,
    open_trade,
    order_of,
    pay_at_cashier,
    signed,
    success_body,
)
from yiwang.core.models import AuditEntry
from yiwang.payments import services, signing
from yiwang.payments.models import OrderStatus, PaymentNotification, SandboxTrade
from yiwang.payments.providers.sandbox import deliver_notification, notification_body

pytestmark = pytest.mark.django_db
URL = "/api/payments/notify/sandbox"


def _post(client: Client, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(URL, data=body, content_type="application/json", **headers)


def _paid_audits(number: str) -> int:
    return AuditEntry.objects.filter(action="payments.paid", object_id=number).count()


def test_a_signed_callback_marks_the_order_paid_once_and_repeats_are_acknowledged(client: Client) -> None:
    _office, _person, case = decided_case()
    order = order_of(case)
    trade = pay_at_cashier(order)  # notification not delivered yet (on_commit callbacks do not run here)
    body = notification_body(trade)
    headers = signed(body)
    response = _post(client, body, headers)
    assert response.status_code == 200 and response.json() == {"code": "SUCCESS", "message": "paid"}
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.paid_amount == Decimal("15.50")
    assert order.provider_trade_no == trade.trade_no and order.paid_on is not None
    # The very same message again (a replay within the time window) and a fresh retry of the same
    # notification (new timestamp, same notify_id): acknowledged, nothing changes.
    assert _post(client, body, headers).json()["code"] == "SUCCESS"
    assert _post(client, body, signed(body)).json()["message"] == "duplicate"
    assert _paid_audits(order.number) == 1
    assert PaymentNotification.objects.filter(verified=True, notify_id=trade.notify_id).count() == 1


def test_forged_tampered_and_stale_callbacks_are_refused_and_kept(client: Client) -> None:
    _office, _person, case = decided_case()
    order = order_of(case)
    trade = pay_at_cashier(order)
    body = notification_body(trade)
    # Signed with another key (a forger without the merchant key).
    forged = signing.sign_headers(b"not-the-merchant-key", body)
    response = _post(client, body, {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in forged.items()})
    assert response.status_code == 400 and "签名校验失败" in response.json()["message"]
    # A genuine signature over another body (amount changed after signing).
    genuine = signed(body)
    assert _post(client, success_body(trade, total_amount="0.01"), genuine).status_code == 400
    # No signature at all.
    assert "缺少签名头" in _post(client, body, {}).json()["message"]
    # A genuine message captured long ago and replayed later.
    stale = signed(body, now=time.time() - 3600)
    assert "超出允许范围" in _post(client, body, stale).json()["message"]
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert PaymentNotification.objects.filter(verified=False).count() == 4


def test_a_signed_callback_with_the_wrong_amount_does_not_pay(client: Client) -> None:
    _office, _person, case = decided_case()
    order = order_of(case)
    trade = pay_at_cashier(order)
    body = success_body(trade, total_amount="1.00")
    response = _post(client, body, signed(body))
    assert response.status_code == 400 and response.json()["message"] == "amount_mismatch"
    assert order_of(case).status == OrderStatus.PENDING


def test_callback_for_an_unknown_order_is_refused(client: Client) -> None:
    _office, _person, case = decided_case()
    trade = pay_at_cashier(order_of(case))
    body = success_body(trade, out_trade_no="PAY20260101000000000000", notify_id="other")
    assert _post(client, body, signed(body)).json()["message"] == "unknown_order"


def test_query_records_the_payment_and_the_late_callback_changes_nothing(client: Client) -> None:
    _office, _person, case = decided_case()
    order = order_of(case)
    open_trade(order)
    assert services.sync_with_provider(order).status == OrderStatus.PENDING  # not paid yet: stays pending
    trade = pay_at_cashier(order)
    assert services.sync_with_provider(order).status == OrderStatus.PAID
    body = notification_body(trade)
    assert _post(client, body, signed(body)).json()["message"] == "already_paid"
    assert _paid_audits(order.number) == 1


def test_the_sandbox_delivers_its_notification_in_process_when_there_is_no_worker(
    django_capture_on_commit_callbacks: Any,
) -> None:
    _office, _person, case = decided_case()
    order = order_of(case)
    with django_capture_on_commit_callbacks(execute=True):
        trade = pay_at_cashier(order)
    trade.refresh_from_db()
    assert trade.notified_at is not None and trade.notify_attempts == 1
    assert order_of(case).status == OrderStatus.PAID
    assert deliver_notification(trade.trade_no) is True  # already acknowledged: not sent again
    assert SandboxTrade.objects.get(pk=trade.pk).notify_attempts == 1


def test_the_cashier_refuses_to_charge_an_order_twice() -> None:
    _office, _person, case = decided_case()
    order = order_of(case)
    trade = pay_at_cashier(order)
    from yiwang.payments.providers import get_provider
    from yiwang.payments.providers.base import ProviderError

    with pytest.raises(ProviderError, match="请勿重复付款"):
        get_provider("sandbox").pay(trade.trade_no)  # type: ignore[attr-defined]


def test_the_callback_needs_no_session_or_csrf_token() -> None:
    _office, _person, case = decided_case()
    order = order_of(case)
    trade = pay_at_cashier(order)
    body = notification_body(trade)
    strict = Client(enforce_csrf_checks=True)  # the provider has neither a session nor a CSRF token
    assert _post(strict, body, signed(body)).json()["code"] == "SUCCESS"
    assert order_of(case).status == OrderStatus.PAID


def test_a_callback_to_an_unknown_provider_name_is_refused(client: Client) -> None:
    response = client.post("/api/payments/notify/os.system", data=b"{}", content_type="application/json")
    assert response.status_code == 400 and "未知的支付渠道" in response.json()["message"]
