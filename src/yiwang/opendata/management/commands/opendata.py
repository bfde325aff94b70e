"""`yiwang opendata refresh` (rebuild the datasets the platform publishes by itself), `reindex` (rebuild
the search terms of every published dataset) and `stats`."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from yiwang.opendata import services, system
from yiwang.opendata.models import Dataset, DatasetStatus


class Command(BaseCommand):
    help = "数据开放：refresh 更新平台自动发布的数据集；reindex 重建检索词；stats 统计。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{refresh,reindex,stats}")
        refresh = actions.add_parser(
            "refresh", help="更新平台自动发布的数据集（事项目录、好差评、效能统计等）"
        )
        refresh.add_argument("keys", nargs="*", help="只更新这些数据集（如 service-catalogue），缺省为全部")
        actions.add_parser("reindex", help="重建全部已发布数据集的检索词")
        actions.add_parser("stats", help="数据集数量")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "refresh":
            for key, outcome in system.refresh(options["keys"] or None).items():
                self.stdout.write(f"{key}: {outcome}")
        elif action == "reindex":
            total = Dataset.objects.filter(status=DatasetStatus.PUBLISHED).count()
            with tqdm(total=total, unit="个", desc="重建检索词") as bar:
                count = services.reindex_all(progress=bar.update)
            self.stdout.write(self.style.SUCCESS(f"已重建 {count} 个数据集的检索词。"))
        else:
            for status in DatasetStatus:
                count = Dataset.objects.filter(status=status).count()
                self.stdout.write(f"{status.label}：{count}")
