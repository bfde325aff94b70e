"""The assessment app's JSON API, mounted at /api/assessment/.

- GET /platform/{region}: this deployment's platform measures for one of its regions — what another
  deployment's engine reads when it assesses this one "through its API" (aggregate counts only).
- GET /rounds, /rounds/{id}/report: published rounds and their statistics (the `report --format json`
  object plus the narrative).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.errors import HttpError

from yiwang.assessment import selectors
from yiwang.assessment.models import Round, RoundStatus
from yiwang.assessment.statistics import as_json
from yiwang.core.ratelimit import PublicApiThrottle

router = Router(tags=["能力评估"])

PLATFORM_CACHE_SECONDS = 600


class RoundOut(Schema):
    id: int
    name: str
    subject_kind: str
    period_start: dt.date | None
    period_end: dt.date | None
    is_sample: bool
    tree: str


@router.get(
    "/platform/{region}",
    throttle=[PublicApiThrottle()],
    summary="本平台某地区的平台数据指标（供其他部署评估）",
)
def platform_measures(request: HttpRequest, region: str, as_of: dt.date | None = None) -> dict[str, Any]:
    from yiwang.assessment.collectors import platform
    from yiwang.core.selectors import region_by_code

    if region_by_code(region) is None:
        raise HttpError(404, f"本平台没有行政区划 {region}")
    day = as_of or dt.date.today()
    key = f"assessment:platform:{region}:{day.isoformat()}"
    leaves = cache.get(key)
    if leaves is None:
        leaves = platform.collect(region, list(platform.MEASURES), as_of=day)
        cache.set(key, leaves, PLATFORM_CACHE_SECONDS)
    return {"region": region, "as_of": day.isoformat(), "leaves": leaves}


@router.get("/rounds", response=list[RoundOut], throttle=[PublicApiThrottle()], summary="已发布的评估轮次")
def rounds(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "id": r.pk,
            "name": r.name,
            "subject_kind": r.subject_kind,
            "period_start": r.period_start,
            "period_end": r.period_end,
            "is_sample": r.is_sample,
            "tree": str(r.tree),
        }
        for r in selectors.rounds(include_drafts=False)
    ]


@router.get("/rounds/{round_id}/report", throttle=[PublicApiThrottle()], summary="已发布轮次的统计与排名")
def round_report(request: HttpRequest, round_id: int) -> dict[str, Any]:
    round_ = get_object_or_404(Round, pk=round_id, status=RoundStatus.PUBLISHED)
    run = selectors.current_run(round_)
    if run is None:
        raise HttpError(404, "这个轮次还没有完成的运行")
    report = selectors.report(run)
    return {
        **as_json(report.stats),
        "round": round_.name,
        "run": run.number,
        "is_sample": round_.is_sample,
        "tree": {"name": report.tree.name, "version": report.tree.version, "digest": report.tree.digest},
        "inputs_digest": run.inputs_digest,
        "results_digest": run.results_digest,
        "narrative": report.narrative,
    }
