"""Small HTML readers for portal tests (standard library only)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)


class _InterfaceText(HTMLParser):
    """Collects text that is NOT inside an element marked as Chinese content (lang="zh…")."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.texts: list[str] = []
        self.in_skip = 0

    def _chinese(self) -> bool:
        return any(chinese for _tag, chinese in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        lang = dict(attrs).get("lang") or ""
        self.stack.append((tag, lang.lower().startswith("zh")))
        if tag in ("script", "style", "title"):
            self.in_skip += 1

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            open_tag, _chinese = self.stack.pop()
            if open_tag in ("script", "style", "title"):
                self.in_skip -= 1
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.in_skip and not self._chinese() and data.strip():
            self.texts.append(data.strip())


def interface_text(html: str) -> list[str]:
    """Every text of the page outside content marked lang="zh…" (what the chosen language must cover)."""
    parser = _InterfaceText()
    body = html.split("<body", 1)[-1]
    parser.feed(body)
    return parser.texts


def untranslated(html: str) -> list[str]:
    """Interface texts that still contain Chinese characters."""
    return [text for text in interface_text(html) if CJK.search(text)]


def html_lang(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', html)
    return match.group(1) if match else ""


def result_links(html: str) -> list[str]:
    """The item codes linked from a result list, in order."""
    block = re.search(r'<ol class="results".*?</ol>', html, re.S)
    return re.findall(r'href="/items/([^"/]+)"', block.group(0)) if block else []


def count_line(html: str) -> int | None:
    match = re.search(r'<p class="count" role="status">\D*(\d+)', html)
    return int(match.group(1)) if match else None
