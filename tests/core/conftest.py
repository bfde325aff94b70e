"""Fixtures for the core registries' tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from yiwang.core import calendar_data, services, workdays


@pytest.fixture(autouse=True)
def fresh_calendar_cache() -> Iterator[None]:
    # The working-day cache is per process; a test's rolled-back rows must not leak into the next test.
    workdays.clear_cache()
    yield
    workdays.clear_cache()


@pytest.fixture
def regions(db: None) -> int:
    return services.load_regions()


@pytest.fixture
def official_calendar(db: None) -> list[calendar_data.SeedOutcome]:
    return calendar_data.seed_calendar(range(2023, 2027))
