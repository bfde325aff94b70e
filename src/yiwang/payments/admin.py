"""Read-only back-office views of payments: orders, callbacks, refunds, reconciliation. Every change goes
through payments.services (refund, close) so it is guarded and audited; nothing is edited here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import PaymentNotification, PaymentOrder, ReconciliationMismatch, ReconciliationRun, Refund


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PaymentOrder)
class PaymentOrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "case", "amount", "status", "provider", "paid_at", "refunded_amount"]
    list_filter = ["status", "provider"]
    search_fields = ["number", "case__number", "provider_trade_no"]
    list_select_related = ["case"]
    show_full_result_count = False


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "provider", "notify_id", "verified", "outcome", "order"]
    list_filter = ["verified", "provider"]
    search_fields = ["notify_id", "order__number"]
    list_select_related = ["order"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["refund_no", "order", "amount", "status", "refunded_on", "reason"]
    list_filter = ["status"]
    search_fields = ["refund_no", "order__number"]
    list_select_related = ["order"]


class MismatchInline(admin.TabularInline):
    model = ReconciliationMismatch
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "entry", "reference", "provider_amount", "local_amount"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = [
        "day",
        "provider",
        "provider_count",
        "local_count",
        "provider_total",
        "local_total",
        "mismatch_count",
    ]
    list_filter = ["provider"]
    inlines = [MismatchInline]
