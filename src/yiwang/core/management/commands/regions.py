"""`yiwang regions load [--file PATH]`: load the 行政区划 dataset (idempotent upsert)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yiwang.core import services
from yiwang.core.models import RegionLevel


class Command(BaseCommand):
    help = "行政区划：load 导入（默认为内置数据集 core/data/regions.csv，可重复运行）。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{load}")
        load = actions.add_parser("load", help="导入或更新行政区划")
        load.add_argument(
            "--file", dest="path", default=None, help="CSV 文件（列：code,name,level,parent_code）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = services.import_regions(options["path"])
        except services.RegionFileError as exc:
            raise CommandError(str(exc)) from None
        levels = "、".join(f"{label} {result.by_level.get(value, 0)}" for value, label in RegionLevel.choices)
        self.stdout.write(
            f"行政区划导入完成：共 {result.total} 条（{levels}）；"
            f"新增 {result.created}，更新 {result.updated}，未变 {result.unchanged}。"
        )
