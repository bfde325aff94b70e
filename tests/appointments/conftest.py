"""Appointment tests need the working-day calendar (slots are opened on working days), an SMS outbox file
and fast password hashing."""

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
    # Argon2 costs ~0.2 s a hash and case tests create many accounts; hashing is not what they test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
