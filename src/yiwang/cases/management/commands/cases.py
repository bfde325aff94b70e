"""`yiwang cases sweep [--date YYYY-MM-DD]`: deemed acceptance, yellow/red warnings, notifications."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yiwang.cases.sweep import sweep
from yiwang.core.workdays import CalendarYearMissing


class Command(BaseCommand):
    help = "办件：sweep 扫描期限（视为受理、黄牌预警、红牌超期并通知）。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{sweep}")
        run = actions.add_parser("sweep", help="扫描办件期限")
        run.add_argument("--date", default=None, help="按哪一天扫描（YYYY-MM-DD），默认今天")

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options.get("date"):
            try:
                today = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError("日期格式应为 YYYY-MM-DD，例如 2025-10-09。") from None
        try:
            result = sweep(today)
        except CalendarYearMissing as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(result.describe())
