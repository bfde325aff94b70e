"""A fee-charging approval creates its payment order; delivery waits for payment; waiving closes it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from payments.payments_factories import FEES, decided_case, order_of, pay_at_cashier
from yiwang.cases import services as case_services
from yiwang.cases.errors import TransitionRefused
from yiwang.cases.models import CaseStatus
from yiwang.core import inbox
from yiwang.core.models import AuditEntry
from yiwang.payments import selectors, services
from yiwang.payments.models import OrderStatus, PaymentOrder

pytestmark = pytest.mark.django_db


def test_approval_creates_the_order_with_amount_lines_and_basis(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _office, person, case = decided_case()
    order = order_of(case)
    assert order.status == OrderStatus.PENDING and order.amount == Decimal("15.50")
    assert [line["name"] for line in order.lines] == ["证书工本费", "登记费"]
    assert order.lines[1] == {
        "name": "登记费",
        "standard": "每件5.5元",
        "amount": "5.50",
        "basis": FEES[1]["basis"],
    }
    assert order.fee_basis and order.applicant == person and order.provider == "sandbox"
    assert selectors.open_order_for_case(case) == order
    assert order.pay_url == f"/pay/orders/{order.number}/"
    assert AuditEntry.objects.filter(action="payments.create_order", object_id=order.number).exists()
    assert any("待缴费" in m.title for m in inbox.messages_for(person))


def test_no_order_for_a_refusal_or_an_item_without_fees() -> None:
    _office, _person, refused = decided_case(approve=False)
    assert not PaymentOrder.objects.filter(case=refused).exists()
    _office, _person, free = decided_case(
        charges_fee=False, fee_basis="", fees=[], supports_online_payment=False
    )
    assert not PaymentOrder.objects.filter(case=free).exists() and selectors.open_order_for_case(free) is None
    # Fees stated without an amount (按面积计收) cannot be billed automatically: no order.
    _o, _p, unpriced = decided_case(fees=[{"name": "测绘费", "standard": "按面积计", "basis": "某规定"}])
    assert not PaymentOrder.objects.filter(case=unpriced).exists()


def test_delivery_waits_for_payment(django_capture_on_commit_callbacks: Any) -> None:
    office, _person, case = decided_case()
    case_services.complete(case, actor=office.approver)
    order = order_of(case)
    with pytest.raises(TransitionRefused, match=f"尚未缴费（缴费单 {order.number}，15.50 元）"):
        case_services.deliver(case, actor=office.window, method="electronic")
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    pay_at_cashier(order)
    assert services.sync_with_provider(order).status == OrderStatus.PAID
    assert selectors.open_order_for_case(case) is None
    case_services.deliver(case, actor=office.window, method="electronic")
    case.refresh_from_db()
    assert case.status == CaseStatus.DELIVERED


def test_a_waived_fee_closes_the_order_and_opens_delivery() -> None:
    office, person, case = decided_case()
    case_services.complete(case, actor=office.approver)
    order = order_of(case)
    with pytest.raises(services.PaymentNotPermitted):
        services.close_order(order, actor=person, reason="减免")
    with pytest.raises(services.PaymentError, match="写明原因"):
        services.close_order(order, actor=office.window, reason=" ")
    services.close_order(order, actor=office.window, reason="符合减免条件：低保户（减免依据第3条）")
    assert order_of(case).status == OrderStatus.CLOSED
    with pytest.raises(services.PaymentError, match="不能关闭"):
        services.close_order(order, actor=office.window, reason="再次关闭")
    case_services.deliver(case, actor=office.window, method="window")
    assert case.__class__.objects.get(pk=case.pk).status == CaseStatus.DELIVERED


def test_checkout_only_for_the_applicant_and_only_while_pending() -> None:
    office, person, case = decided_case()
    order = order_of(case)
    with pytest.raises(services.PaymentNotPermitted):
        services.start_checkout(order, actor=office.window, notify_url="http://x/n", return_url="http://x/r")
    url = services.start_checkout(order, actor=person, notify_url="http://x/n", return_url="http://x/r")
    assert url.startswith("/pay/sandbox/cashier/SBX")
    assert (
        services.start_checkout(order, actor=person, notify_url="http://x/n", return_url="http://x/r") == url
    )
    pay_at_cashier(order)
    services.sync_with_provider(order)
    with pytest.raises(services.PaymentError, match="无需缴费"):
        services.start_checkout(order, actor=person, notify_url="http://x/n", return_url="http://x/r")
