"""Jobs of the supervision app (Celery; eager without a broker). The same work is `yiwang supervision …`."""

from __future__ import annotations

import os
from typing import Any

from yiwang.core.tasks import periodic, task

ALERTS_EVERY_SECONDS = float(os.environ.get("YIWANG_SUPERVISION_ALERTS_SECONDS", "3600"))
CATCH_UP_EVERY_SECONDS = float(os.environ.get("YIWANG_SUPERVISION_CATCH_UP_SECONDS", "300"))


@task(name="supervision.refresh_case")
def refresh_case(case_id: int) -> int:
    from .summary import refresh_cases

    return refresh_cases([case_id])


@task(name="supervision.refresh_case_batch")
def refresh_case_batch(case_ids: list[int]) -> int:
    from .summary import refresh_cases

    return refresh_cases(case_ids)


@task(name="supervision.refresh_review")
def refresh_review(review_id: int) -> int:
    from .review_summary import refresh_reviews

    return refresh_reviews([review_id])


@task(name="supervision.catch_up")
def catch_up() -> int:
    from .summary import catch_up as run

    return run()


@task(name="supervision.alerts")
def raise_alerts() -> dict[str, Any]:
    from .alerts import raise_alerts as run

    return run().as_dict()


periodic("supervision-catch-up", "supervision.catch_up", CATCH_UP_EVERY_SECONDS)
periodic("supervision-alerts", "supervision.alerts", ALERTS_EVERY_SECONDS)
