"""`yiwang interaction sweep [--date YYYY-MM-DD]`: reply-deadline warnings;
`yiwang interaction sync-faq`: bring published guides' FAQs into the knowledge base;
`yiwang interaction reindex`: rebuild the knowledge-base index (after the search dictionary grew)."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yiwang.core.workdays import CalendarYearMissing
from yiwang.interaction import knowledge
from yiwang.interaction.models import FaqEntry
from yiwang.interaction.sweep import sweep


class Command(BaseCommand):
    help = "政民互动：sweep 扫描答复期限；sync-faq 同步办事指南常见问题；reindex 重建知识库索引。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{sweep,sync-faq,reindex}")
        run = actions.add_parser("sweep", help="扫描答复期限并预警")
        run.add_argument("--date", default=None, help="按哪一天扫描（YYYY-MM-DD），默认今天")
        actions.add_parser("sync-faq", help="同步已发布办事指南的常见问题到知识库")
        actions.add_parser("reindex", help="重建知识库索引")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "sweep":
            today = None
            if options.get("date"):
                try:
                    today = dt.date.fromisoformat(options["date"])
                except ValueError:
                    raise CommandError("日期格式应为 YYYY-MM-DD，例如 2025-10-09。") from None
            try:
                self.stdout.write(sweep(today).describe())
            except CalendarYearMissing as exc:
                raise CommandError(str(exc)) from None
        elif action == "sync-faq":
            changed, retired = knowledge.sync_guide_faqs()
            self.stdout.write(f"知识库：新增或更新 {changed} 条，停用 {retired} 条。")
        else:
            count = 0
            for entry in FaqEntry.objects.filter(is_active=True).iterator(chunk_size=500):
                knowledge.index_entry(entry)
                count += 1
            self.stdout.write(f"已重建 {count} 条问答的索引。")
