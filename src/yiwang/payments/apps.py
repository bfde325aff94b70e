from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """统一支付：缴费单、支付渠道（含沙箱）、回调、退款、对账."""

    name = "yiwang.payments"
    label = "payments"
    verbose_name = "统一支付"

    def ready(self) -> None:
        # cases defines the gates; payments registers into them (cases never imports payments).
        from yiwang.cases import gates

        from . import services

        gates.register_decision_hook("payments", services.on_case_decided)
        gates.register_delivery_gate("payments", services.delivery_gate)
