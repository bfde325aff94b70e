"""The applicant's pay page and the sandbox provider's cashier page. Thin: parse, call, render.

An order that is not the signed-in person's own answers 404, like a missing one, so numbers cannot be
probed. The sandbox cashier stands for the provider's own site: it exists only while the sandbox is the
configured provider."""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from yiwang.cases.notify import case_link

from . import selectors, services
from .models import OrderStatus, PaymentOrder, SandboxTrade, SandboxTradeStatus
from .providers import configured_name, get_provider
from .providers.base import ProviderError
from .providers.sandbox import NAME as SANDBOX


def _own_order(request: HttpRequest, number: str) -> PaymentOrder:
    order = selectors.order_by_number(number)
    if order is None:
        raise Http404(_("缴费单不存在。"))
    try:
        services._require_applicant(request.user, order)
    except services.PaymentNotPermitted:
        raise Http404(_("缴费单不存在。")) from None
    return order


@login_required
def order_page(request: HttpRequest, number: str) -> HttpResponse:
    order = _own_order(request, number)
    return render(
        request,
        "payments/order.html",
        {
            "order": order,
            "case": order.case,
            "case_url": case_link(order.case.number),
            "refunds": list(order.refunds.filter(status="succeeded")),
            "paid": order.status in (OrderStatus.PAID, OrderStatus.REFUNDED),
        },
    )


@login_required
@require_POST
def checkout(request: HttpRequest, number: str) -> HttpResponse:
    order = _own_order(request, number)
    notify_url = request.build_absolute_uri(f"/api/payments/notify/{order.provider}")
    return_url = request.build_absolute_uri(reverse("payments:return", args=[order.number]))
    try:
        url = services.start_checkout(order, actor=request.user, notify_url=notify_url, return_url=return_url)
    except services.PaymentError as exc:
        messages.error(request, str(exc))
        return redirect("payments:order", number=order.number)
    return HttpResponseRedirect(url)


@login_required
def payment_return(request: HttpRequest, number: str) -> HttpResponse:
    """Back from the cashier: ask the provider at once rather than wait for the callback."""
    order = _own_order(request, number)
    if order.status == OrderStatus.PENDING:
        with contextlib.suppress(ProviderError):  # the callback or the periodic query brings it later
            order = services.sync_with_provider(order)
    if order.status == OrderStatus.PAID:
        messages.success(request, _("缴费成功，我们将尽快送达办理结果。"))
    else:
        messages.info(request, _("尚未收到支付结果。如已付款，请稍后刷新本页。"))
    return redirect("payments:order", number=order.number)


@require_http_methods(["GET", "POST"])
def sandbox_cashier(request: HttpRequest, trade_no: str) -> HttpResponse:
    if configured_name() != SANDBOX:
        raise Http404(_("沙箱收银台未启用。"))
    trade = SandboxTrade.objects.filter(trade_no=trade_no).first()
    if trade is None:
        raise Http404(_("交易不存在。"))
    error = ""
    if request.method == "POST":
        if request.POST.get("action") == "cancel":
            return HttpResponseRedirect(trade.return_url)
        try:
            get_provider(SANDBOX).pay(trade.trade_no)  # type: ignore[attr-defined]
        except ProviderError as exc:
            error = str(exc)
        else:
            return HttpResponseRedirect(trade.return_url)
        trade.refresh_from_db()
    return render(
        request,
        "payments/cashier.html",
        {"trade": trade, "error": error, "payable": trade.status == SandboxTradeStatus.WAIT_BUYER_PAY},
        status=409 if error else 200,
    )
