"""Writes of the assessment app: trees, rounds, subjects, imports, runs, publication.

Each operation runs in one transaction with an audit row; events are published after commit. A run is
computed from a snapshot of its inputs (`snapshot_inputs`), stored on the Run, so the numbers can always
be recomputed from what the run saw (`recompute`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from yiwang.assessment import scoring, statistics
from yiwang.assessment.importers import (
    ImportProblems,
    parse_questionnaire,
    parse_scores,
)
from yiwang.assessment.models import (
    IndicatorTree,
    InputSource,
    LeafInput,
    LeafResult,
    Round,
    RoundStatus,
    Run,
    RunStatus,
    ScoringMode,
    Subject,
    SubjectKind,
    SubjectResult,
    UnmeasuredPolicy,
)
from yiwang.assessment.tree import Tree, TreeError, default_tree_text, parse_tree
from yiwang.core import audit
from yiwang.core.crypto import canonical_json
from yiwang.core.events import publish

SNAPSHOT_FORMAT = 1
# Which collected value wins for a leaf: an explicitly imported score first, then expert answers, then
# the crawler, then platform data.
SOURCE_PRIORITY = (InputSource.IMPORT, InputSource.QUESTIONNAIRE, InputSource.CRAWL, InputSource.PLATFORM)

Progress = Callable[[str, int, int], None]


class AssessmentError(ValueError):
    """A request the engine refuses; the message says why in Simplified Chinese."""


def sha256(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


# --- trees ---------------------------------------------------------------------------------------------


def save_tree(text: str, *, actor: Any, based_on: IndicatorTree | None = None) -> IndicatorTree:
    """Validate YAML text and store it as a new tree version (TreeError lists every problem)."""
    tree = parse_tree(text)
    with transaction.atomic():
        if IndicatorTree.objects.filter(name=tree.name, version=tree.version).exists():
            raise TreeError([f"指标体系《{tree.name}》版本 {tree.version} 已存在；请修改 model.version"])
        row = IndicatorTree.objects.create(
            name=tree.name, version=tree.version, text=text, digest=tree.digest, based_on=based_on
        )
        audit.record(
            actor=actor,
            action="assessment.tree_saved",
            object_type="assessment.IndicatorTree",
            object_id=row.pk,
            after={"digest": row.digest},
            summary=str(row),
        )
    return row


def default_tree(*, actor: Any = None) -> IndicatorTree:
    text = default_tree_text()
    tree = parse_tree(text)
    found = IndicatorTree.objects.filter(name=tree.name, version=tree.version).first()
    return found or save_tree(text, actor=actor)


def copy_tree(source: IndicatorTree, *, version: str, actor: Any) -> IndicatorTree:
    """An editable copy of a tree under a new version (the YAML's model.version is rewritten)."""
    import yaml

    data = yaml.safe_load(source.text)
    data["model"]["version"] = version
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=200)
    return save_tree(text, actor=actor, based_on=source)


def edit_tree(row: IndicatorTree, text: str, *, actor: Any) -> IndicatorTree:
    """Replace the YAML of a tree no run has used yet (name and version must stay the same)."""
    tree = parse_tree(text)
    with transaction.atomic():
        locked = IndicatorTree.objects.select_for_update().get(pk=row.pk)
        if locked.frozen:
            raise AssessmentError("该指标体系已被评估运行使用，不能修改；请先复制一个新版本")
        if (tree.name, tree.version) != (locked.name, locked.version):
            raise AssessmentError("修改时不能更改 model.name 和 model.version；如需新版本请复制")
        before = locked.digest
        locked.text, locked.digest = text, tree.digest
        locked.save(update_fields=["text", "digest"])
        audit.record(
            actor=actor,
            action="assessment.tree_edited",
            object_type="assessment.IndicatorTree",
            object_id=locked.pk,
            before={"digest": before},
            after={"digest": locked.digest},
        )
    return locked


def tree_of(round_: Round) -> Tree:
    return parse_tree(round_.tree.text)


# --- rounds and subjects -------------------------------------------------------------------------------


