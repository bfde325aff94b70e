"""The applicant pays a fee in the sandbox cashier, in a real browser; the result can then be delivered."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from browser.helpers import BROWSER, axe_violations, describe

pytestmark = BROWSER


@pytest.fixture
def fee_case(transactional_db: None, settings: Any, tmp_path: Any) -> Any:
    from yiwang.core import calendar_data, workdays
    from yiwang.core.tasks import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True  # the sandbox's notification runs inline (no worker in tests)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.YIWANG_SMS_GATEWAY = "file"
    settings.YIWANG_SMS_OUTBOX = str(tmp_path / "sms-outbox.log")
    calendar_data.seed_calendar([2025, 2026, 2027])
    workdays.clear_cache()
    from payments.payments_factories import decided_case

    yield decided_case()
    app.conf.task_always_eager = previous


def test_applicant_pays_in_the_sandbox_cashier_then_the_result_is_delivered(
    new_page: Any, live_server: Any, client: Any, fee_case: Any
) -> None:
    from yiwang.cases import services as case_services
    from yiwang.cases.errors import TransitionRefused
    from yiwang.cases.models import CaseStatus
    from yiwang.payments.models import OrderStatus, PaymentOrder

    office, person, case = fee_case
    case_services.complete(case, actor=office.approver)
    with pytest.raises(TransitionRefused, match="尚未缴费"):
        case_services.deliver(case, actor=office.window, method="electronic")
    order = PaymentOrder.objects.get(case=case)

    client.force_login(person)
    page = new_page()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(order.pay_url)
    expect(page.get_by_role("heading", name="缴费", exact=True)).to_be_visible()
    assert "省物价局浙价费〔2024〕1号" in page.locator("table.pay-lines").inner_text()
    violations = axe_violations(page)
    assert not violations, describe(violations)

    page.get_by_role("button", name=re.compile("在线缴费 15.50 元")).click()
    page.wait_for_url(re.compile(r"/pay/sandbox/cashier/SBX\d+/"))
    assert "不会真实扣款" in page.content()
    assert page.locator(".cashier-amount").inner_text() == "¥ 15.50"
    violations = axe_violations(page)
    assert not violations, describe(violations)
    # The cashier fits a phone: nothing wider than the 390 px viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("button", name="确认付款").click()
    page.wait_for_url(re.compile(rf"/pay/orders/{order.number}/$"))
    expect(page.get_by_text("缴费成功")).to_be_visible()
    expect(page.get_by_text("已缴费", exact=True)).to_be_visible()

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    case_services.deliver(case, actor=office.window, method="electronic")
    case.refresh_from_db()
    assert case.status == CaseStatus.DELIVERED
