"""The applicant's pay page, the checkout redirect, the sandbox cashier and the return page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from cases.case_factories import applicant
from payments.payments_factories import decided_case, order_of
from yiwang.payments.models import OrderStatus, SandboxTrade

pytestmark = pytest.mark.django_db


def test_the_applicant_pays_through_the_sandbox_cashier(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    _office, person, case = decided_case()
    order = order_of(case)
    client.force_login(person)
    page = client.get(order.pay_url)
    text = page.content.decode()
    assert page.status_code == 200 and "15.50" in text and "省物价局浙价费〔2024〕1号" in text
    response = client.post(f"/pay/orders/{order.number}/checkout")
    assert response.status_code == 302 and response["Location"].startswith("/pay/sandbox/cashier/")
    cashier = client.get(response["Location"])
    assert cashier.status_code == 200 and "沙箱" in cashier.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        paid = client.post(response["Location"], {"action": "pay"})
    assert paid.status_code == 302 and paid["Location"].endswith(f"/pay/orders/{order.number}/return")
    back = client.get(paid["Location"], follow=True)
    assert "缴费成功" in back.content.decode()
    assert order_of(case).status == OrderStatus.PAID
    again = client.post(response["Location"], {"action": "pay"})
    assert again.status_code == 409 and "请勿重复付款" in again.content.decode()
    trade = SandboxTrade.objects.get(out_trade_no=order.number)
    assert trade.notified_at is not None  # the callback arrived (in process) as well


def test_cancel_returns_unpaid_and_the_query_finds_nothing(client: Client) -> None:
    _office, person, case = decided_case()
    order = order_of(case)
    client.force_login(person)
    cashier = client.post(f"/pay/orders/{order.number}/checkout")["Location"]
    back = client.post(cashier, {"action": "cancel"})
    page = client.get(back["Location"], follow=True)
    assert "尚未收到支付结果" in page.content.decode()
    assert order_of(case).status == OrderStatus.PENDING


def test_another_person_sees_404(client: Client) -> None:
    _office, _person, case = decided_case()
    order = order_of(case)
    client.force_login(applicant())
    assert client.get(order.pay_url).status_code == 404
    assert client.post(f"/pay/orders/{order.number}/checkout").status_code == 404
    assert client.get(f"/api/payments/orders/{order.number}").status_code == 404
    client.logout()
    assert client.get(order.pay_url).status_code == 302  # to sign in


def test_order_api_for_the_applicant(client: Client) -> None:
    _office, person, case = decided_case()
    order = order_of(case)
    client.force_login(person)
    data = client.get(f"/api/payments/orders/{order.number}").json()
    assert data["amount"] == "15.50" and data["status"] == "pending" and data["case_number"] == case.number
    assert data["pay_url"] == order.pay_url and len(data["lines"]) == 2
