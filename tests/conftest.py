"""Shared test set-up. Tests use the real database (SQLite by default, PostgreSQL when DATABASE_URL is set)."""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # CI sets YIWANG_REQUIRE_SERVICES on the PostgreSQL + Redis pass: refuse to run silently on SQLite.
    if os.environ.get("YIWANG_REQUIRE_SERVICES"):
        assert os.environ.get("DATABASE_URL", "").startswith("postgres"), (
            "DATABASE_URL must point at PostgreSQL"
        )
        assert os.environ.get("REDIS_URL", "").startswith("redis"), "REDIS_URL must point at Redis"
    # No Celery worker runs during tests: tasks run inline on both passes (with REDIS_URL they would
    # otherwise be queued in Redis and never run, and their effects silently untested).
    os.environ.setdefault("YIWANG_TASKS_EAGER", "1")


@pytest.fixture(autouse=True, scope="session")
def _tasks_run_inline() -> None:
    from yiwang.core.tasks import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True)
def _isolated_media_root(settings: object, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Uploaded files in tests go to a temporary folder, never into the developer's data/ folder."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _force_login_completes_second_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    """`client.force_login(staff)` stands for a complete staff sign-in, second factor (TOTP) included.

    Real sign-ins prove TOTP on /account/signin/ (tests/accounts); tests that need a session without it
    remove the flag: `session = client.session; del session[SESSION_FLAG]; session.save()`."""
    from django.test import Client

    from yiwang.accounts.totp import SESSION_FLAG

    original = Client._login

    def login_with_second_factor(self: Client, user: object, backend: str | None = None) -> None:
        original(self, user, backend)
        session = self.session
        session[SESSION_FLAG] = "test"
        session.save()

    monkeypatch.setattr(Client, "_login", login_with_second_factor)


@pytest.fixture(autouse=True)
def _fresh_calendar_cache() -> None:
    """The working-day calendar caches holiday rows per process; a test's rolled-back rows must not leak."""
    from yiwang.core.workdays import clear_cache

    clear_cache()
