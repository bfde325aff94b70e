"""The payments app's JSON API, mounted at /api/payments/.

- POST notify/{provider}: the provider's asynchronous callback (signed; no session, no CSRF). Answers
  {"code": "SUCCESS"} once handled (also for a repeated notification), 400 for a forged, stale or
  malformed one, so the provider retries only what deserves it.
- GET orders/{number}: the signed-in applicant's order (404 for anybody else's).
- POST orders/{number}/refund: window or approver staff of the charging organisation refund it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest, JsonResponse
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from . import selectors, services
from .models import PaymentOrder

router = Router(tags=["统一支付"])


@router.post("/notify/{provider}", auth=None, include_in_schema=True, summary="支付渠道异步通知（回调）")
def notify(request: HttpRequest, provider: str) -> JsonResponse:
    headers = {key: value for key, value in request.headers.items()}
    outcome = services.receive_callback(provider, request.body, headers)
    if outcome.acknowledged:
        return JsonResponse({"code": "SUCCESS", "message": outcome.message})
    return JsonResponse({"code": "FAIL", "message": outcome.message}, status=outcome.status_code)


class OrderOut(Schema):
    number: str = Field(description="缴费单号")
    case_number: str | None = Field(description="办件编号")
    subject: str = Field(description="缴费事由")
    amount: Decimal = Field(description="金额（元）")
    status: str = Field(description="状态：pending 待缴费、paid 已缴费、closed 已关闭、refunded 已全额退款")
    lines: list[dict[str, str]] = Field(description="收费明细：名称、标准、金额、依据")
    fee_basis: str = Field(description="收费依据")
    paid_at: dt.datetime | None = Field(description="缴费时间")
    refunded_amount: Decimal = Field(description="已退金额（元）")
    pay_url: str = Field(description="缴费页面")

    @staticmethod
    def resolve_case_number(order: PaymentOrder) -> str | None:
        return order.case.number


def _own(request: HttpRequest, number: str) -> PaymentOrder:
    order = selectors.order_by_number(number)
    if order is None:
        raise HttpError(404, "缴费单不存在。")
    try:
        services._require_applicant(request.user, order)
    except services.PaymentNotPermitted:
        raise HttpError(404, "缴费单不存在。") from None
    return order


@router.get("/orders/{number}", response=OrderOut, auth=django_auth, summary="查看我的缴费单")
def order_detail(request: HttpRequest, number: str) -> PaymentOrder:
    return _own(request, number)


class RefundIn(Schema):
    reason: str = Field(description="退款原因")
    amount: Decimal | None = Field(default=None, description="退款金额（元）；不填为全部可退金额")


class RefundOut(Schema):
    refund_no: str
    amount: Decimal
    status: str


@router.post("/orders/{number}/refund", response=RefundOut, auth=django_auth, summary="退款（工作人员）")
def refund(request: HttpRequest, number: str, payload: RefundIn) -> object:
    order = selectors.order_by_number(number)
    if order is None:
        raise HttpError(404, "缴费单不存在。")
    try:
        return services.refund(order, actor=request.user, reason=payload.reason, amount=payload.amount)
    except services.PaymentNotPermitted as exc:
        raise HttpError(403, str(exc)) from None
    except services.PaymentError as exc:
        raise HttpError(400, str(exc)) from None
