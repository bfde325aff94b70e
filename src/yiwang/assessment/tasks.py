"""Periodic job of the assessment app: recompute this deployment's self-assessment (`yiwang assess self`)."""

from __future__ import annotations

import os
from typing import Any

from yiwang.core.tasks import periodic, task

SELF_ASSESSMENT_EVERY_SECONDS = float(os.environ.get("YIWANG_SELF_ASSESSMENT_SECONDS", str(24 * 3600)))


@task(name="assessment.self_assessment")
def self_assessment() -> dict[str, Any]:
    from .selfassessment import run_self_assessment

    run = run_self_assessment()
    result = run.results.first()
    return {"run": run.number, "total": str(result.total) if result else None}


periodic("assessment-self-assessment", "assessment.self_assessment", SELF_ASSESSMENT_EVERY_SECONDS)
