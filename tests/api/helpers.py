"""Helpers shared by the API tests (import as ``from api.helpers import publish``)."""

from __future__ import annotations

from yiwang.catalog import services
from yiwang.catalog.models import GuideVersion


def publish(guide: GuideVersion) -> GuideVersion:
    """Submit and publish a draft through the real life cycle (as the system actor)."""
    return services.publish(services.submit(guide))
