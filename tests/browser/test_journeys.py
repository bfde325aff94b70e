"""What a person does on the portal, in a real browser (Debian's Chromium through Playwright)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from browser.helpers import BROWSER

pytestmark = BROWSER


def result_names(page: Any) -> list[str]:
    return [name.strip() for name in page.locator("ol.results h2 a").all_inner_texts()]


def shown_count(page: Any) -> int:
    return int(re.search(r"\d+", page.locator("p.count").inner_text()).group(0))  # type: ignore[union-attr]


def search_from_home(page: Any, words: str) -> None:
    page.goto("/")
    page.get_by_label("搜索办事事项、材料或部门").fill(words)
    page.get_by_role("button", name="搜索", exact=True).click()
    page.wait_for_url(re.compile(r"/search\?q="))


def test_search_in_traditional_chinese_finds_the_item(page: Any, portal: Any) -> None:
    search_from_home(page, "身份證")
    assert result_names(page)[0] == "居民身份证换领"
    assert page.locator("ol.results mark").first.inner_text() in {"身份证", "居民身份证"}


def test_search_in_pinyin_and_initials_finds_the_item(page: Any, portal: Any) -> None:
    for words in ("shenfenzheng", "sfz"):
        search_from_home(page, words)
        assert result_names(page)[0] == "居民身份证换领", words
        assert shown_count(page) == len(result_names(page))


def test_filters_narrow_the_results(page: Any, portal: Any) -> None:
    page.goto("/items")
    everything = shown_count(page)
    assert everything == 3 == len(result_names(page))
    page.get_by_text("筛选条件").click()
    page.get_by_label("面向对象").select_option("person")
    page.get_by_role("button", name="筛选", exact=True).click()
    page.wait_for_url(re.compile(r"audience=person"))
    assert shown_count(page) == 2 == len(result_names(page))
    assert set(result_names(page)) == {"居民身份证换领", "公共图书馆读者证办理"}
    page.get_by_label("只看全程网办（不用跑现场）").check()
    page.get_by_role("button", name="筛选", exact=True).click()
    page.wait_for_url(re.compile(r"fully_online=1"))
    assert result_names(page) == ["公共图书馆读者证办理"] and shown_count(page) == 1
    page.get_by_role("link", name="清除筛选").click()
    page.wait_for_url(lambda url: "audience" not in url and "fully_online" not in url)
    assert shown_count(page) == everything


def test_guide_page_shows_every_element(page: Any, portal: Any) -> None:
    page.goto(f"/items/{portal.permit.implementation_code}")
    for heading in (
        "基本信息", "设定依据", "受理条件", "申请材料", "办理流程", "特别程序", "收费",
        "办理时限", "办理方式", "办理地点和时间", "咨询和监督", "办理结果", "常见问题",
    ):  # fmt: skip
        expect(page.get_by_role("heading", name=heading, exact=True), heading).to_be_visible()
    materials = page.locator("#materials tbody tr")
    assert materials.count() == 3
    expect(page.locator("#process figure svg")).to_be_visible()
    expect(page.get_by_role("link", name="空白表格")).to_be_visible()
    expect(page.get_by_role("link", name="在线办理")).to_be_visible()
    expect(page.locator("#limits").get_by_text("20 个工作日")).to_be_visible()
    # The table of contents jumps to each section.
    page.locator("nav.toc").get_by_role("link", name="常见问题").click()
    assert page.url.endswith("#faq")


def test_language_switch(page: Any, portal: Any) -> None:
    page.goto(f"/items/{portal.permit.implementation_code}")
    page.get_by_role("button", name="English").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    expect(page.get_by_role("heading", name="Documents you need")).to_be_visible()
    assert page.locator("h1").inner_text() == "建筑工程施工许可证核发"  # content stays Chinese
    with page.expect_navigation():
        page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Home").click()
    page.wait_for_function("document.documentElement && document.documentElement.lang === 'en'")  # remembered
    expect(page.get_by_role("heading", name="What do you need to do?")).to_be_visible()
    page.get_by_role("button", name="繁體").click()
    page.wait_for_function("document.documentElement.lang === 'zh-Hant'")
    assert "一網·浙江政務服務網" in page.locator(".brand").inner_text()
    page.get_by_role("button", name="简体").click()
    page.wait_for_function("document.documentElement.lang === 'zh-Hans'")


def test_elderly_mode_persists_across_pages(page: Any, portal: Any) -> None:
    page.goto("/")
    toggle = page.get_by_role("button", name="适老模式")
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    page.wait_for_selector("html.elderly")
    for url in ("/items", f"/items/{portal.id_card.implementation_code}", "/bundles"):
        page.goto(url)
        assert page.evaluate("document.documentElement.classList.contains('elderly')"), url
        body_px = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert body_px >= 20, url
        assert page.evaluate("getComputedStyle(document.body).color") == "rgb(0, 0, 0)"
        assert page.get_by_role("button", name="适老模式").get_attribute("aria-pressed") == "true"
    page.goto("/")
    assert not page.get_by_role("heading", name="热门事项").is_visible()  # non-essential content hidden
    page.get_by_role("button", name="适老模式").click()
    page.wait_for_function("!document.documentElement.classList.contains('elderly')")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") == 16


def test_region_switch_filters_lists_and_is_remembered(page: Any, portal: Any) -> None:
    page.goto("/")
    page.get_by_label("地区", exact=True).select_option("330106")
    page.get_by_role("button", name="切换地区").click()
    expect(page.locator(".region-now a")).to_have_text("西湖区")
    page.goto("/items")
    assert result_names(page) == ["居民身份证换领"]


def test_portal_works_without_javascript(portal: Any, browser: Any, live_server: Any) -> None:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto("/")
        page.get_by_label("搜索办事事项、材料或部门").fill("施工")
        page.get_by_role("button", name="搜索", exact=True).click()
        expect(page.locator("ol.results h2 a").first).to_have_text("建筑工程施工许可证核发")
        page.get_by_role("link", name="建筑工程施工许可证核发").click()
        expect(page.get_by_role("heading", name="申请材料")).to_be_visible()
        page.get_by_role("button", name="适老模式").click()
        expect(page.locator("html")).to_have_class(re.compile(r"\belderly\b"))
    finally:
        context.close()
        from live_requests import REQUESTS_IN_FLIGHT

        REQUESTS_IN_FLIGHT.wait_idle()
