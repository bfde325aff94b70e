from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """统一支付：缴费单、支付渠道（含沙箱）、回调、退款、对账."""

    name = "yiwang.payments"
    label = "payments"
    verbose_name = "统一支付"
