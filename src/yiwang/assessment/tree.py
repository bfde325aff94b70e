"""Indicator trees as data: parse a YAML tree, validate it, and give the scorer a typed, immutable view.

A tree has a `model` header (name, version, grades) and `indicators`: dimensions → second-level →
leaves, any depth allowed. Validation is strict and every error names the indicator and the fix:

- ids are unique and non-empty; every node has a name and a positive weight;
- a parent's weight equals the sum of its children's weights (exactly, compared as decimals);
- every leaf has a known source and scoring rule, and the source has a collector for that leaf
  (platform leaves need a platform measure, crawl leaves a crawler probe; questionnaire and import
  leaves are collected by the importers);
- grades are named, with minimums falling to 0.

Weights are read as decimals from their YAML text (4.5 stays exactly 4.5), so sums are exact.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_TREE_FILE = DATA_DIR / "default-5-17-78.yaml"

SOURCES = ("platform", "crawl", "questionnaire", "import")
SIMPLE_RULES = ("ratio", "binary", "checklist")
RANGE_RULES = ("linear", "inverse")
_RANGE_RE = re.compile(r"^(linear|inverse)\[\s*(-?[0-9.]+)\s*,\s*(-?[0-9.]+)\s*\]$")
_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,31}$")


class TreeError(ValueError):
    """A tree that cannot be used, with every problem found (not only the first)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("；".join(problems))


@dataclass(frozen=True)
class Rule:
    kind: str  # ratio | binary | checklist | linear | inverse
    low: Decimal | None = None
    high: Decimal | None = None

    @classmethod
    def parse(cls, text: str) -> Rule:
        text = str(text).strip()
        if text in SIMPLE_RULES:
            return cls(text)
        match = _RANGE_RE.match(text)
        if not match:
            raise ValueError(
                f"未知的评分规则“{text}”，可用：ratio、binary、checklist、linear[a,b]、inverse[a,b]"
            )
        low, high = Decimal(match.group(2)), Decimal(match.group(3))
        if low >= high:
            raise ValueError(f"评分规则“{text}”的区间下限必须小于上限")
        return cls(match.group(1), low, high)

    def __str__(self) -> str:
        if self.kind in RANGE_RULES:
            return f"{self.kind}[{self.low},{self.high}]"
        return self.kind


@dataclass(frozen=True)
class Node:
    id: str
    name: str
    weight: Decimal
    depth: int  # 1 = dimension
    parent_id: str | None
    children: tuple[Node, ...] = ()
    source: str = ""
    rule: Rule | None = None
    definition: str = ""
    method: str = ""

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def leaves(self) -> Iterator[Node]:
        if self.is_leaf:
            yield self
        for child in self.children:
            yield from child.leaves()

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Grade:
    name: str
    minimum: Decimal


@dataclass(frozen=True)
class Tree:
    name: str
    version: str
    roots: tuple[Node, ...]
    grades: tuple[Grade, ...]
    digest: str
    text: str
    by_id: dict[str, Node] = field(default_factory=dict, compare=False, hash=False)

    @property
    def total_weight(self) -> Decimal:
        return sum((root.weight for root in self.roots), Decimal(0))

    def leaves(self) -> list[Node]:
        return [leaf for root in self.roots for leaf in root.leaves()]

    def nodes(self) -> list[Node]:
        return [node for root in self.roots for node in root.walk()]

    def level(self, depth: int) -> list[Node]:
        return [node for node in self.nodes() if node.depth == depth]

    def grade_of(self, score: Decimal) -> str:
        for grade in self.grades:  # sorted high → low; a boundary belongs to the higher grade
            if score >= grade.minimum:
                return grade.name
        return self.grades[-1].name


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise InvalidOperation
    return Decimal(str(value))


def _collector_ids() -> dict[str, frozenset[str]]:
    from yiwang.assessment.collectors import crawl_probes, platform

    return {"platform": frozenset(platform.MEASURES), "crawl": frozenset(crawl_probes.PROBES)}


