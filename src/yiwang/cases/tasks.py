"""Periodic jobs of the cases app (Celery beat); the same work is `yiwang cases sweep`."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from yiwang.core.tasks import periodic, task

SWEEP_EVERY_SECONDS = float(os.environ.get("YIWANG_CASE_SWEEP_SECONDS", "900"))


@task(name="cases.sweep")
def sweep_deadlines() -> dict[str, Any]:
    from .sweep import sweep

    return sweep().as_dict()


@task(name="cases.issue_acceptance_notices")
def issue_acceptance_notices(case_ids: Sequence[int]) -> int:
    """Render the 受理通知书 of deemed acceptances (idempotent: a case with its notice is skipped)."""
    from .services import issue_acceptance_notice

    return sum(1 for case_id in case_ids if issue_acceptance_notice(case_id))


periodic("cases-deadline-sweep", "cases.sweep", SWEEP_EVERY_SECONDS)
