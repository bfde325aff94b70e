"""Periodic jobs of the licences app (Celery beat); the same work is `yiwang licences expire` and
`yiwang licences issue-missing`."""

from __future__ import annotations

import os
from typing import Any

from yiwang.core.tasks import periodic, task

EXPIRE_EVERY_SECONDS = float(os.environ.get("YIWANG_LICENCE_EXPIRY_SECONDS", "3600"))


@task(name="licences.expire")
def expire_licences() -> dict[str, Any]:
    from .services import expire_due

    return {"expired": expire_due()}


@task(name="licences.issue_missing")
def issue_missing_licences() -> dict[str, Any]:
    from .services import issue_missing

    return {"issued": issue_missing()}


periodic("licences-expiry", "licences.expire", EXPIRE_EVERY_SECONDS)
periodic("licences-issue-missing", "licences.issue_missing", EXPIRE_EVERY_SECONDS)