def create_round(
    name: str,
    *,
    actor: Any,
    tree: IndicatorTree | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    subject_kind: str = SubjectKind.PROVINCE,
    unmeasured_policy: str = UnmeasuredPolicy.ZERO,
    mode: str = ScoringMode.ABSOLUTE,
    previous: Round | None = None,
    is_sample: bool = False,
    is_self_assessment: bool = False,
    note: str = "",
) -> Round:
    name = (name or "").strip()
    if not name:
        raise AssessmentError("轮次名称不能为空")
    if len(name) > 100:
        raise AssessmentError("轮次名称不能超过100个字")
    if period_start and period_end and period_start > period_end:
        raise AssessmentError("评估期起始日期不能晚于截止日期")
    if subject_kind not in SubjectKind.values:
        raise AssessmentError(f"未知的评估对象类型：{subject_kind}")
    if unmeasured_policy not in UnmeasuredPolicy.values:
        raise AssessmentError(f"未知的未测指标处理方式：{unmeasured_policy}（可选 zero、redistribute）")
    if mode not in ScoringMode.values:
        raise AssessmentError(f"未知的评分模式：{mode}（可选 absolute、relative）")
    with transaction.atomic():
        if Round.objects.filter(name=name).exists():
            raise AssessmentError(f"轮次“{name}”已存在")
        round_ = Round.objects.create(
            name=name,
            tree=tree or default_tree(actor=actor),
            period_start=period_start,
            period_end=period_end,
            subject_kind=subject_kind,
            unmeasured_policy=unmeasured_policy,
            mode=mode,
            previous=previous,
            is_sample=is_sample,
            is_self_assessment=is_self_assessment,
            note=note,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit.record(
            actor=actor,
            action="assessment.round_created",
            object_type="assessment.Round",
            object_id=round_.pk,
            after={"name": name},
            summary=name,
        )
    publish("assessment.round_created", {"round_id": round_.pk, "name": name})
    return round_


def set_subject(
    round_: Round,
    region_code: str,
    name: str,
    *,
    actor: Any,
    platform: str = "",
    portal_url: str = "",
    crawl_profile: dict[str, Any] | None = None,
    population: int | None = None,
) -> Subject:
    """Add a region to a round, or update its evidence sources."""
    from yiwang.assessment.importers import REGION_RE

    if not REGION_RE.match(region_code or ""):
        raise AssessmentError(f"行政区划代码“{region_code}”应为6位数字（如 330000）")
    if not (name or "").strip():
        raise AssessmentError("评估对象名称不能为空")
    if platform not in ("", "local") and not platform.startswith(("http://", "https://")):
        raise AssessmentError("平台数据来源应为空、local 或另一部署的 http(s) 网址")
    if portal_url and not portal_url.startswith(("http://", "https://")):
        raise AssessmentError(f"门户网址“{portal_url}”应以 http:// 或 https:// 开头")
    with transaction.atomic():
        subject, _created = Subject.objects.update_or_create(
            round=round_,
            region_code=region_code,
            defaults={
                "name": name.strip(),
                "platform": platform,
                "portal_url": portal_url,
                "crawl_profile": crawl_profile or {},
                "population": population,
            },
        )
        audit.record(
            actor=actor,
            action="assessment.subject_set",
            object_type="assessment.Subject",
            object_id=subject.pk,
            after={"round": round_.name, "region": region_code, "platform": platform, "portal": portal_url},
            summary=f"{round_.name} {name}",
        )
    return subject


def add_regions(
    round_: Round, region_codes: list[str], *, actor: Any, platform: str = "local"
) -> list[Subject]:
    """Subjects for regions of this deployment (names from core.regions)."""
    from yiwang.core.selectors import region_by_code

    subjects = []
    for code in region_codes:
        region = region_by_code(code)
        if region is None:
            raise AssessmentError(f"本平台没有行政区划 {code}")
        subjects.append(set_subject(round_, code, region.name, actor=actor, platform=platform))
    return subjects


def _store_input(subject: Subject, indicator: str, source: str, **values: Any) -> None:
    LeafInput.objects.update_or_create(subject=subject, indicator=indicator, source=source, defaults=values)


def import_scores(
    round_name: str,
    rows: list[list[str]],
    *,
    actor: Any,
    filename: str = "",
    create: bool = True,
    is_sample: bool = False,
) -> tuple[Round, int]:
    """Import already-computed scores (total, dimensions or leaves) per region. Returns (round, rows)."""
    round_ = Round.objects.filter(name=round_name).first()
    if round_ is None and not create:
        raise AssessmentError(f"没有名为“{round_name}”的轮次")
    tree = tree_of(round_) if round_ else parse_tree(default_tree_text())
    parsed = parse_scores(rows, tree)
    with transaction.atomic():
        if round_ is None:
            round_ = create_round(
                round_name, actor=actor, is_sample=is_sample, note=f"由文件 {filename} 导入"
            )
        for row in parsed:
            subject = Subject.objects.filter(round=round_, region_code=row.region).first()
            if subject is None or subject.name != row.name:
                subject = set_subject(
                    round_, row.region, row.name, actor=actor, platform=subject.platform if subject else ""
                )
            for indicator, value in row.scores.items():
                _store_input(
                    subject,
                    indicator,
                    InputSource.IMPORT,
                    score=value,
                    raw=None,
                    reason="",
                    evidence={"file": filename},
                )
        audit.record(
            actor=actor,
            action="assessment.scores_imported",
            object_type="assessment.Round",
            object_id=round_.pk,
            data={"file": filename, "rows": len(parsed)},
            summary=f"{round_.name} 导入 {len(parsed)} 行",
        )
    return round_, len(parsed)


def import_questionnaire(round_: Round, rows: list[list[str]], *, actor: Any, filename: str = "") -> int:
    tree = tree_of(round_)
    subjects = {s.region_code: s for s in round_.subjects.all()}
    results = parse_questionnaire(rows, tree, set(subjects))
    with transaction.atomic():
        for result in results:
            _store_input(
                subjects[result.region],
                result.indicator,
                InputSource.QUESTIONNAIRE,
                raw=result.share,
                score=None,
                reason="",
                evidence={
                    "rule": "答“是”的条目数÷已答条目数（所有答卷人）",
                    "file": filename,
                    "respondents": len(result.respondents),
                    "answered": result.answered,
                    "met": result.met,
                    "items": {
                        item: {"met": m, "answered": a} for item, (m, a) in sorted(result.items.items())
                    },
                },
            )
        audit.record(
            actor=actor,
            action="assessment.questionnaire_imported",
            object_type="assessment.Round",
            object_id=round_.pk,
            data={"file": filename, "leaves": len(results)},
        )
    return len(results)


def store_crawl_results(subject: Subject, results: dict[str, dict[str, Any]], *, actor: Any) -> None:
    """Keep the crawler's leaf values for a subject (replacing earlier crawl values)."""
    with transaction.atomic():
        for leaf, entry in results.items():
            raw = entry.get("raw")
            _store_input(
                subject,
                leaf,
                InputSource.CRAWL,
                raw=Decimal(str(raw)).quantize(Decimal("0.000001")) if raw is not None else None,
                score=None,
                reason=entry.get("reason", "")[:300],
                evidence=entry.get("evidence") or {},
            )
        audit.record(
            actor=actor,
            action="assessment.crawled",
            object_type="assessment.Subject",
            object_id=subject.pk,
            data={"leaves": sorted(results)},
        )


# --- runs ----------------------------------------------------------------------------------------------


def _remote_platform(base_url: str, region_code: str, as_of: dt.date) -> dict[str, Any]:
    import httpx

    url = base_url.rstrip("/") + f"/api/assessment/platform/{region_code}"
    try:
        response = httpx.get(url, params={"as_of": as_of.isoformat()}, timeout=60, follow_redirects=False)
        response.raise_for_status()
        body = response.json()
        leaves = body["leaves"]
        if not isinstance(leaves, dict):
            raise ValueError("leaves 不是对象")
        return {
            leaf: {
                "source": "platform",
                "raw": entry.get("raw"),
                "reason": str(entry.get("reason") or ""),
                "evidence": {**(entry.get("evidence") or {}), "remote": url},
            }
            for leaf, entry in leaves.items()
        }
    except (httpx.HTTPError, ValueError, KeyError, AttributeError) as exc:
        return {"__error__": {"reason": f"无法从 {url} 获取平台数据：{exc}"}}


def _input_entry(row: LeafInput) -> dict[str, Any]:
    return {
        "source": row.source,
        "raw": str(row.raw) if row.raw is not None else None,
        "score": str(row.score) if row.score is not None else None,
        "reason": row.reason,
        "evidence": row.evidence,
    }


def snapshot_inputs(
    round_: Round, tree: Tree, *, as_of: dt.date, progress: Progress | None = None
) -> dict[str, Any]:
    """Everything a run needs, as JSON: the tree, the options, and per subject every leaf's input."""
    from yiwang.assessment.collectors import platform as platform_collector

    subjects = list(round_.subjects.order_by("region_code"))
    platform_leaves = [leaf.id for leaf in tree.leaves() if leaf.source == "platform"]
    node_ids = set(tree.by_id)
    out: list[dict[str, Any]] = []
    for index, subject in enumerate(subjects, start=1):
        if progress:
            progress(subject.name, index, len(subjects))
        collected: dict[str, dict[str, Any]] = {}
        options = {"population": subject.population} if subject.population else {}
        if subject.platform == "local":
            collected = platform_collector.collect(
                subject.region_code, platform_leaves, as_of=as_of, options=options
            )
        elif subject.platform:
            remote = _remote_platform(subject.platform, subject.region_code, as_of)
            if "__error__" in remote:
                reason = remote["__error__"]["reason"]
                collected = {
                    leaf: {"source": "platform", "raw": None, "reason": reason, "evidence": {}}
                    for leaf in platform_leaves
                }
            else:
                collected = {leaf: remote[leaf] for leaf in platform_leaves if leaf in remote}
        by_indicator: dict[str, dict[str, dict[str, Any]]] = {}
        for row in subject.inputs.all():
            by_indicator.setdefault(row.indicator, {})[row.source] = _input_entry(row)
        leaves: dict[str, Any] = {}
        overrides: dict[str, str] = {}
        for leaf in tree.leaves():
            stored = by_indicator.get(leaf.id, {})
            candidates = {**({"platform": collected[leaf.id]} if leaf.id in collected else {}), **stored}
            for source in SOURCE_PRIORITY:
                entry = candidates.get(source)
                if entry and (entry.get("raw") is not None or entry.get("score") is not None):
                    leaves[leaf.id] = entry
                    break
            else:
                own = candidates.get(leaf.source)
                leaves[leaf.id] = own or {
                    "source": leaf.source,
                    "raw": None,
                    "reason": _missing_reason(leaf.source, subject),
                    "evidence": {},
                }
        for indicator, sources in by_indicator.items():
            imported = sources.get(InputSource.IMPORT)
            if (
                imported
                and imported["score"] is not None
                and (indicator == "total" or (indicator in node_ids and not tree.by_id[indicator].is_leaf))
            ):
                overrides[indicator] = imported["score"]
        out.append(
            {"region": subject.region_code, "name": subject.name, "leaves": leaves, "overrides": overrides}
        )
    return {
        "format": SNAPSHOT_FORMAT,
        "round": round_.name,
        "as_of": as_of.isoformat(),
        "tree": {"name": tree.name, "version": tree.version, "digest": tree.digest, "text": tree.text},
        "options": {"unmeasured": round_.unmeasured_policy, "mode": round_.mode},
        "subjects": out,
    }


def _missing_reason(source: str, subject: Subject) -> str:
    if source == "platform":
        return "未配置平台数据来源"
    if source == "crawl":
        return "尚未抓取门户" if subject.portal_url else "未登记门户网址"
    if source == "questionnaire":
        return "尚未导入问卷答案"
    return "尚未导入得分"


def compute_results(inputs: dict[str, Any]) -> tuple[Tree, list[scoring.SubjectScore]]:
    tree = parse_tree(inputs["tree"]["text"])
    return tree, scoring.compute(tree, inputs)


def results_digest(scores: list[scoring.SubjectScore]) -> str:
    return sha256(
        [
            {
                "region": s.region,
                "total": str(s.total),
                "grade": s.grade,
                "coverage": str(s.coverage),
                "nodes": {k: (str(v) if v is not None else None) for k, v in sorted(s.nodes.items())},
                "leaves": {
                    k: (str(v.score) if v.score is not None else None) for k, v in sorted(s.leaves.items())
                },
            }
            for s in scores
        ]
    )


def recompute(run: Run) -> str:
    """The results digest recomputed from the run's stored inputs (equals run.results_digest)."""
    return results_digest(compute_results(run.inputs)[1])


def run_round(
    round_: Round, *, actor: Any, as_of: dt.date | None = None, progress: Progress | None = None
) -> Run:
    """Collect, snapshot, score and store a new run of a round."""
    as_of = as_of or round_.period_end or timezone.localdate()
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round_.pk)
        if not locked.subjects.exists():
            raise AssessmentError(f"轮次“{locked.name}”还没有评估对象")
        number = (locked.runs.aggregate(n=Max("number"))["n"] or 0) + 1
        run = Run.objects.create(
            round=locked, number=number, created_by=actor if getattr(actor, "pk", None) else None
        )
        IndicatorTree.objects.filter(pk=locked.tree_id, frozen=False).update(frozen=True)
        tree = parse_tree(IndicatorTree.objects.get(pk=locked.tree_id).text)
    try:
        inputs = snapshot_inputs(round_, tree, as_of=as_of, progress=progress)
        _, scores = compute_results(inputs)
    except Exception as exc:
        Run.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    from yiwang.assessment.selectors import subject_dicts

    ranking = {
        r.region: r.rank for r in statistics.rank([(s.region, s.name, s.total, s.grade) for s in scores])
    }
    with transaction.atomic():
        rows = SubjectResult.objects.bulk_create(
            [
                SubjectResult(
                    run=run,
                    region_code=s.region,
                    name=s.name,
                    total=s.total,
                    grade=s.grade,
                    rank=ranking[s.region],
                    coverage=s.coverage,
                    nodes={k: (str(v) if v is not None else None) for k, v in s.nodes.items()},
                )
                for s in scores
            ]
        )
        LeafResult.objects.bulk_create(
            [
                LeafResult(
                    result=row,
                    indicator=leaf.id,
                    source=leaf.source,
                    raw=str(leaf.raw) if leaf.raw is not None else "",
                    score=leaf.score,
                    reason=leaf.reason[:300],
                    evidence=leaf.evidence,
                )
                for row, s in zip(rows, scores, strict=True)
                for leaf in s.leaves.values()
            ],
            batch_size=2000,
        )
        stats = statistics.round_statistics(tree, subject_dicts(rows), previous_results(round_))
        updated = Run.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.DONE,
            inputs=inputs,
            inputs_digest=sha256(inputs),
            results_digest=results_digest(scores),
            statistics=statistics.as_json(stats),
            finished_at=timezone.now(),
        )
        if updated != 1:
            raise AssessmentError("该运行已被其他操作改变")
        audit.record(
            actor=actor,
            action="assessment.run_done",
            object_type="assessment.Run",
            object_id=run.pk,
            after={"inputs": sha256(inputs), "results": results_digest(scores)},
            summary=f"{round_.name} #{number}",
        )
    publish("assessment.run_done", {"round_id": round_.pk, "run_id": run.pk, "number": number})
    run.refresh_from_db()
    return run


def previous_results(round_: Round) -> list[dict[str, Any]] | None:
    from yiwang.assessment.selectors import previous_run, subject_dicts

    run = previous_run(round_)
    return subject_dicts(list(run.results.all())) if run else None


def publish_round(round_: Round, *, actor: Any) -> Round:
    with transaction.atomic():
        if not Run.objects.filter(round=round_, status=RunStatus.DONE).exists():
            raise AssessmentError("轮次还没有完成的运行，不能发布")
        updated = Round.objects.filter(pk=round_.pk, status=RoundStatus.DRAFT).update(
            status=RoundStatus.PUBLISHED
        )
        if updated != 1:
            raise AssessmentError("该轮次已发布")
        audit.record(
            actor=actor,
            action="assessment.round_published",
            object_type="assessment.Round",
            object_id=round_.pk,
            before={"status": "draft"},
            after={"status": "published"},
            summary=round_.name,
        )
    publish("assessment.round_published", {"round_id": round_.pk})
    round_.refresh_from_db()
    return round_


__all__ = ["AssessmentError", "ImportProblems", "TreeError"]
