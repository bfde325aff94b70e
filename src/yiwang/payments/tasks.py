"""Periodic jobs: daily reconciliation, querying orders whose callback has not come, the sandbox's
notification (re)delivery. The same work is `yiwang payments reconcile|sync`."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from yiwang.core.tasks import periodic, task

RECONCILE_EVERY_SECONDS = float(os.environ.get("YIWANG_PAYMENT_RECONCILE_SECONDS", "86400"))
SYNC_EVERY_SECONDS = float(os.environ.get("YIWANG_PAYMENT_SYNC_SECONDS", "300"))


@task(name="payments.reconcile")
def reconcile_day(day: str | None = None) -> dict[str, Any]:
    """Reconcile a day (default: yesterday, Asia/Shanghai)."""
    from django.utils import timezone

    from .reconcile import reconcile

    when = dt.date.fromisoformat(day) if day else timezone.localdate() - dt.timedelta(days=1)
    run = reconcile(when)
    return {"day": when.isoformat(), "mismatches": run.mismatch_count}


@task(name="payments.sync_pending")
def sync_pending(older_than_seconds: int = 120) -> int:
    """Query the provider for pending orders that went to the cashier (a lost callback is not lost)."""
    from django.utils import timezone

    from .models import OrderStatus, PaymentOrder
    from .services import sync_with_provider

    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    changed = 0
    for order in PaymentOrder.objects.filter(
        status=OrderStatus.PENDING,
        updated_at__lt=cutoff,
        created_at__gt=timezone.now() - dt.timedelta(days=30),
    ).exclude(provider_trade_no=""):
        if sync_with_provider(order).status != OrderStatus.PENDING:
            changed += 1
    return changed


@task(name="payments.sandbox_notify")
def sandbox_notify(trade_no: str) -> bool:
    from .providers.sandbox import deliver_notification

    return deliver_notification(trade_no)


@task(name="payments.sandbox_redeliver")
def sandbox_redeliver() -> int:
    """The sandbox retries notifications the platform did not acknowledge (as real providers do)."""
    from .models import SandboxTrade, SandboxTradeStatus
    from .providers.sandbox import MAX_NOTIFY_ATTEMPTS, deliver_notification

    pending = SandboxTrade.objects.filter(
        status=SandboxTradeStatus.SUCCESS, notified_at__isnull=True, notify_attempts__lt=MAX_NOTIFY_ATTEMPTS
    ).values_list("trade_no", flat=True)
    return sum(1 for trade_no in list(pending[:500]) if deliver_notification(trade_no))


periodic("payments-reconcile", "payments.reconcile", RECONCILE_EVERY_SECONDS)
periodic("payments-sync-pending", "payments.sync_pending", SYNC_EVERY_SECONDS)
periodic("payments-sandbox-redeliver", "payments.sandbox_redeliver", SYNC_EVERY_SECONDS)
