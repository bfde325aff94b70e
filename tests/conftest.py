"""Shared test set-up. Tests use the real database (SQLite by default, PostgreSQL when DATABASE_URL is set)."""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # CI sets YIWANG_REQUIRE_SERVICES on the PostgreSQL + Redis pass: refuse to run silently on SQLite.
    if os.environ.get("YIWANG_REQUIRE_SERVICES"):
        assert os.environ.get("DATABASE_URL", "").startswith("postgres"), "DATABASE_URL must point at PostgreSQL"
        assert os.environ.get("REDIS_URL", "").startswith("redis"), "REDIS_URL must point at Redis"
