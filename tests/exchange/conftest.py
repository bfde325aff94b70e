"""Exchange tests: the working-day calendar (cases need it), fast hashing, an own cache prefix."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from yiwang.core import calendar_data, workdays


@pytest.fixture(autouse=True)
def calendar(db: None) -> None:
    calendar_data.seed_calendar([2025, 2026, 2027])
    workdays.clear_cache()


@pytest.fixture(autouse=True)
def exchange_settings(settings: Any, tmp_path: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.YIWANG_SMS_OUTBOX = str(tmp_path / "sms.log")
    settings.YIWANG_SMS_GATEWAY = "file"
    caches = {"default": dict(settings.CACHES["default"])}
    caches["default"]["KEY_PREFIX"] = f"exchange-test-{uuid.uuid4().hex}"
    if "locmem" in caches["default"]["BACKEND"]:
        caches["default"]["LOCATION"] = caches["default"]["KEY_PREFIX"]
    settings.CACHES = caches
