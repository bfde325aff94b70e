"""The demo loader fills the knowledge base and answers consultations, and is idempotent."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from web.portal_data import build_portal_catalog
from yiwang.accounts.demo import load_demo_identities
from yiwang.interaction.demo import load_demo
from yiwang.interaction.models import FaqEntry, Message

pytestmark = pytest.mark.django_db


def test_demo_interaction_loads_twice_without_duplicates(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    build_portal_catalog()
    load_demo_identities(stdout=io.StringIO())
    load_demo(stdout=io.StringIO())
    assert Message.objects.filter(published_at__isnull=False).count() == 3
    entries = FaqEntry.objects.filter(is_active=True).count()
    assert entries >= 6  # guide FAQs, manual entries, published consultations
    load_demo(stdout=io.StringIO())
    assert Message.objects.count() == 5 and FaqEntry.objects.filter(is_active=True).count() == entries
