"""Periodic jobs of the reviews app (Celery beat); the same work is `yiwang reviews sweep`."""

from __future__ import annotations

import os
from typing import Any

from yiwang.core.tasks import periodic, task

SWEEP_EVERY_SECONDS = float(os.environ.get("YIWANG_REVIEW_SWEEP_SECONDS", "3600"))


@task(name="reviews.sweep")
def sweep_work_orders() -> dict[str, Any]:
    from .sweep import sweep

    result = sweep()
    return {"yellow": result.yellow, "red": result.red}


periodic("reviews-work-order-sweep", "reviews.sweep", SWEEP_EVERY_SECONDS)
