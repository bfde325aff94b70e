"""Supervision tests need the working-day calendar (2025–2027) and quick password hashing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from yiwang.core import calendar_data, workdays


@pytest.fixture(autouse=True)
def calendar(db: None) -> None:
    calendar_data.seed_calendar([2025, 2026, 2027])
    workdays.clear_cache()


@pytest.fixture(autouse=True)
def quiet_side_effects(settings: Any, tmp_path: Path) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.YIWANG_SMS_GATEWAY = "file"
    settings.YIWANG_SMS_OUTBOX = str(tmp_path / "sms.log")
    # Tests change cases and read the dashboards at once: no panel cache (test_rollups.py tests it).
    settings.YIWANG_SUPERVISION_CACHE_SECONDS = 0
