"""`yiwang supervision …`: keep the summary tables current and run the yellow/red card rules.

yiwang supervision alerts [--date YYYY-MM-DD]   raise yellow/red cards (also a periodic Celery job)
yiwang supervision catch-up                     fold case and review events after the cursors into the summaries
yiwang supervision rebuild                      recompute every fact and summary row from the cases and reviews
yiwang supervision verify                       compare the summary tables with a full recompute
"""

from __future__ import annotations

import datetime as dt
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yiwang.core.workdays import CalendarYearMissing


class Command(BaseCommand):
    help = "效能监督：alerts 红黄牌扫描；catch-up 增量刷新汇总表；rebuild 全量重建；verify 核对汇总表。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{alerts,catch-up,rebuild,verify}"
        )
        alerts = actions.add_parser("alerts", help="按规则发出红黄牌预警")
        alerts.add_argument("--date", default=None, help="按哪一天检查（YYYY-MM-DD），默认今天")
        actions.add_parser("catch-up", help="把游标之后的办件记录增量计入汇总表")
        actions.add_parser("rebuild", help="从办件全量重建汇总表")
        actions.add_parser("verify", help="核对汇总表与全量重算结果是否一致")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(options)
        except CalendarYearMissing as exc:
            raise CommandError(str(exc)) from None

    def _alerts(self, options: dict[str, Any]) -> None:
        from yiwang.supervision.alerts import raise_alerts

        today = None
        if options.get("date"):
            try:
                today = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError("日期格式应为 YYYY-MM-DD，例如 2026-10-09。") from None
        self.stdout.write(raise_alerts(today).describe())

    def _catch_up(self, options: dict[str, Any]) -> None:
        from yiwang.supervision.summary import catch_up

        started = time.monotonic()
        n = catch_up()
        self.stdout.write(f"增量刷新：计入办件与评价记录 {n} 条，用时 {time.monotonic() - started:.1f} 秒。")

    def _rebuild(self, options: dict[str, Any]) -> None:
        from yiwang.cases.models import Case
        from yiwang.supervision.summary import rebuild, tidy_after_rebuild

        total = Case.objects.filter(submitted_on__isnull=False).count()
        done = 0
        started = time.monotonic()

        def progress(n: int) -> None:
            nonlocal done
            done += n
            share = done / total if total else 1
            bar = "#" * int(share * 30)
            self.stdout.write(f"\r[{bar:<30}] {done}/{total}", ending="")
            self.stdout.flush()

        facts = rebuild(progress)
        tidy_after_rebuild()
        self.stdout.write("")
        self.stdout.write(f"全量重建完成：办件 {facts} 件，用时 {time.monotonic() - started:.1f} 秒。")

    def _verify(self, options: dict[str, Any]) -> None:
        from yiwang.supervision.summary import expected_rows, stored_rows

        expected, stored = expected_rows(), stored_rows()
        problems = 0
        names = {
            "filed": "收件汇总",
            "completed": "办结汇总",
            "duration": "办理时长汇总",
            "reviews": "好差评汇总",
        }
        for table, name in names.items():
            want, have = expected[table], stored[table]
            differing = {k for k in set(want) | set(have) if want.get(k) != have.get(k)}
            problems += len(differing)
            self.stdout.write(
                f"{name}：应有 {len(want)} 行，实有 {len(have)} 行，不一致 {len(differing)} 行。"
            )
        if problems:
            raise CommandError("汇总表与全量重算不一致，请运行 `yiwang supervision rebuild`。")
        self.stdout.write("汇总表与全量重算一致。")
