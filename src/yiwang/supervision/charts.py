"""Server-rendered inline SVG charts, readable in grey scale and without colour.

Series differ by line pattern and marker shape (solid + circles, dashed + squares, dotted + triangles), bars
carry their value as text, so nothing depends on telling colours apart. Each chart is an image with a
title and a description; its numbers are always also in a table next to it (docs/ui.md).
No third-party chart code: the shapes are a few lines of arithmetic.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_ids = itertools.count(1)
INK = "#1a1a1a"
PRIMARY = "#0b4a8b"
GRID = "#b8c2cc"
STYLES = (  # (dash pattern, marker)
    ("", "circle"),
    ("8 5", "square"),
    ("2 4", "triangle"),
)


def _number(value: float | int | Decimal | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float | Decimal) and value != int(value):
        return f"{value:.1f}"
    return str(int(value))


def _open(title: str, description: str, width: int, height: int) -> tuple[str, str]:
    n = next(_ids)
    head = (
        f'<svg class="sv-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="svt{n} svd{n}" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="inherit" font-size="14">'
        f'<title id="svt{n}">{escape(title)}</title><desc id="svd{n}">{escape(description)}</desc>'
    )
    return head, "</svg>"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover


def bars(
    title: str, description: str, items: Sequence[tuple[str, float | int | Decimal | None]], unit: str = ""
) -> SafeString:
    """Horizontal bars, one per item, each labelled with its value."""
    row, label_width, width = 30, 200, 640
    height = max(1, len(items)) * row + 10
    head, tail = _open(title, description, width, height)
    top = max([float(v or 0) for _label, v in items] + [0]) or 1
    plot = width - label_width - 80
    parts = [head]
    for index, (label, value) in enumerate(items):
        y = 5 + index * row
        length = 0 if not value else max(2.0, plot * float(value) / top)
        short = label if len(label) <= 13 else label[:12] + "…"
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 19}" text-anchor="end" fill="{INK}">{escape(short)}</text>'
            f'<rect x="{label_width}" y="{y + 5}" width="{length:.1f}" height="{row - 10}" fill="{PRIMARY}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 19}" fill="{INK}">{escape(_number(value))}{escape(unit)}</text>'
        )
    parts.append(tail)
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def _marker(kind: str, x: float, y: float) -> str:
    if kind == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{INK}"/>'
    if kind == "triangle":
        return f'<path d="M{x:.1f} {y - 5:.1f} L{x + 5:.1f} {y + 4:.1f} L{x - 5:.1f} {y + 4:.1f} Z" fill="{INK}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{INK}"/>'


def lines(
    title: str, description: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[int | float]]]
) -> SafeString:
    """A line chart with up to three series told apart by pattern and marker, with a legend."""
    width, height, left, right, top, bottom = 640, 300, 48, 16, 40, 40
    head, tail = _open(title, description, width, height)
    highest = _nice_max(max([float(v) for _n, values in series for v in values] + [0]))
    plot_w, plot_h = width - left - right, height - top - bottom
    count = max(1, len(labels))

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / count)

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / highest

    parts = [head]
    for tick in range(5):
        value = highest * tick / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y(value) + 5:.1f}" text-anchor="end" fill="{INK}">{_number(value)}</text>'
        )
    step = max(1, -(-count // 8))
    for i, label in enumerate(labels):
        if i % step == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - 14}" text-anchor="middle" fill="{INK}">{escape(label)}</text>'
            )
    for index, (name, values) in enumerate(series[: len(STYLES)]):
        dash, marker = STYLES[index]
        points = " ".join(f"{x(i):.1f},{y(float(v)):.1f}" for i, v in enumerate(values))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<polyline points="{points}" fill="none" stroke="{INK}" stroke-width="2"{dash_attr}/>')
        if count <= 40:
            parts.extend(_marker(marker, x(i), y(float(v))) for i, v in enumerate(values))
        lx = left + index * 170
        parts.append(
            f'<line x1="{lx}" x2="{lx + 30}" y1="16" y2="16" stroke="{INK}" stroke-width="2"{dash_attr}/>'
            f"{_marker(marker, lx + 15, 16)}"
            f'<text x="{lx + 38}" y="21" fill="{INK}">{escape(name)}</text>'
        )
    parts.append(tail)
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def shade(rate: Decimal | None) -> int:
    """Tile shade class 0–4 from an on-time rate: the lower the rate, the darker the tile."""
    if rate is None:
        return 0
    for level, threshold in enumerate((Decimal(99), Decimal(95), Decimal(90), Decimal(80))):
        if rate >= threshold:
            return level
    return 4
