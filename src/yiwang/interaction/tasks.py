"""Periodic jobs of the interaction app (Celery beat); the same work is `yiwang interaction sweep`."""

from __future__ import annotations

import os
from typing import Any

from yiwang.core.tasks import periodic, task

SWEEP_EVERY_SECONDS = float(os.environ.get("YIWANG_INTERACTION_SWEEP_SECONDS", "3600"))


@task(name="interaction.sweep")
def sweep_messages() -> dict[str, Any]:
    from .sweep import sweep

    result = sweep()
    return {"yellow": result.yellow, "red": result.red}


periodic("interaction-reply-sweep", "interaction.sweep", SWEEP_EVERY_SECONDS)
