"""`yiwang catalog export|import|check|withdraw`: the catalogue from the command line.

yiwang catalog export --format json|xlsx --output FILE [--region CODE] [--organisation USCC] [--include-drafts]
yiwang catalog import FILE [--no-publish]          (JSON or XLSX, recognised by content)
yiwang catalog check [--implementation CODE] [--all]
yiwang catalog withdraw CODE --reason 原因
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.db.models import QuerySet
from tqdm import tqdm

from yiwang.catalog import exchange, services
from yiwang.catalog.models import GuideStatus, GuideVersion, Implementation
from yiwang.catalog.quality import BLOCKING, check_guide
from yiwang.catalog.selectors import guide_versions_with_parts

SEVERITY_LABELS = {BLOCKING: "必须改正", "warning": "建议改进"}
SHOWN_WARNINGS = 20


class Command(BaseCommand):
    help = "事项目录：export 导出、import 导入、check 质量检查、withdraw 取消事项。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{export,import,check,withdraw}"
        )

        export = actions.add_parser("export", help="导出事项目录（JSON 或 Excel）")
        export.add_argument(
            "--format", choices=["json", "xlsx"], default="json", help="文件格式（默认 json）"
        )
        export.add_argument("--output", "-o", required=True, help="输出文件；JSON 可用 - 表示标准输出")
        export.add_argument("--region", default=None, help="只导出该行政区划（含下级）的事项，如 330100")
        export.add_argument("--organisation", default=None, help="只导出该机构（统一社会信用代码）的事项")
        export.add_argument("--include-drafts", action="store_true", help="同时导出草稿和审核中的版本")

        load = actions.add_parser("import", help="导入事项目录（按内容识别 JSON 或 Excel）")
        load.add_argument("file", help="yiwang.catalog/1 格式的 JSON 或 Excel 文件")
        load.add_argument(
            "--no-publish", action="store_true", help="只写入草稿，不自动提交和发布（供人工审核后发布）"
        )

        check = actions.add_parser("check", help="重新运行质量检查并列出问题")
        check.add_argument("--implementation", default=None, help="只检查该实施编码的事项")
        check.add_argument("--all", action="store_true", help="同时检查已发布的版本（默认只查草稿和审核中）")

        withdraw = actions.add_parser("withdraw", help="取消一个已发布的事项")
        withdraw.add_argument("code", help="实施编码")
        withdraw.add_argument("--reason", required=True, help="取消原因（如：依据某文件取消）")

    def handle(self, *args: Any, **options: Any) -> None:
        handler = {
            "export": self._export,
            "import": self._import,
            "check": self._check,
            "withdraw": self._withdraw,
        }[options["action"]]
        handler(options)

    # export --------------------------------------------------------------------------------------

    def _export(self, options: dict[str, Any]) -> None:
        try:
            doc = exchange.export_document(
                region_code=options["region"],
                organisation_uscc=options["organisation"],
                include_drafts=options["include_drafts"],
            )
        except exchange.ExchangeError as exc:
            raise CommandError(str(exc)) from None
        output = options["output"]
        if options["format"] == "xlsx":
            if output == "-":
                raise CommandError("Excel 文件不能写到标准输出，请用 --output 指定文件名。")
            Path(output).write_bytes(exchange.export_xlsx(doc))
        else:
            text = json.dumps(doc, ensure_ascii=False, indent=1)
            if output == "-":
                self.stdout.write(text)
                return
            Path(output).write_text(text + "\n", encoding="utf-8")
        self.stdout.write(
            f"已导出到 {output}：机构 {len(doc['organisations'])}，主题 {len(doc['themes'])}，"
            f"基本目录 {len(doc['basic_items'])}，指南 {len(doc['implementations'])}，一件事 {len(doc['bundles'])}。"
        )

    # import --------------------------------------------------------------------------------------

    def _import(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取 {path}：{exc.strerror}") from None
        try:
            doc = exchange.load_document_bytes(data)
            report = import_with_progress(doc, publish=not options["no_publish"])
        except exchange.ExchangeError as exc:
            raise CommandError(str(exc)) from None
        except exchange.ImportFailed as exc:
            for line in exc.report.errors:
                self.stderr.write(line)
            raise CommandError(
                f"导入未执行：发现 {len(exc.report.errors)} 个问题（见上），数据库未作任何修改。改正后请重新导入。"
            ) from None
        self.write_report(report)

    def write_report(self, report: exchange.ImportReport) -> None:
        for line in report.warnings[:SHOWN_WARNINGS]:
            self.stdout.write(self.style.WARNING(f"提示 {line}"))
        if len(report.warnings) > SHOWN_WARNINGS:
            self.stdout.write(f"……另有 {len(report.warnings) - SHOWN_WARNINGS} 条提示。")
        for line in report.summary_lines():
            self.stdout.write(line)
        self.stdout.write("导入完成。" if report.changed else "导入完成：没有需要更新的内容。")

    # check ---------------------------------------------------------------------------------------

    def _check(self, options: dict[str, Any]) -> None:
        versions: QuerySet[GuideVersion] = guide_versions_with_parts()
        statuses = list(services.OPEN_STATUSES)
        if options["all"] or options["implementation"]:
            statuses.append(GuideStatus.PUBLISHED)
        versions = versions.filter(status__in=statuses)
        if options["implementation"]:
            versions = versions.filter(implementation__implementation_code=options["implementation"])
            if not versions.exists():
                raise CommandError(f"实施编码 {options['implementation']} 没有草稿、审核中或已发布的版本。")
        versions = versions.order_by("implementation__implementation_code", "version")

        checked = with_blocking = with_warnings_only = published_blocking = 0
        for guide in tqdm(versions, total=versions.count(), desc="质量检查", unit="个", disable=None):
            if guide.status == GuideStatus.PUBLISHED:
                report = check_guide(guide)  # a published version is never written to
            else:
                report = services.refresh_quality(guide)
            checked += 1
            if not report.findings:
                continue
            if report.blocking:
                with_blocking += 1
                published_blocking += guide.status == GuideStatus.PUBLISHED
            else:
                with_warnings_only += 1
            self.stdout.write(
                f"{guide.implementation.implementation_code} {guide.name} 第{guide.version}版"
                f"（{guide.get_status_display()}）质量评分 {report.score}："
            )
            for finding in report.findings:
                self.stdout.write(
                    f"  [{SEVERITY_LABELS.get(finding.severity, finding.severity)}] {finding.message}"
                )
        self.stdout.write(
            f"共检查 {checked} 个版本：{with_blocking} 个有必须改正的问题，"
            f"{with_warnings_only} 个仅有改进建议，{checked - with_blocking - with_warnings_only} 个没有问题。"
        )
        if published_blocking:
            raise CommandError(
                f"已发布的版本中有 {published_blocking} 个存在必须改正的问题，请新建版本改正后重新发布。",
                returncode=1,
            )

    # withdraw ------------------------------------------------------------------------------------

    def _withdraw(self, options: dict[str, Any]) -> None:
        implementation = Implementation.objects.filter(implementation_code=options["code"]).first()
        if implementation is None:
            raise CommandError(f"实施编码 {options['code']} 不存在。")
        try:
            services.withdraw(implementation, reason=options["reason"])
        except (services.CatalogError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已取消事项 {implementation.name or implementation.implementation_code}。")


def import_with_progress(doc: Any, *, publish: bool = True) -> exchange.ImportReport:
    """import_document with a progress bar on the terminal (none when output is not a terminal)."""
    bar = tqdm(desc="导入事项", unit="项", disable=None, file=sys.stderr)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        return exchange.import_document(doc, publish=publish, progress=progress)
    finally:
        bar.close()
