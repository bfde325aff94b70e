"""Refunds (full, partial, too much, by whom) and the daily reconciliation with its mismatches."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from payments.payments_factories import decided_case, order_of, pay_at_cashier
from yiwang.payments import reconcile, services
from yiwang.payments.models import MismatchKind, OrderStatus, PaymentOrder, Refund, SandboxRefund
from yiwang.payments.tasks import reconcile_day

pytestmark = pytest.mark.django_db


def _paid() -> tuple[Any, Any, PaymentOrder]:
    office, person, case = decided_case()
    order = order_of(case)
    pay_at_cashier(order)
    return office, person, services.sync_with_provider(order)


def test_partial_then_full_refund_and_the_limits() -> None:
    office, person, order = _paid()
    with pytest.raises(services.PaymentNotPermitted):
        services.refund(order, actor=person, reason="想退")
    with pytest.raises(services.PaymentError, match="写明原因"):
        services.refund(order, actor=office.window, reason="")
    first = services.refund(order, actor=office.window, reason="多收登记费", amount=Decimal("5.50"))
    order.refresh_from_db()
    assert first.status == "succeeded" and order.status == OrderStatus.PAID
    assert order.refunded_amount == Decimal("5.50")
    with pytest.raises(services.PaymentError, match=r"0\.01 到 10\.00"):
        services.refund(order, actor=office.window, reason="再退", amount=Decimal("10.01"))
    services.refund(order, actor=office.approver, reason="申请人撤回，全额退还")
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED and order.refunded_amount == order.amount
    assert SandboxRefund.objects.filter(trade__out_trade_no=order.number).count() == 2
    with pytest.raises(services.PaymentError, match="不能退款"):
        services.refund(order, actor=office.window, reason="第三次")


def test_an_unpaid_order_cannot_be_refunded() -> None:
    office, _person, case = decided_case()
    with pytest.raises(services.PaymentError, match="不能退款"):
        services.refund(order_of(case), actor=office.window, reason="误操作")


def test_reconciliation_matches_a_clean_day() -> None:
    office, _person, order = _paid()
    services.refund(order, actor=office.window, reason="多收", amount=Decimal("0.50"))
    run = reconcile.reconcile(timezone.localdate())
    assert (run.provider_count, run.local_count, run.mismatch_count) == (2, 2, 0)
    assert run.provider_total == run.local_total == Decimal("16.00")


def test_reconciliation_lists_every_kind_of_mismatch() -> None:
    _o, _p, lost = decided_case()
    lost_order = order_of(lost)
    pay_at_cashier(lost_order)  # the provider has it paid; our callback was lost, no query yet
    _office, _person, skewed = _paid()
    PaymentOrder.objects.filter(pk=skewed.pk).update(paid_amount=Decimal("15.00"))  # a bug on our side
    _o2, _p2, phantom = decided_case()
    phantom_order = order_of(phantom)  # we think it is paid; the provider never saw it
    PaymentOrder.objects.filter(pk=phantom_order.pk).update(
        status=OrderStatus.PAID, paid_on=timezone.localdate(), paid_amount=phantom_order.amount
    )
    run = reconcile.reconcile(timezone.localdate())
    found = {(m.kind, m.reference) for m in run.mismatches.all()}
    assert found == {
        (MismatchKind.MISSING_LOCAL, lost_order.number),
        (MismatchKind.AMOUNT, skewed.number),
        (MismatchKind.MISSING_PROVIDER, phantom_order.number),
    }
    # Fixing the lost payment by query and re-running the day replaces the result.
    services.sync_with_provider(lost_order)
    assert reconcile.reconcile(timezone.localdate()).mismatch_count == 2


def test_reconcile_command_and_task(capsys: Any) -> None:
    _o, _p, case = decided_case()
    pay_at_cashier(order_of(case))
    today = timezone.localdate().isoformat()
    call_command("payments", "reconcile", "--date", today)
    out = capsys.readouterr().out
    assert "差异 1 笔" in out and order_of(case).number in out
    assert reconcile_day.apply(kwargs={"day": today}).get() == {"day": today, "mismatches": 1}
    call_command("payments", "sync")
    assert "已补记缴费 1 笔" in capsys.readouterr().out
    call_command("payments", "reconcile", "--date", today)
    assert "差异 0 笔" in capsys.readouterr().out
    assert Refund.objects.count() == 0
