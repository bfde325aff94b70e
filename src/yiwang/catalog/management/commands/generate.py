"""`yiwang generate --items N [--region 330000] [--batch 5000] [--seed 1]`: synthetic published catalogue."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yiwang.catalog.generator import GeneratorError, generate


class Command(BaseCommand):
    help = "生成基准测试用的已发布事项（含办事指南快照、材料、环节），数量可达 360 万。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--items", type=int, required=True, help="要新增的事项数")
        parser.add_argument("--region", default="330000", help="在此区划及其下级生成（默认 330000 浙江省）")
        parser.add_argument("--batch", type=int, default=5000, help="每个事务写入的事项数（默认 5000）")
        parser.add_argument("--seed", type=int, default=1, help="随机种子（影响发布时间和热度）")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["items"] < 0:
            raise CommandError("--items 必须是非负整数。")
        try:
            result = generate(
                options["items"],
                region_code=options["region"],
                batch=options["batch"],
                seed=options["seed"],
                progress=not options["no_progress"] and options["verbosity"] > 0,
            )
        except GeneratorError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"已生成 {result.created} 项（跳过已存在的编码 {result.skipped} 个），"
            f"用时 {result.seconds:.1f} 秒，{result.rows_per_second:,.0f} 项/秒；"
            f"实施机构 {result.organisations} 个，基本目录事项 {result.basic_items} 个。"
        )
        if result.created:
            self.stdout.write(f"实施编码范围：{result.first_code} … {result.last_code}")
