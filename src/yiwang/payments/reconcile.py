"""Daily reconciliation (对账): the provider's statement for a day against our paid orders and refunds.

Lines are matched by (entry, reference): payments by our order number and the day it was paid, refunds
by our refund number and the day they succeeded. Every difference is a mismatch row; re-running a day
replaces its result. Run by Celery beat (payments.reconcile, yesterday) and `yiwang payments reconcile`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from yiwang.core import audit

from .models import (
    MismatchKind,
    OrderStatus,
    PaymentOrder,
    ReconciliationMismatch,
    ReconciliationRun,
    Refund,
    RefundStatus,
)
from .providers import configured_name, get_provider


def _local_lines(day: dt.date, provider: str) -> dict[tuple[str, str], Decimal]:
    lines: dict[tuple[str, str], Decimal] = {}
    for number, amount in PaymentOrder.objects.filter(
        paid_on=day, provider=provider, status__in=[OrderStatus.PAID, OrderStatus.REFUNDED]
    ).values_list("number", "paid_amount"):
        lines[("payment", number)] = amount if amount is not None else Decimal("0")  # shows as a mismatch
    for refund_no, amount in Refund.objects.filter(
        refunded_on=day, status=RefundStatus.SUCCEEDED, order__provider=provider
    ).values_list("refund_no", "amount"):
        lines[("refund", refund_no)] = amount
    return lines


@transaction.atomic
def reconcile(day: dt.date, provider_name: str | None = None) -> ReconciliationRun:
    provider_name = provider_name or configured_name()
    statement = {
        (line.entry, line.reference): line.amount for line in get_provider(provider_name).statement(day)
    }
    local = _local_lines(day, provider_name)
    mismatches: list[ReconciliationMismatch] = []
    for key in sorted(set(statement) | set(local)):
        theirs, ours = statement.get(key), local.get(key)
        if theirs is not None and ours is not None and theirs == ours:
            continue
        kind = (
            MismatchKind.MISSING_LOCAL
            if ours is None
            else MismatchKind.MISSING_PROVIDER
            if theirs is None
            else MismatchKind.AMOUNT
        )
        mismatches.append(
            ReconciliationMismatch(
                kind=kind, entry=key[0], reference=key[1], provider_amount=theirs, local_amount=ours
            )
        )
    run, _created = ReconciliationRun.objects.select_for_update().get_or_create(
        day=day, provider=provider_name
    )
    run.mismatches.all().delete()
    for mismatch in mismatches:
        mismatch.run = run
    ReconciliationMismatch.objects.bulk_create(mismatches)
    run.provider_count = len(statement)
    run.provider_total = sum(statement.values(), Decimal("0"))
    run.local_count = len(local)
    run.local_total = sum(local.values(), Decimal("0"))
    run.mismatch_count = len(mismatches)
    run.save()
    audit.record(
        actor=None,
        action="payments.reconcile",
        object_type="payments.reconciliation",
        object_id=f"{provider_name}:{day.isoformat()}",
        summary=describe(run),
        data={"mismatches": [[m.kind, m.entry, m.reference] for m in mismatches[:100]]},
    )
    return run


def describe(run: ReconciliationRun) -> str:
    return (
        f"{run.day.isoformat()} {run.provider} 对账：渠道 {run.provider_count} 笔 {run.provider_total} 元，"
        f"本平台 {run.local_count} 笔 {run.local_total} 元，差异 {run.mismatch_count} 笔。"
    )
