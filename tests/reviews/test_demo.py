"""The demo loader rates cases it completes through the real services, and is idempotent."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from web.portal_data import build_portal_catalog
from yiwang.accounts.demo import load_demo_identities
from yiwang.reviews.demo import load_demo
from yiwang.reviews.models import Review, WorkOrder

pytestmark = pytest.mark.django_db


def test_demo_reviews_load_twice_without_duplicates(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    build_portal_catalog()
    load_demo_identities(stdout=io.StringIO())
    out = io.StringIO()
    load_demo(stdout=out)
    count = Review.objects.count()
    assert count >= 1, out.getvalue()
    assert WorkOrder.objects.exists() or not Review.objects.filter(is_bad=True).exists()
    load_demo(stdout=io.StringIO())
    assert Review.objects.count() == count
