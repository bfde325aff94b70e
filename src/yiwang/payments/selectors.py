"""Payment reads for pages: the applicant's case page asks `open_order_for_case`."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import OrderStatus, PaymentOrder, ReconciliationRun


def open_order_for_case(case: Any) -> PaymentOrder | None:
    """The case's payment order awaiting payment (status pending), or None when nothing is due."""
    return (
        PaymentOrder.objects.filter(case_id=case.pk, status=OrderStatus.PENDING)
        .order_by("-created_at")
        .first()
    )


def orders_for_case(case: Any) -> QuerySet[PaymentOrder]:
    """Every order of a case, newest first (paid, refunded and closed ones too)."""
    return PaymentOrder.objects.filter(case_id=case.pk).order_by("-created_at", "-id")


def order_by_number(number: str) -> PaymentOrder | None:
    return PaymentOrder.objects.select_related("case", "organisation").filter(number=number).first()


def reconciliation(day: Any, provider: str) -> ReconciliationRun | None:
    return ReconciliationRun.objects.filter(day=day, provider=provider).prefetch_related("mismatches").first()
