"""`yiwang calendar seed [--years 2020-2027] [--force]` and `yiwang calendar status`."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yiwang.core import calendar_data, workdays
from yiwang.core.models import CalendarDay, CalendarYear, CalendarYearStatus


class Command(BaseCommand):
    help = "工作日日历：seed 写入节假日安排（正式数据优先，未公布年份生成临时日历）；status 查看各年状态。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{seed,status}")
        seed = actions.add_parser("seed", help="写入节假日安排")
        seed.add_argument(
            "--years",
            default=None,
            help="年份范围，如 2020-2027、2025 或 2024,2026；默认从 2020 年到明年",
        )
        seed.add_argument(
            "--force",
            action="store_true",
            help="对 chinesecalendar 收录的年份，即使已是正式安排也重新写入（会覆盖管理员的修改）",
        )
        actions.add_parser("status", help="列出已录入的年份及其状态")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "seed":
            self._seed(options["years"], options["force"])
        else:
            self._status()

    def _seed(self, years_text: str | None, force: bool) -> None:
        today = timezone.localdate()
        try:
            years = calendar_data.parse_year_range(years_text or f"2020-{today.year + 1}")
            outcomes = calendar_data.seed_calendar(years, force=force)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        for outcome in outcomes:
            self.stdout.write(outcome.describe())
        official = sum(1 for o in outcomes if o.status == CalendarYearStatus.OFFICIAL)
        self.stdout.write(f"日历写入完成：正式 {official} 年，临时 {len(outcomes) - official} 年。")
        self._warn()

    def _status(self) -> None:
        rows = list(CalendarYear.objects.order_by("year"))
        if not rows:
            self.stdout.write("尚未录入任何年份，请运行 `yiwang calendar seed`。")
        for row in rows:
            days = CalendarDay.objects.filter(date__year=row.year).count()
            self.stdout.write(
                f"{row.year}：{row.get_status_display()}，例外日期 {days} 天，来源：{row.source}"
            )
        self._warn()

    def _warn(self) -> None:
        warning = workdays.next_year_warning()
        if warning:
            self.stderr.write(self.style.WARNING(warning))
