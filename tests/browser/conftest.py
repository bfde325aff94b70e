"""Browser tests: Playwright for Python driving Debian's Chromium against pytest-django's live server.

Never downloads a browser: without /usr/bin/chromium every browser test is skipped with the reason.
Mark each module with ``pytestmark = BROWSER`` (from browser.helpers) so the tests share one xdist worker
(``--dist loadgroup``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The session's one Chromium (`browser`) lives in tests/conftest.py: Playwright's sync API cannot run two
# at once in a process, and browser tests outside this folder (federation) use it too.
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def new_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A factory of fresh pages (each in its own context: its own cookies), on the live server."""
    contexts: list[Any] = []

    def make(*, viewport: dict[str, int] | None = None, locale: str = "zh-CN") -> Any:
        context = browser.new_context(base_url=live_server.url, locale=locale, viewport=viewport or PHONE)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
    from live_requests import REQUESTS_IN_FLIGHT

    REQUESTS_IN_FLIGHT.wait_idle()  # the database is flushed next: no request may still be using it


@pytest.fixture
def page(new_page: Any) -> Any:
    return new_page()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def portal(transactional_db: None, live_server: Any) -> Iterator[Any]:
    """The small published catalogue, committed so the live server (another thread) sees it, and indexed."""
    from web.portal_data import build_portal_catalog, index_for_search

    catalog = build_portal_catalog()
    index_for_search()
    yield catalog
    from yiwang.search import vocabulary

    vocabulary.invalidate()
