"""Periodic job of the open-data app (Celery beat); the same work is `yiwang opendata refresh`."""

from __future__ import annotations

import os

from yiwang.core.tasks import periodic, task

REFRESH_EVERY_SECONDS = float(os.environ.get("YIWANG_OPENDATA_REFRESH_SECONDS", "86400"))


@task(name="opendata.refresh_system_datasets")
def refresh_system_datasets() -> dict[str, str]:
    from .system import refresh

    return refresh()


periodic("opendata-refresh", "opendata.refresh_system_datasets", REFRESH_EVERY_SECONDS)
