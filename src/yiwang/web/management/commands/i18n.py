"""`yiwang i18n build` (extract, update, convert, compile) and `yiwang i18n check` (fail when stale)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.web import i18n_tools


class Command(BaseCommand):
    help = "维护门户的翻译目录：build 提取消息并生成繁体与英文目录及 .mo 文件；check 检查是否过期或缺译。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action", choices=["build", "check"], help="build 或 check（包括各应用自己的目录）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "build":
            for catalogue, counts in i18n_tools.build().items():
                for locale, count in counts.items():
                    self.stdout.write(f"{catalogue}/{locale}: {count} 条已翻译")
        problems = i18n_tools.check()
        for problem in problems:
            self.stderr.write(str(problem))
        if problems:
            raise CommandError(
                f"翻译目录有 {len(problems)} 个问题；英文请在 en 的 django.po 中补齐后运行 yiwang i18n build。"
            )
        self.stdout.write(self.style.SUCCESS("翻译目录完整且与源码一致。"))
