"""Shared pieces of the browser tests: their marks and the axe-core accessibility scan."""

from __future__ import annotations

from typing import Any

import pytest

BROWSER = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

BLOCKING_IMPACTS = frozenset({"serious", "critical"})


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical WCAG 2.x A/AA violations on the page, as axe-core reports them."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "runOnly": {
                "type": "tag",
                "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
            },
            "resultTypes": ["violations"],
        },
    )
    violations = results.response.get("violations", [])
    return [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]


def enhanced_contrast_violations(page: Any) -> list[dict[str, Any]]:
    """WCAG 1.4.6 (AAA, contrast ≥ 7:1): what elderly mode promises."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "rule", "values": ["color-contrast-enhanced"]},
            "resultTypes": ["violations"],
        },
    )
    return list(results.response.get("violations", []))


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        targets = [", ".join(node.get("target", [])) for node in violation.get("nodes", [])[:5]]
        lines.append(f"{violation['impact']} {violation['id']}: {violation['help']} → {targets}")
    return "\n".join(lines)
