"""Every page type in the browser: status, heading, no CSP or script errors; axe-core scans; screenshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from browser.helpers import BROWSER, axe_violations, describe, enhanced_contrast_violations

pytestmark = BROWSER


def page_types(portal: Any) -> dict[str, tuple[str, int, str]]:
    permit = portal.permit.implementation_code
    return {
        "home": ("/", 200, "我要办事"),
        "list": ("/items?audience=person", 200, "个人办事"),
        "results": ("/search?q=身份证", 200, "搜索办事事项"),
        "guide": (f"/items/{permit}", 200, "建筑工程施工许可证核发"),
        "print": (f"/items/{permit}/print", 200, "建筑工程施工许可证核发"),
        "power list": ("/power-list", 200, "权力清单"),
        "power item": (f"/power-list/{permit}", 200, "建筑工程施工许可证核发"),
        "bundles": ("/bundles", 200, "一件事一次办"),
        "bundle": (f"/bundles/{portal.bundle.code}", 200, "新建住宅开工一件事"),
        "apply": (f"/apply/{permit}", 200, "建筑工程施工许可证核发"),
        "not found": ("/items/unknown-code", 404, "页面不存在"),
        "gone": (f"/items/{portal.withdrawn.implementation_code}", 410, "该事项已取消"),
        "bad request": ("/items?page=abc", 400, "请求有误"),
    }


def test_every_page_type_renders_without_errors(page: Any, portal: Any) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )
    for name, (url, status, heading) in page_types(portal).items():
        response = page.goto(url)
        assert response.status == status, name
        assert page.locator("h1").first.inner_text().strip() == heading, name
        assert page.locator("main#main").count() == 1, name
        assert page.evaluate("document.documentElement.lang") == "zh-Hans", name
    assert problems == []  # a CSP violation or script error shows up here


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}])
def test_axe_finds_no_serious_or_critical_violation(
    new_page: Any, portal: Any, viewport: dict[str, int]
) -> None:
    page = new_page(viewport=viewport)
    for url in ("/", "/search?q=身份证", f"/items/{portal.permit.implementation_code}"):
        page.goto(url)
        violations = axe_violations(page)
        assert violations == [], f"{url}\n{describe(violations)}"


def test_axe_in_elderly_mode_and_english(new_page: Any, portal: Any) -> None:
    page = new_page()
    page.goto("/")
    page.get_by_role("button", name="适老模式").click()
    page.get_by_role("button", name="English").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    code = portal.id_card.implementation_code
    for url in (
        "/",
        "/search?q=shenfenzheng",
        f"/items/{code}",
        "/power-list",
        f"/bundles/{portal.bundle.code}",
    ):
        page.goto(url)
        assert page.evaluate("document.documentElement.classList.contains('elderly')")
        violations = axe_violations(page) + enhanced_contrast_violations(page)
        assert violations == [], f"{url}\n{describe(violations)}"


def test_touch_targets_and_text_size_on_a_phone(page: Any, portal: Any) -> None:
    page.goto(f"/items/{portal.permit.implementation_code}")
    small = page.evaluate(
        """() => [...document.querySelectorAll('button, .button, .chip, select, input:not([type=hidden]), .main-nav a')]
            .filter(el => el.offsetParent !== null)
            .map(el => [el.textContent.trim() || el.name, el.getBoundingClientRect().height])
            .filter(([, height]) => height < 44)"""
    )
    assert small == []
    tiny_text = page.evaluate(
        """() => [...document.querySelectorAll('main *, header *, footer *')]
            .filter(el => el.childNodes.length && [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
            .filter(el => parseFloat(getComputedStyle(el).fontSize) < 16)
            .map(el => el.tagName + ': ' + el.textContent.trim().slice(0, 20))"""
    )
    assert tiny_text == []


def test_screenshots_of_home_and_guide(new_page: Any, portal: Any, artifacts: Path) -> None:
    desktop = new_page(viewport={"width": 1280, "height": 900})
    desktop.goto("/")
    desktop.screenshot(path=str(artifacts / "home.png"), full_page=True)
    desktop.goto(f"/items/{portal.permit.implementation_code}")
    desktop.screenshot(path=str(artifacts / "guide.png"), full_page=True)
    phone = new_page()
    phone.goto(f"/items/{portal.id_card.implementation_code}")
    phone.screenshot(path=str(artifacts / "guide-phone.png"), full_page=True)
    assert (artifacts / "home.png").stat().st_size > 10_000
