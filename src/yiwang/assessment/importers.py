"""Reading score and questionnaire files (CSV in UTF-8 with or without BOM, or XLSX's first sheet).

Scores file: header `region,name,total`, optionally followed by columns named by indicator ids (a leaf,
a second-level or a first-level indicator). Values are 0–100 scores; an empty cell means "not given".

Questionnaire file (template from `questionnaire_template`): `region,respondent,indicator,item,answer`,
one row per answered checklist item; answer 是/否 (also 1/0, yes/no, y/n, true/false). A leaf's raw
value is the share of "是" over all its answered items and respondents (checklist rule).

Every problem is reported with its line number; nothing is imported from a file with problems.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from yiwang.assessment.tree import Tree

REGION_RE = re.compile(r"^[1-9]\d{5}$")
YES = {"是", "1", "yes", "y", "true", "√", "有"}
NO = {"否", "0", "no", "n", "false", "×", "无"}


class ImportProblems(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def read_rows(content: bytes, filename: str) -> list[list[str]]:
    """All rows of a CSV or XLSX file as stripped strings."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise ImportProblems([f"无法读取 XLSX 文件：{exc}"]) from exc
        sheet = book.worksheets[0]
        return [
            ["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)
        ]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise ImportProblems(["文件编码无法识别：请保存为 UTF-8 编码的 CSV 或 XLSX"]) from exc
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]


def read_file(path: str | Path) -> list[list[str]]:
    path = Path(path)
    if not path.exists():
        raise ImportProblems([f"文件不存在：{path}"])
    return read_rows(path.read_bytes(), path.name)


def _score(text: str, where: str, problems: list[str]) -> Decimal | None:
    if text == "":
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        problems.append(f"{where}：“{text}”不是数字")
        return None
    if not value.is_finite() or value < 0 or value > 100:
        problems.append(f"{where}：得分 {text} 超出 0–100")
        return None
    return value


@dataclass
class ScoreRow:
    region: str
    name: str
    scores: dict[str, Decimal] = field(default_factory=dict)  # indicator id or "total" → score


def parse_scores(rows: list[list[str]], tree: Tree) -> list[ScoreRow]:
    rows = [row for row in rows if any(cell for cell in row)]
    if not rows:
        raise ImportProblems(["文件为空：第一行应为表头 region,name,total"])
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    if header[:3] != ["region", "name", "total"]:
        raise ImportProblems([f"第1行：表头前三列应为 region,name,total，现为 {','.join(header[:3])}"])
    problems: list[str] = []
    columns = header[3:]
    for column in columns:
        if column not in tree.by_id:
            problems.append(f"第1行：列“{column}”不是指标体系《{tree.name}》中的指标 id")
    if len(set(columns)) != len(columns):
        problems.append("第1行：有重复的指标列")
    parsed: list[ScoreRow] = []
    seen: set[str] = set()
    for number, row in enumerate(rows[1:], start=2):
        row = row + [""] * (len(header) - len(row))
        region, name = row[0], row[1]
        if not REGION_RE.match(region):
            problems.append(f"第{number}行：region“{region}”应为6位行政区划代码（如 330000）")
        elif region in seen:
            problems.append(f"第{number}行：地区 {region} 重复")
        seen.add(region)
        if not name:
            problems.append(f"第{number}行：name（地区名称）不能为空")
        entry = ScoreRow(region, name)
        for column, text in zip(["total", *columns], row[2 : len(header)], strict=False):
            value = _score(text, f"第{number}行 {column} 列", problems)
            if value is not None:
                entry.scores[column] = value
        if not entry.scores:
            problems.append(f"第{number}行：至少要有一个得分（total 或某个指标）")
        parsed.append(entry)
    if len(rows) > 1 + 5000:
        problems.append("一次最多导入 5000 个地区")
    if problems:
        raise ImportProblems(problems)
    return parsed


QUESTIONNAIRE_HEADER = ["region", "respondent", "indicator", "item", "answer"]


def checklist_items(definition: str) -> list[str]:
    """Checklist items of a questionnaire leaf, read from its definition (split on 、，and …)."""
    body = re.sub(r"^(登录后提供|提供)", "", definition)
    body = re.sub(r"等(功能|服务)?$", "", body)
    parts = [p.strip(" 。") for p in re.split(r"[、，,；;（）()]|以及|并且|并|和", body)]
    return [p for p in parts if p] or [definition]


def questionnaire_template(tree: Tree, regions: list[tuple[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(QUESTIONNAIRE_HEADER)
    example_regions = regions[:1] or [("330000", "")]
    for leaf in tree.leaves():
        if leaf.source != "questionnaire":
            continue
        for item in checklist_items(leaf.definition):
            writer.writerow([example_regions[0][0], "专家1", leaf.id, item, ""])
    return out.getvalue()


@dataclass
class QuestionnaireResult:
    region: str
    indicator: str
    met: int
    answered: int
    respondents: set[str]
    items: dict[str, list[int]]  # item → [met, answered]

    @property
    def share(self) -> Decimal:
        return (Decimal(self.met) / Decimal(self.answered)).quantize(Decimal("0.000001"))


def parse_questionnaire(rows: list[list[str]], tree: Tree, regions: set[str]) -> list[QuestionnaireResult]:
    rows = [row for row in rows if any(cell for cell in row)]
    if not rows or [h.lstrip("\ufeff") for h in rows[0][:5]] != QUESTIONNAIRE_HEADER:
        raise ImportProblems([f"第1行：表头应为 {','.join(QUESTIONNAIRE_HEADER)}（请使用发布的问卷模板）"])
    problems: list[str] = []
    results: dict[tuple[str, str], QuestionnaireResult] = {}
    for number, row in enumerate(rows[1:], start=2):
        row = row + [""] * (5 - len(row))
        region, respondent, indicator, item, answer = row[:5]
        if region not in regions:
            problems.append(f"第{number}行：地区 {region} 不是本轮的评估对象")
            continue
        node = tree.by_id.get(indicator)
        if node is None or not node.is_leaf:
            problems.append(f"第{number}行：“{indicator}”不是末级指标 id")
            continue
        if not respondent:
            problems.append(f"第{number}行：respondent（答卷人）不能为空")
        value = answer.strip().lower()
        if value not in YES and value not in NO:
            problems.append(f"第{number}行：answer“{answer}”应为 是 或 否")
            continue
        key = (region, indicator)
        result = results.setdefault(
            key, QuestionnaireResult(region, indicator, 0, 0, set(), defaultdict(lambda: [0, 0]))
        )
        met = 1 if value in YES else 0
        result.met += met
        result.answered += 1
        result.respondents.add(respondent)
        result.items[item or "（未命名）"][0] += met
        result.items[item or "（未命名）"][1] += 1
    if problems:
        raise ImportProblems(problems)
    return list(results.values())
