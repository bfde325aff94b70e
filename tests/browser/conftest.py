"""Browser tests: Playwright for Python driving Debian's Chromium against pytest-django's live server.

Never downloads a browser: without /usr/bin/chromium every browser test is skipped with the reason.
Mark each module with ``pytestmark = BROWSER`` (from browser.helpers) so the tests share one xdist worker
(``--dist loadgroup``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("浏览器测试需要 Debian 的 chromium（/usr/bin/chromium）：apt-get install chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls of the test body
    # are still plain synchronous calls, so Django's async-safety guard must stand aside while it runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


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
