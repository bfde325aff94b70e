"""Shared test set-up. Tests use the real database (SQLite by default, PostgreSQL when DATABASE_URL is set)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


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
    from live_requests import REQUESTS_IN_FLIGHT

    REQUESTS_IN_FLIGHT.connect()


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
def _fresh_catalogue_generation() -> None:
    """Catalogue answers and counts are cached under the catalogue change marker, which a test's rolled-back
    publications leave where it was: every test starts with an empty API read cache and a namespace of
    its own for the counts (`readcache.reset`)."""
    from yiwang.catalog import readcache

    readcache.reset()


@pytest.fixture(autouse=True)
def _fresh_exchange_source_names() -> None:
    """The connected resources' source names are cached until a resource is saved; a test's resources are
    rolled back without a signal, so every test reads them afresh."""
    from yiwang.exchange.selectors import forget_source_names

    forget_source_names()


@pytest.fixture(autouse=True)
def _fresh_calendar_cache() -> None:
    """The working-day calendar caches holiday rows per process; a test's rolled-back rows must not leak."""
    from yiwang.core.workdays import clear_cache

    clear_cache()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("浏览器测试需要 Debian 的 chromium（/usr/bin/chromium）：apt-get install chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls of the test body
    # are still plain synchronous calls, so Django's async-safety guard must stand aside while it runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
