"""Fixtures for the public API tests: a fresh cache namespace per test and published catalogue data."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from api.helpers import publish
from catalog.factories import make_guide
from yiwang.catalog.models import GuideVersion


@pytest.fixture(autouse=True)
def fresh_cache(settings: Any) -> Iterator[None]:
    """Each test gets its own cache namespace (Redis when REDIS_URL is set, else local memory).

    Test databases roll back and reuse ids, so a snapshot cached by guide id in one test must never be
    seen by the next; a unique prefix isolates them without flushing anyone else's keys.
    """
    prefix = f"api-test-{uuid.uuid4().hex}"
    redis_url = os.environ.get("REDIS_URL", "").strip()
    if redis_url:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": prefix,
            }
        }
    else:
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": prefix}
        }
    settings.YIWANG_PUBLIC_API_RATE = 10_000
    yield
    if redis_url:
        client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture
def published(db: None) -> GuideVersion:
    """One complete, published 行政许可 guide (score 100)."""
    return publish(make_guide())
