"""Periodic jobs of the appointments app (Celery beat); the same work is `yiwang appointments no-shows`."""

from __future__ import annotations

import os

from yiwang.core.tasks import periodic, task

NO_SHOW_EVERY_SECONDS = float(os.environ.get("YIWANG_APPOINTMENT_NO_SHOW_SECONDS", "900"))


@task(name="appointments.mark_no_shows")
def mark_no_shows() -> int:
    from .services import mark_no_shows as mark

    return mark()


periodic("appointments-no-shows", "appointments.mark_no_shows", NO_SHOW_EVERY_SECONDS)
