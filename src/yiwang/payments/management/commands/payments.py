"""`yiwang payments reconcile [--date YYYY-MM-DD]` and `yiwang payments sync`."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone


class Command(BaseCommand):
    help = "统一支付：reconcile 按日对账（列出差异）；sync 向渠道查询待缴费订单。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{reconcile,sync}")
        run = actions.add_parser("reconcile", help="按日对账")
        run.add_argument("--date", default=None, help="对账日期（YYYY-MM-DD），默认昨天")
        run.add_argument("--provider", default=None, help="支付渠道，默认当前配置的渠道")
        actions.add_parser("sync", help="查询渠道，补记未收到回调的缴费")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "sync":
            from yiwang.payments.tasks import sync_pending

            self.stdout.write(f"已补记缴费 {sync_pending(older_than_seconds=0)} 笔。")
            return
        from yiwang.payments.reconcile import describe, reconcile

        day = timezone.localdate() - dt.timedelta(days=1)
        if options.get("date"):
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError("日期格式应为 YYYY-MM-DD，例如 2026-11-21。") from None
        run = reconcile(day, options.get("provider"))
        self.stdout.write(describe(run))
        for mismatch in run.mismatches.all():
            self.stdout.write(
                f"  {mismatch.get_kind_display()}：{mismatch.entry} {mismatch.reference} "
                f"渠道 {mismatch.provider_amount if mismatch.provider_amount is not None else '—'} 元 / "
                f"本平台 {mismatch.local_amount if mismatch.local_amount is not None else '—'} 元"
            )