def _parse_node(
    raw: Any, *, depth: int, parent_id: str | None, seen: set[str], problems: list[str], collectors: Any
) -> Node | None:
    where = f"上级“{parent_id}”下" if parent_id else "第一级"
    if not isinstance(raw, dict):
        problems.append(f"{where}的指标必须是映射（id、name、weight …），而不是 {type(raw).__name__}")
        return None
    node_id = str(raw.get("id") or "").strip()
    if not node_id:
        problems.append(f"{where}有指标缺少 id")
        return None
    if not _ID_RE.match(node_id) or node_id == "total":
        problems.append(f"指标 id“{node_id}”不合规：须以字母开头，只含字母、数字、点、横线，且不得为 total")
    if node_id in seen:
        problems.append(f"指标 id“{node_id}”重复")
    seen.add(node_id)
    name = str(raw.get("name") or "").strip()
    if not name:
        problems.append(f"指标“{node_id}”缺少名称（name）")
    try:
        weight = _decimal(raw.get("weight"))
        if weight <= 0:
            problems.append(f"指标“{node_id}”的权重必须大于 0，现为 {weight}")
    except (InvalidOperation, ValueError):
        problems.append(f"指标“{node_id}”的权重“{raw.get('weight')}”不是数字")
        weight = Decimal(0)
    children_raw = raw.get("children") or []
    if not isinstance(children_raw, list):
        problems.append(f"指标“{node_id}”的 children 必须是列表")
        children_raw = []
    children = tuple(
        child
        for child in (
            _parse_node(
                c, depth=depth + 1, parent_id=node_id, seen=seen, problems=problems, collectors=collectors
            )
            for c in children_raw
        )
        if child is not None
    )
    if children:
        total = sum((c.weight for c in children), Decimal(0))
        if total != weight:
            problems.append(f"指标“{node_id}”的权重为 {weight}，但其下级权重之和为 {total}；请调整使二者相等")
        return Node(node_id, name, weight, depth, parent_id, children)
    source = str(raw.get("source") or "").strip()
    rule: Rule | None = None
    if source not in SOURCES:
        problems.append(f"末级指标“{node_id}”的来源“{source}”无效，可用：{'、'.join(SOURCES)}")
    elif source in collectors and node_id not in collectors[source]:
        problems.append(
            f"末级指标“{node_id}”的来源为 {source}，但没有对应的采集器；"
            f"请改为 questionnaire 或 import，或选用已有采集器的指标 id"
        )
    try:
        rule = Rule.parse(raw.get("scoring") or "")
    except ValueError as exc:
        problems.append(f"末级指标“{node_id}”：{exc}")
    return Node(
        node_id,
        name,
        weight,
        depth,
        parent_id,
        (),
        source=source,
        rule=rule,
        definition=str(raw.get("definition") or ""),
        method=str(raw.get("method") or ""),
    )


def _parse_grades(raw: Any, problems: list[str]) -> tuple[Grade, ...]:
    if raw is None:
        raw = [
            {"name": "非常高", "min": 90},
            {"name": "高", "min": 80},
            {"name": "中", "min": 65},
            {"name": "低", "min": 0},
        ]
    grades: list[Grade] = []
    if not isinstance(raw, list) or not raw:
        problems.append("model.grades 必须是非空列表，如 [{name: 非常高, min: 90}, …]")
        return ()
    for item in raw:
        try:
            grades.append(Grade(str(item["name"]), _decimal(item["min"])))
        except (KeyError, TypeError, InvalidOperation, ValueError):
            problems.append(f"等级“{item}”必须有 name 和数字 min")
    grades.sort(key=lambda g: g.minimum, reverse=True)
    if grades and grades[-1].minimum != 0:
        problems.append("最低等级的 min 必须为 0，使每个指数都有等级")
    if len({g.minimum for g in grades}) != len(grades):
        problems.append("等级的 min 不得重复")
    return tuple(grades)


def parse_tree(text: str) -> Tree:
    """Parse and validate a YAML tree. Raises TreeError listing every problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TreeError([f"YAML 语法错误：{exc}"]) from exc
    if not isinstance(data, dict):
        raise TreeError(["指标体系文件必须是包含 model 和 indicators 的映射"])
    problems: list[str] = []
    model = data.get("model") or {}
    if not isinstance(model, dict):
        problems.append("model 必须是映射")
        model = {}
    name = str(model.get("name") or "").strip()
    version = str(model.get("version") or "").strip()
    if not name:
        problems.append("model.name（指标体系名称）不能为空")
    if not version:
        problems.append("model.version（版本号）不能为空")
    grades = _parse_grades(model.get("grades"), problems)
    indicators = data.get("indicators")
    if not isinstance(indicators, list) or not indicators:
        problems.append("indicators 必须是非空列表")
        indicators = []
    seen: set[str] = set()
    collectors = _collector_ids()
    roots = tuple(
        node
        for node in (
            _parse_node(raw, depth=1, parent_id=None, seen=seen, problems=problems, collectors=collectors)
            for raw in indicators
        )
        if node is not None
    )
    if problems:
        raise TreeError(problems)
    tree = Tree(
        name=name,
        version=version,
        roots=roots,
        grades=grades,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        text=text,
    )
    tree.by_id.update({node.id: node for node in tree.nodes()})
    return tree


def default_tree_text() -> str:
    return DEFAULT_TREE_FILE.read_text(encoding="utf-8")


def load_default_tree() -> Tree:
    return parse_tree(default_tree_text())
