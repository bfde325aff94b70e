"""Payment tests reuse the case fixtures: the working-day calendar, the SMS file outbox, fast hashing."""

from __future__ import annotations

import pytest

from yiwang.core import calendar_data, workdays


@pytest.fixture(autouse=True)
def calendar(db: None) -> None:
    calendar_data.seed_calendar([2025, 2026, 2027])
    workdays.clear_cache()


@pytest.fixture(autouse=True)
def sms_outbox(settings: object, tmp_path: object) -> object:
    path = tmp_path / "sms.log"  # type: ignore[operator]
    settings.YIWANG_SMS_OUTBOX = str(path)  # type: ignore[attr-defined]
    settings.YIWANG_SMS_GATEWAY = "file"  # type: ignore[attr-defined]
    return path


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: object) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def eager_tasks() -> object:
    """Run follow-up tasks (the sandbox's notification) inline also on the PostgreSQL + Redis pass, where
    REDIS_URL would otherwise queue them for a worker that tests do not start."""
    from yiwang.core.tasks import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
