"""The portal crawler against two locally served portals: a differently built one (its own profile) and
this platform's own portal on the live server; politeness and hostile responses handled without hanging."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from pathlib import Path

import pytest

from assessment.assessment_portal import PROFILE, serve_portal
from yiwang.assessment.crawler import (
    YIWANG_PROFILE,
    Fetcher,
    Page,
    Politeness,
    PortalCrawler,
    links,
    run_coroutine,
)

FAST = Politeness(
    min_interval=0.0, timeout=2.0, retries=2, backoff=0.05, max_bytes=1_000_000, max_redirects=4
)


def _fetch(url: str, politeness: Politeness = FAST) -> tuple[Page, Fetcher]:
    async def go() -> tuple[Page, Fetcher]:
        fetcher = Fetcher(politeness)
        try:
            return await fetcher.get(url), fetcher
        finally:
            await fetcher.aclose()

    return run_coroutine(go())


def test_second_portal_measured_with_its_own_profile() -> None:
    with serve_portal() as portal:
        leaves = PortalCrawler(portal.url, PROFILE, politeness=FAST).run_sync(
            ["A1.1", "A1.2", "A1.3", "A1.5", "A2.2", "A3.2", "B1.1", "B1.2", "B2.2", "B2.3", "C4.3"]
        )
    assert leaves["A1.1"]["raw"] == "1.000000" and leaves["A1.1"]["evidence"]["entry"].endswith("/hall/")
    assert leaves["A1.2"]["raw"] == "1.000000" and leaves["A1.2"]["evidence"]["probes"] == 5
    assert Decimal(leaves["A1.3"]["raw"]) < 2
    broken = {f["url"].rsplit("/", 1)[-1]: f["problem"] for f in leaves["A1.5"]["evidence"]["failed"]}
    assert broken == {"broken": "HTTP 500", "soft404": "软404（返回200但内容为“未找到”）"}
    # 2 of the 3 queries find their item in the top 5
    assert leaves["A2.2"]["raw"] == str((Decimal(2) / Decimal(3)).quantize(Decimal("0.000001")))
    assert leaves["A3.2"]["raw"] == "100.000000"
    assert (leaves["B1.1"]["raw"], leaves["B1.2"]["raw"]) == ("1.000000", "0.000000")
    assert leaves["B1.2"]["evidence"]["latest_date"] == "2019-01-01"
    assert leaves["B2.2"]["raw"] == "1.000000" and leaves["B2.2"]["evidence"]["total"] == 3
    assert leaves["B2.3"]["raw"] == "1.000000"
    # two PDFs pass the magic-byte check; the .doc that is really HTML does not
    forms = leaves["C4.3"]
    assert forms["raw"] == str((Decimal(2) / Decimal(3)).quantize(Decimal("0.000001")))
    assert forms["evidence"]["failed"][0]["problem"].startswith("文件头不是有效文档")
    # robots.txt disallows /private/: never requested
    assert not any(path.startswith("/private/") for path in portal.log)


def test_discovery_fetches_each_guide_once_in_list_order_and_parses_each_page_once() -> None:
    from yiwang.assessment.crawler import CrawlState

    with serve_portal() as portal:
        crawler = PortalCrawler(portal.url, PROFILE, politeness=FAST)

        async def go() -> CrawlState:
            fetcher = Fetcher(crawler.politeness)
            state = CrawlState(crawler.base, PROFILE)
            try:
                await crawler.discover(fetcher, state)
            finally:
                await fetcher.aclose()
            return state

        state = run_coroutine(go())
    assert [g.rsplit("/", 1)[-1] for g in state.guides] == ["1001.html", "1002.html", "1003.html"]
    assert all(state.pages[g].ok for g in state.guides)
    assert [portal.hits[f"/matter/{i}.html"] for i in ("1001", "1002", "1003")] == [1, 1, 1]
    assert portal.hits["/list"] == 2
    page = state.pages[state.guides[0]]
    assert page.tree() is page.tree()  # probes share one parse of a page


def test_robots_disallow_is_respected() -> None:
    with serve_portal() as portal:
        page, _ = _fetch(portal.url + "private/secret")
    assert page.disallowed and page.error == "robots.txt 禁止抓取"
    assert "/private/secret" not in portal.log


def test_slow_loops_and_enormous_responses_do_not_hang() -> None:
    with serve_portal() as portal:
        started = time.monotonic()
        slow, _ = _fetch(portal.url + "slow")
        assert slow.error.startswith("超时") and time.monotonic() - started < 4
        loop, _ = _fetch(portal.url + "loop1")
        assert loop.error.startswith("重定向循环")
        huge, _ = _fetch(portal.url + "huge")
        assert huge.too_large and len(huge.body) <= FAST.max_bytes
        flaky, _fetcher = _fetch(portal.url + "flaky")
        assert flaky.status == 200 and portal.hits["/flaky"] == 3  # two 503s retried with backoff
        gone, _ = _fetch("http://127.0.0.1:9/")  # nothing listens on the discard port
        assert gone.status is None and gone.error


def test_malformed_html_still_yields_links() -> None:
    with serve_portal() as portal:
        page, _ = _fetch(portal.url + "malformed")
    found = links(page.tree(), page.final_url)
    assert [url.rsplit("/", 1)[-1] for url, _ in found] == ["1001.html", "broken"]
    assert found[0][1] == "居民"


def test_per_host_pacing_spaces_requests() -> None:
    paced = Politeness(min_interval=0.2, timeout=2.0, retries=0)

    async def go(base: str) -> float:
        fetcher = Fetcher(paced)
        started = time.monotonic()
        await asyncio.gather(*(fetcher.get(base + f"matter/100{i}.html") for i in (1, 2, 3)))
        await fetcher.aclose()
        return time.monotonic() - started

    with serve_portal() as portal:
        elapsed = run_coroutine(go(portal.url))
    assert elapsed >= 0.6  # robots.txt + 3 pages, 0.2 s apart


def test_unknown_portal_address_is_refused() -> None:
    with pytest.raises(ValueError, match="门户网址“ftp://x”无效"):
        PortalCrawler("ftp://x")


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="需要 /usr/bin/chromium")
def test_accessibility_with_axe_on_a_sample() -> None:
    with serve_portal() as portal:
        leaves = PortalCrawler(portal.url, {**PROFILE, "axe_pages": 2}, politeness=FAST).run_sync(["A1.4"])
    entry = leaves["A1.4"]
    assert entry["raw"] is not None, entry["reason"]
    assert entry["evidence"]["pages"] == 2


@pytest.mark.django_db(transaction=True)
def test_this_platforms_own_portal_on_the_live_server(live_server: object, settings: object) -> None:
    from web.portal_data import build_portal_catalog, index_for_search

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
    data = build_portal_catalog()
    index_for_search()
    crawler = PortalCrawler(live_server.url + "/", YIWANG_PROFILE, politeness=FAST, platform_prefix="33")  # type: ignore[attr-defined]
    leaves = crawler.run_sync(["A1.2", "A2.2", "B2.2", "B2.3", "C3.4", "C4.3"])
    assert leaves["A1.2"]["raw"] == "1.000000"
    assert leaves["B2.2"]["evidence"]["total"] == 3  # the three published items, not the withdrawn one
    assert leaves["B2.2"]["raw"] == "1.000000"
    assert leaves["B2.3"]["raw"] == "1.000000"
    # guide pages agree with the platform's own published data
    assert leaves["C3.4"]["raw"] == "1.000000", leaves["C3.4"]["evidence"]
    assert leaves["C4.3"]["raw"] == "1.000000", leaves["C4.3"]["evidence"]
    assert leaves["A2.2"]["evidence"]["total"] == 3
    assert Decimal(leaves["A2.2"]["raw"]) > 0
    assert data.permit.implementation_code
