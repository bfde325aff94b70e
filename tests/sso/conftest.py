"""SSO tests share the identity tests' isolation: own cache namespace and SMS outbox per test."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_identity_state(settings: object, tmp_path: Path) -> None:
    caches = {"default": dict(settings.CACHES["default"])}  # type: ignore[attr-defined]
    caches["default"]["KEY_PREFIX"] = f"sso-test-{uuid.uuid4().hex}"
    if "locmem" in caches["default"]["BACKEND"]:
        caches["default"]["LOCATION"] = caches["default"]["KEY_PREFIX"]
    settings.CACHES = caches  # type: ignore[attr-defined]
    # Argon2 costs ~0.2 s a hash; identity tests create many accounts. test_accounts_registration checks
    # that real registrations are hashed with Argon2 (the production setting).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
    settings.YIWANG_SMS_GATEWAY = "file"  # type: ignore[attr-defined]
    settings.YIWANG_SMS_OUTBOX = str(tmp_path / "sms-outbox.log")  # type: ignore[attr-defined]
