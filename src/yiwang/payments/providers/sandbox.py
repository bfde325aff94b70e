"""The sandbox provider: behaves like a real online payment channel, with its own ledger (SandboxTrade).

- create_checkout: opens (or reopens) a trade for our order number and redirects the payer to the
  sandbox cashier page (/pay/sandbox/cashier/<trade_no>/), where the payer confirms or cancels.
- pay (the cashier's "confirm"): the trade succeeds once — a second payment of the same trade is refused
  under a row lock, as a real provider refuses to charge an order twice — then the asynchronous, signed
  notification is sent after commit.
- Notifications: JSON signed with HMAC-SM3 (payments.signing), re-signed on every attempt with the same
  notify_id. With a Celery worker (REDIS_URL set) the task POSTs to the notify URL over HTTP and retries
  (payments.sandbox_redeliver); without one (embedded default, tests) the message goes through the same
  verification and handling in process, so the web process never calls itself over HTTP.
- query, refund (synchronous, at most what was paid), close, and a daily statement (payments and refunds
  by day) for reconciliation.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import uuid
from collections.abc import Mapping
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from yiwang.payments import signing
from yiwang.payments.models import SandboxRefund, SandboxTrade, SandboxTradeStatus

from .base import CallbackMessage, Checkout, ProviderError, RefundResult, StatementLine, TradeState

logger = logging.getLogger("yiwang.payments")

NAME = "sandbox"
MAX_NOTIFY_ATTEMPTS = 8
STATUS_NAMES = {
    SandboxTradeStatus.WAIT_BUYER_PAY: "pending",
    SandboxTradeStatus.SUCCESS: "paid",
    SandboxTradeStatus.CLOSED: "closed",
}


def _new_no(prefix: str) -> str:
    return f"{prefix}{timezone.localdate():%Y%m%d}{secrets.randbelow(10**12):012d}"


def _state(trade: SandboxTrade | None, out_trade_no: str) -> TradeState:
    if trade is None:
        return TradeState(status="not_found", out_trade_no=out_trade_no)
    return TradeState(
        status=STATUS_NAMES[SandboxTradeStatus(trade.status)],
        out_trade_no=trade.out_trade_no,
        trade_no=trade.trade_no,
        amount=trade.amount,
        paid_at=trade.paid_at,
    )


def notification_body(trade: SandboxTrade) -> bytes:
    """The JSON body of the payment-success notification of a trade (same notify_id on every attempt)."""
    return json.dumps(
        {
            "notify_id": trade.notify_id,
            "event": "TRADE_SUCCESS",
            "out_trade_no": trade.out_trade_no,
            "trade_no": trade.trade_no,
            "total_amount": f"{trade.amount:.2f}",
            "paid_at": trade.paid_at.isoformat() if trade.paid_at else "",
        },
        ensure_ascii=False,
        sort_keys=True,
    ).encode("utf-8")


class SandboxProvider:
    name = NAME

    # --- what the platform calls -------------------------------------------------------------------

    def create_checkout(self, order: object, *, notify_url: str, return_url: str) -> Checkout:
        number = str(order.number)  # type: ignore[attr-defined]
        amount = Decimal(order.amount)  # type: ignore[attr-defined]
        try:
            return self._checkout(order, number, amount, notify_url, return_url)
        except IntegrityError:  # a concurrent checkout of the same order opened the trade first
            return self._checkout(order, number, amount, notify_url, return_url)

    def _checkout(
        self, order: object, number: str, amount: Decimal, notify_url: str, return_url: str
    ) -> Checkout:
        with transaction.atomic():
            trade = SandboxTrade.objects.select_for_update().filter(out_trade_no=number).first()
            if trade is None:
                trade = SandboxTrade.objects.create(
                    trade_no=_new_no("SBX"),
                    out_trade_no=number,
                    merchant=str(order.organisation.name),  # type: ignore[attr-defined]
                    subject=str(order.subject)[:200],  # type: ignore[attr-defined]
                    amount=amount,
                    notify_url=notify_url,
                    return_url=return_url,
                )
            elif trade.amount != amount:
                raise ProviderError("同一商户订单号的金额与原交易不一致，渠道拒绝。")
            elif trade.status == SandboxTradeStatus.CLOSED:
                raise ProviderError("该交易已关闭，不能再支付。")
            else:
                SandboxTrade.objects.filter(pk=trade.pk).update(notify_url=notify_url, return_url=return_url)
        return Checkout(
            redirect_url=reverse("payments:sandbox_cashier", args=[trade.trade_no]), trade_no=trade.trade_no
        )

    def verify_callback(self, body: bytes, headers: Mapping[str, str]) -> CallbackMessage:
        signing.verify_headers(signing.sandbox_key(), body, headers)
        try:
            data = json.loads(body.decode("utf-8"))
            amount = Decimal(str(data["total_amount"]))
            paid_at = dt.datetime.fromisoformat(data["paid_at"]) if data.get("paid_at") else None
            return CallbackMessage(
                notify_id=str(data["notify_id"]),
                event=str(data["event"]),
                trade=TradeState(
                    status="paid" if data["event"] == "TRADE_SUCCESS" else "pending",
                    out_trade_no=str(data["out_trade_no"]),
                    trade_no=str(data["trade_no"]),
                    amount=amount,
                    paid_at=paid_at,
                ),
            )
        except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
            raise signing.SignatureError(f"通知内容格式不正确：{exc}") from None

    def query(self, out_trade_no: str) -> TradeState:
        return _state(SandboxTrade.objects.filter(out_trade_no=out_trade_no).first(), out_trade_no)

    def refund(self, order: object, *, out_refund_no: str, amount: Decimal, reason: str) -> RefundResult:
        number = str(order.number)  # type: ignore[attr-defined]
        with transaction.atomic():
            trade = SandboxTrade.objects.select_for_update().filter(out_trade_no=number).first()
            if trade is None or trade.status != SandboxTradeStatus.SUCCESS:
                return RefundResult(False, failure="渠道未查到该订单的成功支付，无法退款。")
            existing = SandboxRefund.objects.filter(out_refund_no=out_refund_no).first()
            if existing is not None:  # the same refund asked again: answered, not repeated
                return RefundResult(True, provider_refund_no=existing.refund_no)
            refunded = trade.refunds.aggregate(s=Sum("amount"))["s"] or Decimal("0")
            if amount <= 0 or refunded + amount > trade.amount:
                return RefundResult(False, failure="退款金额超过可退金额。")
            created = SandboxRefund.objects.create(
                trade=trade,
                out_refund_no=out_refund_no,
                refund_no=_new_no("SBR"),
                amount=amount,
                refunded_on=timezone.localdate(),
            )
        return RefundResult(True, provider_refund_no=created.refund_no)

    def close(self, out_trade_no: str) -> None:
        SandboxTrade.objects.filter(
            out_trade_no=out_trade_no, status=SandboxTradeStatus.WAIT_BUYER_PAY
        ).update(status=SandboxTradeStatus.CLOSED)

    def statement(self, day: dt.date) -> list[StatementLine]:
        lines = [
            StatementLine("payment", out_trade_no, amount)
            for out_trade_no, amount in SandboxTrade.objects.filter(
                paid_on=day, status=SandboxTradeStatus.SUCCESS
            ).values_list("out_trade_no", "amount")
        ]
        lines += [
            StatementLine("refund", out_refund_no, amount)
            for out_refund_no, amount in SandboxRefund.objects.filter(refunded_on=day).values_list(
                "out_refund_no", "amount"
            )
        ]
        return lines

    # --- what the payer does at the sandbox cashier -------------------------------------------------

    def pay(self, trade_no: str) -> SandboxTrade:
        """The payer confirms at the cashier. Succeeds once; the notification follows after commit."""
        with transaction.atomic():
            trade = SandboxTrade.objects.select_for_update().filter(trade_no=trade_no).first()
            if trade is None:
                raise ProviderError("交易不存在。")
            if trade.status == SandboxTradeStatus.SUCCESS:
                raise ProviderError("该订单已支付，请勿重复付款。")
            if trade.status == SandboxTradeStatus.CLOSED:
                raise ProviderError("该交易已关闭，不能付款。")
            now = timezone.now()
            trade.status = SandboxTradeStatus.SUCCESS
            trade.paid_at = now
            trade.paid_on = timezone.localdate(now)
            trade.notify_id = uuid.uuid4().hex
            trade.save(update_fields=["status", "paid_at", "paid_on", "notify_id"])
            from yiwang.payments.tasks import sandbox_notify

            transaction.on_commit(lambda: sandbox_notify.delay(trade.trade_no))
        return trade


def deliver_notification(trade_no: str) -> bool:
    """One delivery attempt of a trade's notification. True when the platform acknowledged it."""
    from yiwang.core.tasks import app as celery_app

    trade = SandboxTrade.objects.filter(trade_no=trade_no, status=SandboxTradeStatus.SUCCESS).first()
    if trade is None or trade.notified_at is not None:
        return trade is not None
    if trade.notify_attempts >= MAX_NOTIFY_ATTEMPTS:
        return False
    SandboxTrade.objects.filter(pk=trade.pk).update(notify_attempts=trade.notify_attempts + 1)
    body = notification_body(trade)
    headers = signing.sign_headers(signing.sandbox_key(), body)
    acknowledged = False
    if celery_app.conf.task_always_eager or not trade.notify_url.startswith(("http://", "https://")):
        from yiwang.payments import services

        acknowledged = services.receive_callback(NAME, body, headers).acknowledged
    else:
        import httpx

        try:
            response = httpx.post(
                trade.notify_url,
                content=body,
                headers={**headers, "Content-Type": "application/json"},
                timeout=10.0,
            )
            acknowledged = response.status_code == 200 and response.json().get("code") == "SUCCESS"
        except (httpx.HTTPError, ValueError):
            logger.warning("sandbox notification failed", extra={"trade_no": trade_no})
    if acknowledged:
        SandboxTrade.objects.filter(pk=trade.pk).update(notified_at=timezone.now())
    return acknowledged
