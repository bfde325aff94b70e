"""`yiwang reviews sweep [--date YYYY-MM-DD]`: yellow/red warnings on rectification work orders;
`yiwang reviews overdue [--date …]`: list the overdue ones."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yiwang.core.workdays import CalendarYearMissing
from yiwang.reviews import selectors
from yiwang.reviews.sweep import sweep


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError("日期格式应为 YYYY-MM-DD，例如 2025-10-09。") from None


class Command(BaseCommand):
    help = "好差评：sweep 扫描差评整改期限；overdue 列出超期工单。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{sweep,overdue}")
        for name, text in (("sweep", "扫描差评整改期限并预警"), ("overdue", "列出超期未整改的工单")):
            sub = actions.add_parser(name, help=text)
            sub.add_argument("--date", default=None, help="按哪一天（YYYY-MM-DD），默认今天")

    def handle(self, *args: Any, **options: Any) -> None:
        today = _date(options.get("date"))
        if options["action"] == "sweep":
            try:
                result = sweep(today)
            except CalendarYearMissing as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(result.describe())
            return
        rows = selectors.open_work_orders_overdue(today or timezone.localdate())
        count = 0
        for order in rows:
            count += 1
            self.stdout.write(
                f"工单 {order.pk}\t办件 {order.review.case.number}\t{order.organisation.name}\t期限 {order.due_on}"
            )
        self.stdout.write(f"超期工单共 {count} 件。")
