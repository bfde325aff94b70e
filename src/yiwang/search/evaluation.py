"""The search quality test set (data/quality_queries.yaml): precision@1 and recall@3, overall and per kind.

A case passes recall@3 when one of the first three distinct items in the results has the expected name
(its implementation name or its basic-catalogue name), and precision@1 when the first one does. Distinct,
because the same item carried out by several regions appears once per region: without a region filter,
three copies of one item would otherwise hide every other answer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from yiwang.search import selectors
from yiwang.search.text import compact

DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "quality_queries.yaml"
RESULTS_READ = 30  # enough results to find three distinct items
KINDS = ("exact", "traditional", "pinyin", "initials", "colloquial", "typo", "material")


@dataclass(frozen=True)
class Case:
    query: str
    expected: str
    kind: str


@dataclass(frozen=True)
class Outcome:
    case: Case
    top: tuple[str, ...]  # names of the first three results, as shown
    names: tuple[frozenset[str], ...]  # per result: its name and basic-catalogue name, compacted

    @property
    def hit_at_1(self) -> bool:
        return bool(self.names) and compact(self.case.expected) in self.names[0]

    @property
    def hit_at_3(self) -> bool:
        return any(compact(self.case.expected) in names for names in self.names[:3])


@dataclass(frozen=True)
class Score:
    count: int
    precision_at_1: float
    recall_at_3: float


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    @staticmethod
    def _score(outcomes: list[Outcome]) -> Score:
        count = len(outcomes)
        if not count:
            return Score(0, 0.0, 0.0)
        return Score(
            count,
            sum(outcome.hit_at_1 for outcome in outcomes) / count,
            sum(outcome.hit_at_3 for outcome in outcomes) / count,
        )

    def overall(self) -> Score:
        return self._score(self.outcomes)

    def by_kind(self) -> dict[str, Score]:
        groups: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in self.outcomes:
            groups[outcome.case.kind].append(outcome)
        ordered = [kind for kind in KINDS if kind in groups] + sorted(set(groups) - set(KINDS))
        return {kind: self._score(groups[kind]) for kind in ordered}

    def failures(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if not outcome.hit_at_3]


def load_cases(path: Path = DEFAULT_FILE) -> list[Case]:
    with path.open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle) or {}
    cases = []
    for number, entry in enumerate(document.get("queries") or [], start=1):
        if (
            not isinstance(entry, dict)
            or not entry.get("q")
            or not entry.get("expect")
            or not entry.get("kind")
        ):
            raise ValueError(f"第 {number} 条缺少 q、expect 或 kind")
        if entry["kind"] not in KINDS:
            raise ValueError(f"第 {number} 条的 kind “{entry['kind']}” 不在 {', '.join(KINDS)} 之中")
        cases.append(Case(query=str(entry["q"]), expected=str(entry["expect"]), kind=str(entry["kind"])))
    return cases


def evaluate(cases: list[Case]) -> Report:
    report = Report()
    for case in cases:
        page = selectors.search(selectors.SearchRequest(q=case.query, page_size=RESULTS_READ))
        items: dict[frozenset[str], str] = {}
        for result in page.results:
            items.setdefault(frozenset({compact(result.name), compact(result.basic_name)}), result.name)
        first_three = list(items.items())[:3]
        report.outcomes.append(
            Outcome(
                case=case,
                top=tuple(name for _, name in first_three),
                names=tuple(names for names, _ in first_three),
            )
        )
    return report
