"""Payment test data: a fee-charging case taken to its decision (the decision creates the order), and
signed sandbox notifications. Import as ``from payments.payments_factories import ...``."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from cases.case_factories import Office, applicant, filed_case, publish
from yiwang.accounts.models import User
from yiwang.cases import services as case_services
from yiwang.cases.models import Case
from yiwang.payments import signing
from yiwang.payments.models import PaymentOrder, SandboxTrade
from yiwang.payments.providers import get_provider
from yiwang.payments.providers.sandbox import notification_body

FEES: list[dict[str, Any]] = [
    {
        "name": "证书工本费",
        "standard": "每证10元",
        "amount": Decimal("10.00"),
        "basis": "省物价局浙价费〔2024〕1号",
    },
    {
        "name": "登记费",
        "standard": "每件5.5元",
        "amount": Decimal("5.50"),
        "basis": "省财政厅浙财综〔2024〕2号",
    },
]


def decided_case(
    *, approve: bool = True, fees: list[dict[str, Any]] | None = None, **guide: Any
) -> tuple[Office, User, Case]:
    """A case of a fee-charging item, reviewed and decided (approved by default)."""
    office = Office()
    implementation = publish(office.organisation, fees=FEES if fees is None else fees, **guide)
    person = applicant()
    case = filed_case(implementation, person)
    case_services.accept(case, actor=office.window)
    case_services.start_review(case, actor=office.reviewer)
    for step in list(case.steps.order_by("lane", "order")):
        case_services.complete_step(case, step, actor=office.reviewer)
    if approve:
        case_services.approve(case, actor=office.approver)
    else:
        case_services.refuse(case, actor=office.approver, reason="不符合法定条件")
    case.refresh_from_db()
    return office, person, case


def order_of(case: Case) -> PaymentOrder:
    return PaymentOrder.objects.get(case=case)


def open_trade(order: PaymentOrder) -> SandboxTrade:
    """The payer went to the cashier: the sandbox holds a trade for the order."""
    checkout = get_provider("sandbox").create_checkout(
        order, notify_url="http://testserver/api/payments/notify/sandbox", return_url="http://testserver/pay/"
    )
    order.provider_trade_no = checkout.trade_no
    order.save(update_fields=["provider_trade_no"])
    return SandboxTrade.objects.get(trade_no=checkout.trade_no)


def pay_at_cashier(order: PaymentOrder) -> SandboxTrade:
    """The payer confirms at the sandbox cashier (its notification runs only if on_commit callbacks do)."""
    trade = open_trade(order)
    get_provider("sandbox").pay(trade.trade_no)  # type: ignore[attr-defined]
    trade.refresh_from_db()
    return trade


def signed(body: bytes, **sign: Any) -> dict[str, str]:
    """Headers for the Django test client (HTTP_ prefixed) carrying the sandbox's signature."""
    headers = signing.sign_headers(signing.sandbox_key(), body, **sign)
    return {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}


def success_body(trade: SandboxTrade, **changes: Any) -> bytes:
    data = json.loads(notification_body(trade))
    data.update(changes)
    return json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")
