"""The task interface: one Celery 5 app, configured from the environment the settings module also reads.

- REDIS_URL set: Redis is the broker; workers run `celery -A yiwang.core.tasks worker`, periodic jobs run
  under `celery -A yiwang.core.tasks beat`.
- REDIS_URL unset (the embedded default): tasks run eagerly in the calling process (task_always_eager),
  so nothing needs a worker; periodic jobs are also management commands, run them from cron.
- YIWANG_TASKS_EAGER=1/0 overrides the choice (tests on the PostgreSQL + Redis pass keep tasks eager).

Apps declare tasks with `@task` in their own `tasks.py` (found by autodiscovery) and periodic jobs with
`periodic(name, task_name, every_seconds)`.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")


def _eager() -> bool:
    explicit = os.environ.get("YIWANG_TASKS_EAGER")
    if explicit is not None:
        return explicit.strip().lower() in {"1", "true", "yes", "on"}
    return not os.environ.get("REDIS_URL", "").strip()


def _configure(celery_app: Celery) -> None:
    redis_url = os.environ.get("REDIS_URL", "").strip()
    celery_app.conf.update(
        broker_url=redis_url or "memory://",
        result_backend=None,
        task_always_eager=_eager(),
        task_eager_propagates=True,
        task_ignore_result=True,
        timezone=os.environ.get("TZ_CELERY", "Asia/Shanghai"),
        enable_utc=True,
        broker_connection_retry_on_startup=True,
        beat_schedule={},
    )


app = Celery("yiwang")
_configure(app)
# Finds `<app>/tasks.py` of every installed Django app once Django is set up (worker, beat).
app.autodiscover_tasks()


def task(*args: Any, **kwargs: Any) -> Any:
    """Declare a task: `@task(name="cases.sweep")` over a plain function."""
    return app.task(*args, **kwargs)


def periodic(name: str, task_name: str, every_seconds: float, **options: Any) -> None:
    """Register a periodic job for Celery beat (idempotent: the same name replaces the entry)."""
    app.conf.beat_schedule[name] = {"task": task_name, "schedule": every_seconds, **options}


def run_after_commit(func: Any, *args: Any, **kwargs: Any) -> None:
    """Enqueue a task once the current transaction commits (it runs at once there when eager)."""
    transaction.on_commit(lambda: func.delay(*args, **kwargs))
