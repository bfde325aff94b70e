"""Interaction tests need the working-day calendar (2025–2027), a file SMS gateway and cheap password hashing."""

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
def sms_outbox(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "sms.log"
    settings.YIWANG_SMS_OUTBOX = str(path)
    settings.YIWANG_SMS_GATEWAY = "file"
    return path


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
