"""`yiwang search reindex` rebuilds the search index; `yiwang search evaluate` scores the quality test set."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from yiwang.search import evaluation, indexer


class Command(BaseCommand):
    help = "搜索索引：reindex 重建索引；evaluate 用搜索质量测试集评估（precision@1、recall@3）。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True)
        reindex = commands.add_parser("reindex", help="从已发布的事项重建搜索索引和词表")
        reindex.add_argument(
            "--batch-size", type=int, default=indexer.DEFAULT_BATCH_SIZE, help="每批事项数（默认 2000）"
        )
        reindex.add_argument("--no-progress", action="store_true", help="不显示进度条")
        evaluate = commands.add_parser("evaluate", help="运行搜索质量测试集，按查询类型给出 P@1 与 R@3")
        evaluate.add_argument("--file", type=Path, default=evaluation.DEFAULT_FILE, help="测试集 YAML 文件")
        evaluate.add_argument("--failures", action="store_true", help="列出未在前三名找到期望事项的查询")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "reindex":
            # tqdm needs the raw stream (call_command may pass one in), not Django's line-wrapping wrapper.
            stream = options.get("stderr") or sys.stderr
            self._reindex(options["batch_size"], progress=not options["no_progress"], stream=stream)
        else:
            self._evaluate(options["file"], show_failures=options["failures"])

    def _reindex(self, batch_size: int, *, progress: bool, stream: TextIO) -> None:
        if not 1 <= batch_size <= 50_000:
            raise CommandError("--batch-size 应在 1 到 50000 之间。")
        bar = tqdm(desc="重建索引", unit="项", disable=not progress, file=stream)

        def on_total(total: int) -> None:
            bar.total = total
            bar.refresh()

        try:
            report = indexer.reindex_all(batch_size=batch_size, on_progress=bar.update, on_total=on_total)
        finally:
            bar.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"已索引 {report.documents} 个事项、{report.terms} 个词，用时 {report.seconds:.1f} 秒"
                f"（{report.per_second:,.0f} 项/秒）。"
            )
        )

    def _evaluate(self, path: Path, *, show_failures: bool) -> None:
        try:
            cases = evaluation.load_cases(path)
        except (OSError, ValueError) as error:
            raise CommandError(f"无法读取测试集 {path}：{error}") from error
        report = evaluation.evaluate(cases)
        self.stdout.write(f"{'查询类型':<12}{'条数':>6}{'P@1':>8}{'R@3':>8}")
        for kind, score in report.by_kind().items():
            self.stdout.write(
                f"{kind:<14}{score.count:>6}{score.precision_at_1:>8.3f}{score.recall_at_3:>8.3f}"
            )
        overall = report.overall()
        self.stdout.write(
            f"{'合计':<12}{overall.count:>6}{overall.precision_at_1:>8.3f}{overall.recall_at_3:>8.3f}"
        )
        if show_failures:
            for outcome in report.failures():
                self.stdout.write(
                    f"  ✗ [{outcome.case.kind}] {outcome.case.query} → 期望 {outcome.case.expected}，"
                    f"实得 {'、'.join(outcome.top) or '（无结果）'}"
                )
