"""The payment provider interface. A provider is a class with these methods; choose it with
YIWANG_PAYMENT_PROVIDER (default "sandbox"), or a dotted path to a class for a real channel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol


class ProviderError(RuntimeError):
    """The provider refused or failed an operation; the message says why (Simplified Chinese)."""


@dataclass(frozen=True)
class Checkout:
    redirect_url: str
    trade_no: str


@dataclass(frozen=True)
class TradeState:
    """What the provider says about one order: status is paid, pending, closed or not_found."""

    status: str
    out_trade_no: str
    trade_no: str = ""
    amount: Decimal | None = None
    paid_at: dt.datetime | None = None


@dataclass(frozen=True)
class CallbackMessage:
    """A verified callback: a payment succeeded (the only notification the sandbox sends)."""

    notify_id: str
    event: str
    trade: TradeState


@dataclass(frozen=True)
class RefundResult:
    succeeded: bool
    provider_refund_no: str = ""
    failure: str = ""


@dataclass(frozen=True)
class StatementLine:
    """One line of the provider's daily statement: entry is "payment" or "refund"; reference is our
    order number (payments) or our refund number (refunds)."""

    entry: str
    reference: str
    amount: Decimal


class PaymentProvider(Protocol):
    name: str

    def create_checkout(self, order: Any, *, notify_url: str, return_url: str) -> Checkout: ...

    def verify_callback(self, body: bytes, headers: Mapping[str, str]) -> CallbackMessage: ...

    def query(self, out_trade_no: str) -> TradeState: ...

    def refund(self, order: Any, *, out_refund_no: str, amount: Decimal, reason: str) -> RefundResult: ...

    def close(self, out_trade_no: str) -> None: ...

    def statement(self, day: dt.date) -> list[StatementLine]: ...
