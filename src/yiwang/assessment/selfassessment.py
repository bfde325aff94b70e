"""Self-assessment: this deployment's own live index, recomputed periodically (Celery task + `yiwang assess
self`), with its trend and the leaves costing the most points.

One round per deployment, flagged `is_self_assessment`, whose one subject is this node's region
(settings.YIWANG_REGION_CODE) read from local platform data; every recomputation is a new run, so the
runs form the trend.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from yiwang.assessment import selectors, services
from yiwang.assessment.models import Round, Run, RunStatus, SubjectKind

SELF_ROUND_NAME = "本平台自评"
TREND_RUNS = 30


def self_round(*, actor: Any = None) -> Round:
    from yiwang.core.selectors import region_by_code

    code = settings.YIWANG_REGION_CODE
    region = region_by_code(code)
    if region is None:
        raise services.AssessmentError(
            f"本平台的行政区划 {code} 不存在；请先导入行政区划或设置 YIWANG_REGION_CODE"
        )
    with transaction.atomic():
        round_ = Round.objects.filter(is_self_assessment=True).first()
        if round_ is None:
            kind = {"province": SubjectKind.PROVINCE, "prefecture": SubjectKind.CITY}.get(
                region.level, SubjectKind.COUNTY
            )
            round_ = services.create_round(
                SELF_ROUND_NAME,
                actor=actor,
                subject_kind=kind,
                is_self_assessment=True,
                note="本平台数据的持续自评，由周期任务重算。",
            )
        if not round_.subjects.filter(region_code=code).exists():
            services.set_subject(round_, code, region.name, actor=actor, platform="local")
    return round_


def run_self_assessment(*, actor: Any = None, progress: services.Progress | None = None) -> Run:
    return services.run_round(self_round(actor=actor), actor=actor, progress=progress)


def overview() -> dict[str, Any]:
    round_ = Round.objects.filter(is_self_assessment=True).first()
    if round_ is None:
        return {"round": None, "run": None}
    runs = list(Run.objects.filter(round=round_, status=RunStatus.DONE).order_by("-number")[:TREND_RUNS])
    if not runs:
        return {"round": round_, "run": None}
    run = runs[0]
    result = run.results.first()
    trend = [(r.number, r.finished_at, r.results.first()) for r in reversed(runs)]
    rep = selectors.report(run)
    costly = selectors.costliest_leaves(rep.tree, list(result.leaves.all())) if result else []
    return {
        "round": round_,
        "run": run,
        "result": result,
        "trend": trend,
        "costly": costly[:20],
        "tree": rep.tree,
        "trend_svg": trend_svg([(n, float(r.total)) for n, _, r in trend if r]),
    }


def trend_svg(points: list[tuple[int, float]], *, width: int = 480, height: int = 140) -> str:
    if len(points) < 2:
        return ""
    pad = 24
    xs = [pad + (width - 2 * pad) * i / (len(points) - 1) for i in range(len(points))]
    ys = [height - pad - (height - 2 * pad) * v / 100 for _, v in points]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    desc = "；".join(f"#{n} {v:.2f}" for n, v in points)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#00529b"/>' for x, y in zip(xs, ys, strict=True)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-label="自评指数变化：{desc}">'
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#c9ced6"/>'
        f'<polyline points="{line}" fill="none" stroke="#00529b" stroke-width="2"/>{dots}</svg>'
    )
