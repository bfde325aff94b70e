"""Periodic jobs of the cases app (Celery beat); the same work is `yiwang cases sweep`."""

from __future__ import annotations

import os
from typing import Any

from yiwang.core.tasks import periodic, task

SWEEP_EVERY_SECONDS = float(os.environ.get("YIWANG_CASE_SWEEP_SECONDS", "900"))


@task(name="cases.sweep")
def sweep_deadlines() -> dict[str, Any]:
    from .sweep import sweep

    result = sweep()
    return {"deemed_accepted": result.deemed_accepted, "yellow": result.yellow, "red": result.red}


periodic("cases-deadline-sweep", "cases.sweep", SWEEP_EVERY_SECONDS)
