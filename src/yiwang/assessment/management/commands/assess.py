"""`yiwang assess …`: create rounds, import scores and answers, crawl portals, run, report, publish.

    yiwang assess create ROUND [--kind city --children-of 330000 | --regions 110000 120000 …]
    yiwang assess subject ROUND CODE --name N [--platform local|URL] [--portal URL --profile P.json]
    yiwang assess import ROUND FILE.csv            # region,name,total[,indicator ids…]; creates the round
    yiwang assess questionnaire ROUND FILE.csv     # region,respondent,indicator,item,answer
    yiwang assess crawl ROUND [--region CODE]
    yiwang assess run ROUND [--as-of YYYY-MM-DD]
    yiwang assess report ROUND --format json|text|xlsx|pdf [--output FILE]
    yiwang assess publish ROUND
    yiwang assess self                             # this deployment's self-assessment (also a Celery task)
    yiwang assess tree validate FILE.yaml | tree export [--id N]

Progress bars and messages go to stderr, so `report --format json` prints exactly one JSON object.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError


def _date(value: str | None, what: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{what}格式应为 YYYY-MM-DD，例如 2025-12-31。") from None


class Command(BaseCommand):
    help = "能力评估：create / import / questionnaire / crawl / run / report / publish / self / tree。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(
            dest="action",
            required=True,
            metavar="{create,subject,import,questionnaire,crawl,run,report,publish,self,tree}",
        )
        create = actions.add_parser("create", help="新建评估轮次")
        create.add_argument("round")
        create.add_argument("--kind", choices=["province", "city", "county"], default="province")
        create.add_argument("--regions", nargs="*", default=[], help="评估对象的行政区划代码（本平台数据）")
        create.add_argument("--children-of", default=None, help="以某地区的全部下级为评估对象")
        create.add_argument("--policy", choices=["zero", "redistribute"], default="zero")
        create.add_argument("--mode", choices=["absolute", "relative"], default="absolute")
        create.add_argument("--period-start", default=None)
        create.add_argument("--period-end", default=None)
        create.add_argument("--previous", default=None, help="上一轮名称（用于比较变化）")
        create.add_argument("--tree", type=int, default=None, help="指标体系 id（默认 5/17/78）")
        imp = actions.add_parser("import", help="导入已计算的得分（CSV/XLSX）")
        imp.add_argument("round")
        imp.add_argument("file")
        imp.add_argument("--sample", action="store_true", help="标记为示例数据")
        subject = actions.add_parser("subject", help="添加或修改评估对象及其证据来源")
        subject.add_argument("round")
        subject.add_argument("region")
        subject.add_argument("--name", required=True)
        subject.add_argument("--platform", default="", help="local、另一部署的网址，或留空")
        subject.add_argument("--portal", default="", help="门户网址")
        subject.add_argument("--profile", default=None, help="抓取配置 JSON 文件")
        subject.add_argument("--population", type=int, default=None)
        questionnaire = actions.add_parser("questionnaire", help="导入问卷答案（CSV/XLSX）")
        questionnaire.add_argument("round")
        questionnaire.add_argument("file")
        crawl = actions.add_parser("crawl", help="抓取评估对象的门户")
        crawl.add_argument("round")
        crawl.add_argument("--region", default=None)
        crawl.add_argument(
            "--interval", type=float, default=1.0, help="同一主机两次请求的最小间隔（秒，默认1）"
        )
        crawl.add_argument("--concurrency", type=int, default=2, help="同一主机的并发连接数（默认2，最多8）")
        run = actions.add_parser("run", help="计算一次新的运行")
        run.add_argument("round")
        run.add_argument("--as-of", default=None)
        report = actions.add_parser("report", help="输出报告")
        report.add_argument("round")
        report.add_argument("--format", choices=["json", "text", "xlsx", "pdf"], default="text")
        report.add_argument("--output", default=None, help="xlsx/pdf 的输出文件")
        publish = actions.add_parser("publish", help="发布轮次")
        publish.add_argument("round")
        actions.add_parser("self", help="本平台自评（周期任务同此）")
        tree = actions.add_parser("tree", help="指标体系：validate FILE | export [--id N]")
        tree.add_argument("tree_action", choices=["validate", "export"])
        tree.add_argument("file", nargs="?")
        tree.add_argument("--id", type=int, default=None)

    # -- helpers -------------------------------------------------------------------------------------

    def _err(self) -> Any:
        return getattr(self.stderr, "_out", sys.stderr)  # the raw stream: tqdm redraws with "\r"

    def _say(self, text: str) -> None:
        self._err().write(text + "\n")

    def _round(self, name: str) -> Any:
        from yiwang.assessment.models import Round

        round_ = Round.objects.filter(name=name).first()
        if round_ is None:
            raise CommandError(f"没有名为“{name}”的轮次；请先 yiwang assess create {name} 或 import。")
        return round_

    def _progress(self, desc: str) -> Any:
        from tqdm import tqdm

        bar: dict[str, Any] = {}

        def update(label: str, index: int, total: int) -> None:
            if "bar" not in bar:
                bar["bar"] = tqdm(total=total, desc=desc, unit="个", file=self._err())
            bar["bar"].set_postfix_str(label)
            bar["bar"].update(1)
            if index == total:
                bar["bar"].close()

        return update

    def handle(self, *args: Any, **options: Any) -> None:
        from yiwang.assessment.importers import ImportProblems
        from yiwang.assessment.services import AssessmentError
        from yiwang.assessment.tree import TreeError

        try:
            getattr(self, f"do_{options['action']}")(options)
        except (AssessmentError, ImportProblems, TreeError) as exc:
            raise CommandError(str(exc)) from None

    # -- actions -------------------------------------------------------------------------------------

    def do_create(self, options: dict[str, Any]) -> None:
        from yiwang.assessment import services
        from yiwang.assessment.models import IndicatorTree, Round
        from yiwang.core.selectors import region_by_code, region_children

        previous = self._round(options["previous"]) if options["previous"] else None
        tree = IndicatorTree.objects.filter(pk=options["tree"]).first() if options["tree"] else None
        if options["tree"] and tree is None:
            raise CommandError(f"没有 id 为 {options['tree']} 的指标体系")
        codes = list(options["regions"])
        if options["children_of"]:
            parent = region_by_code(options["children_of"])
            if parent is None:
                raise CommandError(f"本平台没有行政区划 {options['children_of']}")
            codes += [r.code for r in region_children(parent)]
        round_: Round = services.create_round(
            options["round"],
            actor=None,
            tree=tree,
            period_start=_date(options["period_start"], "评估期起"),
            period_end=_date(options["period_end"], "评估期止"),
            subject_kind=options["kind"],
            unmeasured_policy=options["policy"],
            mode=options["mode"],
            previous=previous,
        )
        services.add_regions(round_, codes, actor=None)
        self._say(f"已创建轮次“{round_.name}”，评估对象 {len(codes)} 个。")

    def do_import(self, options: dict[str, Any]) -> None:
        from yiwang.assessment import services
        from yiwang.assessment.importers import read_file

        rows = read_file(options["file"])
        round_, count = services.import_scores(
            options["round"],
            rows,
            actor=None,
            filename=Path(options["file"]).name,
            is_sample=options["sample"],
        )
        self._say(f"已向轮次“{round_.name}”导入 {count} 个地区的得分。")

    def do_subject(self, options: dict[str, Any]) -> None:
        from yiwang.assessment import services

        profile: dict[str, Any] = {}
        if options["profile"]:
            try:
                profile = json.loads(Path(options["profile"]).read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise CommandError(f"无法读取抓取配置 {options['profile']}：{exc}") from None
            if not isinstance(profile, dict):
                raise CommandError("抓取配置应为 JSON 对象（{…}）")
        subject = services.set_subject(
            self._round(options["round"]),
            options["region"],
            options["name"],
            actor=None,
            platform=options["platform"],
            portal_url=options["portal"],
            crawl_profile=profile,
            population=options["population"],
        )
        self._say(f"已保存评估对象 {subject}。")

    def do_questionnaire(self, options: dict[str, Any]) -> None:
        from yiwang.assessment import services
        from yiwang.assessment.importers import read_file

        round_ = self._round(options["round"])
        count = services.import_questionnaire(
            round_, read_file(options["file"]), actor=None, filename=Path(options["file"]).name
        )
        self._say(f"已导入 {count} 个（地区×指标）的问卷结果。")

    def do_crawl(self, options: dict[str, Any]) -> None:
        from yiwang.assessment import crawler, services

        round_ = self._round(options["round"])
        if options["interval"] < 0 or not 1 <= options["concurrency"] <= 8:
            raise CommandError("--interval 不能为负数，--concurrency 应在 1 到 8 之间")
        politeness = crawler.Politeness(
            min_interval=options["interval"], per_host_concurrency=options["concurrency"]
        )
        subjects = [
            s
            for s in round_.subjects.all()
            if s.portal_url and (not options["region"] or s.region_code == options["region"])
        ]
        if not subjects:
            raise CommandError("没有登记门户网址的评估对象可抓取")
        progress = self._progress("抓取门户")
        for index, subject in enumerate(subjects, start=1):
            results = crawler.crawl_subject(subject, politeness=politeness)
            services.store_crawl_results(subject, results, actor=None)
            progress(subject.name, index, len(subjects))

    def do_run(self, options: dict[str, Any]) -> None:
        from yiwang.assessment import services

        round_ = self._round(options["round"])
        run = services.run_round(
            round_,
            actor=None,
            as_of=_date(options["as_of"], "--as-of"),
            progress=self._progress("采集与计算"),
        )
        self._say(
            f"运行 #{run.number} 完成：输入摘要 {run.inputs_digest[:16]}…，结果摘要 {run.results_digest[:16]}…"
        )

    def do_report(self, options: dict[str, Any]) -> None:
        from yiwang.assessment import exports, selectors, services

        round_ = self._round(options["round"])
        run = selectors.current_run(round_)
        if run is None or selectors.inputs_changed_since(round_, run):
            self._say("输入已变化或尚无运行，先计算一次新的运行…")
            run = services.run_round(round_, actor=None, progress=self._progress("采集与计算"))
        report = selectors.report(run)
        fmt = options["format"]
        if fmt == "json":
            from yiwang.assessment.statistics import as_json

            self.stdout.write(json.dumps(as_json(report.stats), ensure_ascii=False))
            return
        if fmt == "text":
            self.stdout.write("\n".join(report.narrative))
            for row in report.stats["ranking"]:
                self.stdout.write(f"{row.rank:>3}  {row.region}  {row.name:<12}  {row.total:>6}  {row.grade}")
            return
        output = options["output"] or f"{round_.name}.{fmt}"
        data = exports.xlsx(report) if fmt == "xlsx" else exports.pdf(report)
        Path(output).write_bytes(data)
        self._say(f"已写出 {output}（{len(data)} 字节）")

    def do_publish(self, options: dict[str, Any]) -> None:
        from yiwang.assessment import services

        round_ = services.publish_round(self._round(options["round"]), actor=None)
        self._say(f"已发布轮次“{round_.name}”。")

    def do_self(self, options: dict[str, Any]) -> None:
        from yiwang.assessment.selfassessment import run_self_assessment

        run = run_self_assessment(progress=self._progress("本平台自评"))
        result = run.results.first()
        self._say(f"自评完成：指数 {result.total if result else '—'}（运行 #{run.number}）")

    def do_tree(self, options: dict[str, Any]) -> None:
        from yiwang.assessment.models import IndicatorTree
        from yiwang.assessment.tree import default_tree_text, parse_tree

        if options["tree_action"] == "validate":
            if not options["file"]:
                raise CommandError("请给出要校验的 YAML 文件")
            tree = parse_tree(Path(options["file"]).read_text(encoding="utf-8"))
            self._say(f"指标体系《{tree.name}》v{tree.version} 有效：{len(tree.leaves())} 个末级指标。")
            return
        row = IndicatorTree.objects.filter(pk=options["id"]).first() if options["id"] else None
        self.stdout.write(row.text if row else default_tree_text())
