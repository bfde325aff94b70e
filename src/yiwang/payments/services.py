"""Payment writes: the order a fee-charging approval creates, checkout, callbacks, query, refund, closing.

Every change of an order's status is a guarded UPDATE (… WHERE status = old, one row or nothing), with an
audit row, and events/notices after commit. Callbacks and queries race safely: whichever arrives first
marks the order paid; the other finds it paid and changes nothing.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.cases import notify as case_notify
from yiwang.cases import services as case_services
from yiwang.cases import transitions as case_roles
from yiwang.cases.models import Case
from yiwang.core import audit, events

from . import signing
from .models import (
    OrderStatus,
    PaymentNotification,
    PaymentOrder,
    Refund,
    RefundStatus,
)
from .providers import configured_name, get_provider
from .providers.base import ProviderError, TradeState

logger = logging.getLogger("yiwang.payments")
CENT = Decimal("0.01")


class PaymentError(Exception):
    """A refused payment operation; the message says why in Simplified Chinese."""


class PaymentNotPermitted(PaymentError):
    pass


def _new_number(prefix: str) -> str:
    return f"{prefix}{timezone.localdate():%Y%m%d}{secrets.randbelow(10**12):012d}"


def _order_state(order: PaymentOrder) -> dict[str, Any]:
    return {
        "number": order.number,
        "status": order.status,
        "amount": str(order.amount),
        "refunded": str(order.refunded_amount),
    }


def fee_lines(case: Case) -> list[dict[str, str]]:
    """The case's fee lines with an amount, from the pinned guide's Fee rows (收费项目)."""
    return [
        {"name": fee.name, "standard": fee.standard, "amount": f"{fee.amount:.2f}", "basis": fee.basis}
        for fee in case.guide.fees.order_by("order", "id")
        if fee.amount is not None and fee.amount > 0
    ]


# --- the order ----------------------------------------------------------------------------------------


def create_order_for_case(case: Case) -> PaymentOrder | None:
    """The payment order of an approved fee-charging case (call inside the decision's transaction).

    None when the item charges no fee or its fees state no amount (then the window bills by hand). A case
    that already has an order awaiting payment or paid gets that one back."""
    if not case.guide.charges_fee:
        return None
    existing = PaymentOrder.objects.filter(
        case=case, status__in=[OrderStatus.PENDING, OrderStatus.PAID]
    ).first()
    if existing is not None:
        return existing
    lines = fee_lines(case)
    if not lines:
        return None
    amount = sum((Decimal(line["amount"]) for line in lines), Decimal("0")).quantize(CENT)
    order = PaymentOrder.objects.create(
        number=_new_number("PAY"),
        case=case,
        applicant_id=case.applicant_id,
        organisation_id=case.organisation_id,
        subject=f"{case.guide.name}（办件 {case.number}）"[:200],
        amount=amount,
        lines=lines,
        fee_basis=case.guide.fee_basis or "；".join(dict.fromkeys(line["basis"] for line in lines)),
        provider=configured_name(),
    )
    audit.record(
        actor=None,
        action="payments.create_order",
        object_type="payments.order",
        object_id=order.number,
        after=_order_state(order),
        summary=f"{case.number}：生成缴费单 {order.number}，金额 {amount} 元",
        data={"case": case.number, "lines": lines},
    )
    case_notify.applicant(
        case,
        _("【一网】办件 %(n)s 已准予，需缴纳费用 %(a)s 元（缴费单 %(o)s），缴费后送达办理结果。")
        % {"n": case.number, "a": f"{amount:.2f}", "o": order.number},
        title=_("办件 %(n)s 待缴费") % {"n": case.number},
    )
    events.publish(
        "payment.order_created", {"order": order.number, "case_id": case.pk, "amount": str(amount)}
    )
    return order


def on_case_decided(case: Case, event: Any) -> None:
    """cases decision hook: an approval of a fee-charging item creates its payment order."""
    create_order_for_case(case)


def _require_applicant(user: Any, order: PaymentOrder) -> None:
    if not getattr(user, "is_authenticated", False):
        raise PaymentNotPermitted(_("请先登录再缴费。"))
    case = Case.objects.select_related("implementation", "enterprise").get(pk=order.case_id)
    if case_roles.APPLICANT not in case_services.roles_of(user, case):
        raise PaymentNotPermitted(_("只有申请人（或其授权经办人）可以缴纳该缴费单。"))


def _require_staff(user: Any, order: PaymentOrder) -> None:
    case = Case.objects.select_related("implementation", "enterprise", "organisation").get(pk=order.case_id)
    if not case_services.roles_of(user, case) & {case_roles.WINDOW, case_roles.APPROVER}:
        raise PaymentNotPermitted(_("您无权处理缴费单 %(o)s。") % {"o": order.number})


def start_checkout(order: PaymentOrder, *, actor: Any, notify_url: str, return_url: str) -> str:
    """Send the payer to the provider's cashier; returns the URL to redirect to."""
    _require_applicant(actor, order)
    order.refresh_from_db()
    if order.status != OrderStatus.PENDING:
        raise PaymentError(
            _("缴费单 %(o)s 当前为“%(s)s”，无需缴费。")
            % {"o": order.number, "s": OrderStatus(order.status).label}
        )
    try:
        checkout = get_provider(order.provider).create_checkout(
            order, notify_url=notify_url, return_url=return_url
        )
    except ProviderError as exc:
        raise PaymentError(str(exc)) from None
    PaymentOrder.objects.filter(pk=order.pk, status=OrderStatus.PENDING).update(
        provider_trade_no=checkout.trade_no, updated_at=timezone.now()
    )
    return checkout.redirect_url


# --- paid: by callback or by query --------------------------------------------------------------------


@dataclass(frozen=True)
class CallbackOutcome:
    acknowledged: bool
    message: str
    status_code: int = 200


def _mark_paid(out_trade_no: str, state: TradeState, *, source: str) -> tuple[PaymentOrder | None, str]:
    """Record a payment the provider confirmed (inside a transaction). Returns (order, outcome)."""
    order = PaymentOrder.objects.select_for_update().filter(number=out_trade_no).first()
    if order is None:
        return None, "unknown_order"
    if state.amount is None or state.amount.quantize(CENT) != order.amount:
        logger.error("payment amount differs", extra={"order": order.number, "amount": str(state.amount)})
        return order, "amount_mismatch"
    if order.status in (OrderStatus.PAID, OrderStatus.REFUNDED):
        return order, "already_paid"
    if order.status != OrderStatus.PENDING:
        return order, "order_closed"  # paid after closing: reconciliation lists it; staff refund it
    paid_at = state.paid_at or timezone.now()
    changed = PaymentOrder.objects.filter(pk=order.pk, status=OrderStatus.PENDING).update(
        status=OrderStatus.PAID,
        paid_at=paid_at,
        paid_on=timezone.localdate(paid_at),
        paid_amount=state.amount,
        provider_trade_no=state.trade_no or order.provider_trade_no,
        updated_at=timezone.now(),
    )
    if changed != 1:  # pragma: no cover - the row lock makes this unreachable
        return order, "already_paid"
    before = _order_state(order)
    order.refresh_from_db()
    audit.record(
        actor=None,
        action="payments.paid",
        object_type="payments.order",
        object_id=order.number,
        before=before,
        after=_order_state(order),
        summary=f"缴费单 {order.number} 已缴费 {order.amount} 元（{source}）",
        data={"trade_no": state.trade_no, "source": source},
    )
    case = Case.objects.select_related("applicant").get(pk=order.case_id)
    case_notify.applicant(
        case,
        _("【一网】办件 %(n)s 已缴费 %(a)s 元（缴费单 %(o)s），我们将尽快送达办理结果。")
        % {"n": case.number, "a": f"{order.amount:.2f}", "o": order.number},
        title=_("办件 %(n)s 缴费成功") % {"n": case.number},
    )
    events.publish(
        "payment.paid",
        {"order": order.number, "case_id": order.case_id, "amount": str(order.amount), "source": source},
    )
    return order, "paid"


def receive_callback(provider_name: str, body: bytes, headers: dict[str, str]) -> CallbackOutcome:
    """Verify and apply one provider notification. Forged or stale: refused and kept as evidence.
    Repeated notify_id (replay, duplicate delivery): acknowledged, nothing changes."""
    try:
        provider = get_provider(provider_name)
        message = provider.verify_callback(body, headers)
    except (signing.SignatureError, ProviderError) as exc:
        PaymentNotification.objects.create(
            provider=provider_name[:32],
            verified=False,
            outcome=str(exc)[:200],
            body=body[:8000].decode("utf-8", "replace"),
        )
        logger.warning("payment callback refused", extra={"provider": provider_name, "reason": str(exc)})
        return CallbackOutcome(False, str(exc), 400)
    try:
        with transaction.atomic():
            notification = PaymentNotification.objects.create(
                provider=provider_name,
                notify_id=message.notify_id,
                verified=True,
                outcome="received",
                body=body[:8000].decode("utf-8", "replace"),
            )
            if message.event != "TRADE_SUCCESS":
                outcome = "ignored_event"
                order = None
            else:
                order, outcome = _mark_paid(message.trade.out_trade_no, message.trade, source="callback")
            PaymentNotification.objects.filter(pk=notification.pk).update(order=order, outcome=outcome)
    except IntegrityError:
        return CallbackOutcome(True, "duplicate")  # this notify_id was handled before
    if outcome in ("unknown_order", "amount_mismatch"):
        return CallbackOutcome(False, outcome, 400)
    return CallbackOutcome(True, outcome)


@transaction.atomic
def sync_with_provider(order: PaymentOrder) -> PaymentOrder:
    """Ask the provider (主动查询) and record a payment the callback has not brought yet."""
    state = get_provider(order.provider).query(order.number)
    if state.status == "paid":
        _mark_paid(order.number, state, source="query")
    order.refresh_from_db()
    return order


# --- refunds and closing --------------------------------------------------------------------------------


def refund(order: PaymentOrder, *, actor: Any, reason: str, amount: Decimal | None = None) -> Refund:
    """Refund all or part of a paid order (window or approver staff of the charging organisation)."""
    if not reason.strip():
        raise PaymentError(_("退款须写明原因。"))
    _require_staff(actor, order)
    refund_no = _new_number("RFD")
    with transaction.atomic():
        locked = PaymentOrder.objects.select_for_update().get(pk=order.pk)
        if locked.status != OrderStatus.PAID:
            raise PaymentError(
                _("缴费单 %(o)s 当前为“%(s)s”，不能退款。")
                % {"o": locked.number, "s": OrderStatus(locked.status).label}
            )
        refundable = locked.amount - locked.refunded_amount
        wanted = (amount if amount is not None else refundable).quantize(CENT)
        if wanted <= 0 or wanted > refundable:
            raise PaymentError(_("退款金额应在 0.01 到 %(r)s 元之间。") % {"r": f"{refundable:.2f}"})
        result = get_provider(locked.provider).refund(
            locked, out_refund_no=refund_no, amount=wanted, reason=reason
        )
        record = Refund.objects.create(
            refund_no=refund_no,
            order=locked,
            amount=wanted,
            reason=reason.strip()[:300],
            status=RefundStatus.SUCCEEDED if result.succeeded else RefundStatus.FAILED,
            provider_refund_no=result.provider_refund_no,
            failure=result.failure[:300],
            requested_by=actor,
            refunded_on=timezone.localdate() if result.succeeded else None,
        )
        before = _order_state(locked)
        if result.succeeded:
            full = locked.refunded_amount + wanted == locked.amount
            PaymentOrder.objects.filter(pk=locked.pk, status=OrderStatus.PAID).update(
                refunded_amount=F("refunded_amount") + wanted,
                status=OrderStatus.REFUNDED if full else OrderStatus.PAID,
                updated_at=timezone.now(),
            )
            locked.refresh_from_db()
        audit.record(
            actor=actor,
            action="payments.refund",
            object_type="payments.order",
            object_id=locked.number,
            before=before,
            after=_order_state(locked),
            summary=f"缴费单 {locked.number} 退款 {wanted} 元：{'成功' if result.succeeded else '失败'}",
            data={"refund_no": refund_no, "reason": reason.strip()[:200], "failure": result.failure},
        )
        if result.succeeded:
            case = Case.objects.select_related("applicant").get(pk=locked.case_id)
            case_notify.applicant(
                case,
                _("【一网】缴费单 %(o)s 已退款 %(a)s 元，原路退回。原因：%(r)s")
                % {"o": locked.number, "a": f"{wanted:.2f}", "r": reason.strip()},
                title=_("缴费单 %(o)s 已退款") % {"o": locked.number},
            )
            events.publish(
                "payment.refunded", {"order": locked.number, "refund": refund_no, "amount": str(wanted)}
            )
    if not result.succeeded:
        raise PaymentError(_("渠道退款失败：%(f)s") % {"f": result.failure})
    return record


@transaction.atomic
def close_order(order: PaymentOrder, *, actor: Any, reason: str) -> PaymentOrder:
    """Close an unpaid order (fee waived under its 减免依据, or billed wrongly): delivery may go on."""
    if not reason.strip():
        raise PaymentError(_("关闭缴费单须写明原因（如减免依据）。"))
    _require_staff(actor, order)
    before = _order_state(order)
    changed = PaymentOrder.objects.filter(pk=order.pk, status=OrderStatus.PENDING).update(
        status=OrderStatus.CLOSED, closed_reason=reason.strip()[:300], updated_at=timezone.now()
    )
    if changed != 1:
        raise PaymentError(_("缴费单 %(o)s 已不是待缴费状态，不能关闭。") % {"o": order.number})
    get_provider(order.provider).close(order.number)
    order.refresh_from_db()
    audit.record(
        actor=actor,
        action="payments.close",
        object_type="payments.order",
        object_id=order.number,
        before=before,
        after=_order_state(order),
        summary=f"缴费单 {order.number} 关闭：{reason.strip()[:100]}",
    )
    return order


# --- the delivery gate the cases app asks -----------------------------------------------------------------


def delivery_gate(case: Any) -> str | None:
    """cases delivery gate: a result is delivered only once its payment order is paid (or closed)."""
    pending = PaymentOrder.objects.filter(case_id=case.pk, status=OrderStatus.PENDING).first()
    if pending is None:
        return None
    return _("办件 %(n)s 尚未缴费（缴费单 %(o)s，%(a)s 元），缴费后才能送达办理结果。") % {
        "n": case.number,
        "o": pending.number,
        "a": f"{pending.amount:.2f}",
    }
