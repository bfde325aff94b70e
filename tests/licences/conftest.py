"""Licence tests approve cases, which needs the working-day calendar and the SMS outbox (as tests/cases)."""

from __future__ import annotations

from pathlib import Path

import pytest

from yiwang.core import calendar_data, workdays


@pytest.fixture(autouse=True)
def calendar(db: None) -> None:
    calendar_data.seed_calendar([2025, 2026, 2027])
    workdays.clear_cache()


@pytest.fixture(autouse=True)
def sms_outbox(settings: object, tmp_path: Path) -> Path:
    path = tmp_path / "sms.log"
    settings.YIWANG_SMS_OUTBOX = str(path)  # type: ignore[attr-defined]
    settings.YIWANG_SMS_GATEWAY = "file"  # type: ignore[attr-defined]
    return path


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: object) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
