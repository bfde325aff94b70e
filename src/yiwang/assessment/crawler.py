"""The portal crawler: probes a public portal over HTTP, politely, driven by a per-portal profile.

Politeness (`Politeness`): robots.txt honoured (urllib.robotparser; a missing robots.txt allows all; an
unreachable one allows only the single home-page availability probe, per RFC 9309's "assume disallow"),
per-host concurrency and a minimum interval between requests to one host, a total timeout per request
(15 s, the census rule), retries with exponential backoff on transport errors and 5xx, at most N redirects
with loop detection, and a byte limit on every body (the rest is not read).

Profile (JSON, stored on the Subject; `YIWANG_PROFILE` is this platform's own portal). Selectors are CSS,
or XPath when they start with "/" or "(":

    {"start": "/",
     "platform_host": "hall.example.gov.cn",          # A1.1: the home page must link here (default: itself)
     "entry_link": "a.service-hall",                   # optional: the entry link itself
     "item_list": {"url": "/items", "item_link": "h2 > a", "next": "a[rel=next]", "max_pages": 5},
     "guide": {"url_pattern": "^/items/(?P<code>[0-9A-Z]+)$",
               "fields": {"name": "h1", "consultation_phone": "//th[.='咨询电话']/following-sibling::td[1]"}},
     "print_link": "a[href$='/print']",
     "forms": {"link": "a[href*='/materials/']"},
     "search": {"url": "/search?q={q}", "result_link": "h2 > a"},
     "power_list": {"url": "/power-list"}, "service_list": {"url": "/items?type=20"},
     "soft_404": ["没有找到"], "login_markers": ["/account/signin", "请先登录"],
     "queries": ["…"],                                 # A2.2 search terms (default: the platform's most popular items)
     "max_guides": 30, "probes": 20, "probe_interval": 0, "axe_pages": 3}

Each probe returns a leaf entry {"raw", "reason", "evidence"}; the evidence keeps counts, the failing URLs
and samples, viewable from the report.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import re
import statistics
import time
import unicodedata
import urllib.robotparser
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import httpx
from lxml import etree
from lxml import html as lxml_html

from yiwang.assessment.collectors.crawl_probes import PROBES

CENSUS_TIMEOUT = 15.0
T = TypeVar("T")
SAMPLE = 10

YIWANG_PROFILE: dict[str, Any] = {
    "start": "/",
    "item_list": {
        "url": "/items",
        "item_link": "h2 > a[href^='/items/']",
        "next": "a[rel=next]",
        "max_pages": 3,
    },
    "guide": {
        "url_pattern": r"^/items/(?P<code>[0-9A-Za-z]+)$",
        "fields": {
            "name": "h1",
            "consultation_phone": "//th[normalize-space()='咨询电话']/following-sibling::td[1]",
            "supervision_phone": "//th[normalize-space()='监督投诉电话']/following-sibling::td[1]",
            "place": "//th[normalize-space()='办理地点']/following-sibling::td[1]",
        },
    },
    "print_link": "a[href$='/print']",
    "forms": {"link": "a[href*='/materials/']"},
    "search": {"url": "/search?q={q}", "result_link": "h2 > a[href^='/items/']"},
    "power_list": {"url": "/power-list"},
    "service_list": {"url": "/items?type=20"},
    "soft_404": ["没有找到", "页面不存在"],
    "login_markers": ["/account/signin"],
}

DOCUMENT_MAGIC = (
    (b"%PDF-", "pdf"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole (doc/xls/wps)"),
    (b"PK\x03\x04", "zip (docx/xlsx/ofd)"),
    (b"{\\rtf", "rtf"),
)
DATE_RE = re.compile(r"(20\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})")
_UNPARSED: Any = object()


@dataclass
class Politeness:
    user_agent: str = "YiwangAssessmentBot/1.0 (capability assessment; +/assessment/)"
    per_host_concurrency: int = 2
    min_interval: float = 1.0
    timeout: float = CENSUS_TIMEOUT
    retries: int = 2
    backoff: float = 0.5
    max_redirects: int = 5
    max_bytes: int = 5_000_000
    respect_robots: bool = True

    @classmethod
    def lifted(cls) -> Politeness:
        """For one's own portal on localhost (benchmarks): no pauses, more parallelism. Eight connections:
        httpcore checks every pooled connection on each request, so 16 cost ~40% more CPU per page for
        no more pages per second against a local server."""
        return cls(per_host_concurrency=8, min_interval=0.0, retries=0)


@dataclass
class Page:
    url: str
    final_url: str = ""
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    elapsed: float = 0.0
    error: str = ""
    too_large: bool = False
    disallowed: bool = False
    redirects: int = 0
    _parsed: Any = field(default=_UNPARSED, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and not self.error

    @property
    def text(self) -> str:
        charset = "utf-8"
        match = re.search(r"charset=([\w-]+)", self.headers.get("content-type", ""))
        if match:
            charset = match.group(1)
        return self.body.decode(charset, errors="replace")

    def tree(self) -> Any | None:
        """The parsed HTML, parsed once: several probes read the same page (links, mobile, fields)."""
        if self._parsed is _UNPARSED:
            self._parsed = self._parse()
        return self._parsed

    def _parse(self) -> Any | None:
        if not self.body:
            return None
        # The header's charset wins; then a <meta charset> (lxml reads it from the bytes); else UTF-8.
        declared = "charset=" in self.headers.get("content-type", "")
        in_meta = re.search(rb"<meta[^>]+charset", self.body[:4096], re.IGNORECASE) is not None
        source: str | bytes = self.body if in_meta and not declared else self.text
        try:
            return lxml_html.document_fromstring(source)
        except (etree.ParserError, ValueError):
            return None


class Fetcher:
    """Polite async HTTP: robots, per-host concurrency and pacing, timeouts, retries, redirects, size."""

    def __init__(
        self, politeness: Politeness | None = None, *, transport: httpx.AsyncBaseTransport | None = None
    ):
        self.p = politeness or Politeness()
        self.client = httpx.AsyncClient(
            headers={"User-Agent": self.p.user_agent},
            follow_redirects=False,
            timeout=httpx.Timeout(self.p.timeout),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            transport=transport,
        )
        self._sem: dict[str, asyncio.Semaphore] = {}
        self._pace: dict[str, asyncio.Lock] = {}
        self._next: dict[str, float] = {}
        self._robots: dict[str, tuple[str, urllib.robotparser.RobotFileParser | None]] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self.requests = 0

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _robots_for(self, url: str) -> tuple[str, urllib.robotparser.RobotFileParser | None]:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        async with self._robots_locks.setdefault(origin, asyncio.Lock()):
            if origin not in self._robots:
                page = await self._request(origin + "/robots.txt", max_bytes=500_000, retries=0)
                if page.status is not None and 400 <= page.status < 500:
                    self._robots[origin] = ("allow_all", None)
                elif page.ok:
                    parser = urllib.robotparser.RobotFileParser()
                    parser.parse(page.text.splitlines())
                    self._robots[origin] = ("rules", parser)
                else:
                    self._robots[origin] = ("unreachable", None)
            return self._robots[origin]

    async def allowed(self, url: str, *, home_probe: bool = False) -> tuple[bool, str]:
        if not self.p.respect_robots:
            return True, ""
        state, parser = await self._robots_for(url)
        if state == "allow_all":
            return True, ""
        if state == "unreachable":
            return (True, "") if home_probe else (False, "robots.txt 无法访问，按 RFC 9309 视为禁止抓取")
        assert parser is not None
        if parser.can_fetch(self.p.user_agent, url):
            return True, ""
        return False, "robots.txt 禁止抓取"

    async def _wait_turn(self, host: str) -> None:
        if self.p.min_interval <= 0:
            return
        lock = self._pace.setdefault(host, asyncio.Lock())
        async with lock:
            now = time.monotonic()
            wait = self._next.get(host, 0.0) - now
            if wait > 0:
                await asyncio.sleep(wait)
            self._next[host] = max(now, self._next.get(host, 0.0)) + self.p.min_interval

    async def _once(self, url: str, max_bytes: int) -> Page:
        page = Page(url)
        seen = {url}
        current = url
        for hop in range(self.p.max_redirects + 1):
            async with self.client.stream("GET", current) as response:
                page.status = response.status_code
                page.headers = {k.lower(): v for k, v in response.headers.items()}
                location = response.headers.get("location")
                if response.is_redirect and location:
                    target = urljoin(current, location)
                    if target in seen:
                        page.error = f"重定向循环：{target}"
                        page.final_url = target
                        return page
                    if hop == self.p.max_redirects:
                        page.error = f"重定向超过 {self.p.max_redirects} 次"
                        return page
                    seen.add(target)
                    current = target
                    page.redirects += 1
                    allowed, why = await self.allowed(current)
                    if not allowed:
                        page.error, page.disallowed = why, True
                        return page
                    continue
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    page.too_large = True
                    page.error = f"响应过大（{declared} 字节，上限 {max_bytes}）"
                    page.final_url = current
                    return page
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        page.too_large = True
                        page.error = f"响应过大（超过 {max_bytes} 字节，已停止读取）"
                        break
                    chunks.append(chunk)
                page.body = b"".join(chunks)
                page.final_url = current
                return page
        return page

    async def _request(self, url: str, *, max_bytes: int | None = None, retries: int | None = None) -> Page:
        limit = max_bytes or self.p.max_bytes
        attempts = (self.p.retries if retries is None else retries) + 1
        host = urlsplit(url).netloc
        sem = self._sem.setdefault(host, asyncio.Semaphore(self.p.per_host_concurrency))
        page = Page(url)
        for attempt in range(attempts):
            async with sem:
                await self._wait_turn(host)
                started = time.monotonic()
                self.requests += 1
                try:
                    page = await asyncio.wait_for(self._once(url, limit), timeout=self.p.timeout)
                except TimeoutError:
                    page = Page(url, error=f"超时（{self.p.timeout:g}秒内未完成）")
                except httpx.HTTPError as exc:
                    page = Page(url, error=f"连接失败：{type(exc).__name__}")
                page.elapsed = time.monotonic() - started
            retryable = (page.status is None and not page.error.startswith("超时")) or (
                page.status or 0
            ) >= 500
            if not retryable or attempt == attempts - 1:
                return page
            await asyncio.sleep(self.p.backoff * (2**attempt))
        return page

    async def get(self, url: str, *, home_probe: bool = False, retries: int | None = None) -> Page:
        allowed, why = await self.allowed(url, home_probe=home_probe)
        if not allowed:
            return Page(url, error=why, disallowed=True)
        return await self._request(url, retries=retries)


# --- extraction ------------------------------------------------------------------------------------------


def select(tree: Any, selector: str) -> list[Any]:
    """Elements (or strings) matching a CSS or XPath selector; a bad selector selects nothing."""
    if tree is None or not selector:
        return []
    try:
        if selector.startswith(("/", "(")):
            return list(tree.xpath(selector))
        return list(tree.cssselect(selector))
    except (etree.XPathError, ValueError, SyntaxError):
        return []
    except Exception:  # cssselect raises its own SelectorError family
        return []


def text_of(node: Any) -> str:
    if isinstance(node, str):
        return node.strip()
    return " ".join(node.text_content().split())


def normalise(text: str) -> str:
    return re.sub(r"[\s\-—()（）:：,，。;；、]", "", unicodedata.normalize("NFKC", text or "")).lower()


def links(tree: Any, base: str, selector: str = "a[href]") -> list[tuple[str, str]]:
    out = []
    for node in select(tree, selector):
        href = node.get("href") if hasattr(node, "get") else None
        if not href or href.startswith(("mailto:", "tel:", "javascript:", "#")):
            continue
        out.append((urljoin(base, href).split("#")[0], text_of(node)))
    return out


def file_kind(body: bytes) -> str | None:
    for magic, kind in DOCUMENT_MAGIC:
        if body.startswith(magic):
            return kind
    return None


def _entry(raw: Decimal | float | int | None, evidence: dict[str, Any], reason: str = "") -> dict[str, Any]:
    value = None if raw is None else str(Decimal(str(raw)).quantize(Decimal("0.000001")))
    return {"raw": value, "reason": reason if raw is None else "", "evidence": evidence}


def _share(passed: int, total: int) -> Decimal:
    return (Decimal(passed) / Decimal(total)).quantize(Decimal("0.000001"))


# --- the crawl -------------------------------------------------------------------------------------------


@dataclass
class CrawlState:
    base: str
    profile: dict[str, Any]
    pages: dict[str, Page] = field(default_factory=dict)
    guides: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return urljoin(self.base, path)


class PortalCrawler:
    def __init__(
        self,
        base_url: str,
        profile: dict[str, Any] | None = None,
        *,
        politeness: Politeness | None = None,
        platform_prefix: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"门户网址“{base_url}”无效：应为 http(s):// 开头的完整网址")
        self.base = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))
        self.profile = dict(profile or {})
        self.politeness = politeness or Politeness()
        self.platform_prefix = platform_prefix
        self.transport = transport

    @property
    def host(self) -> str:
        return urlsplit(self.base).netloc

    async def _get(self, fetcher: Fetcher, state: CrawlState, url: str) -> Page:
        if url not in state.pages:
            state.pages[url] = await fetcher.get(url)
        return state.pages[url]

    async def discover(self, fetcher: Fetcher, state: CrawlState) -> None:
        home = await fetcher.get(state.url(self.profile.get("start", "/")), home_probe=True)
        state.pages[home.url] = home
        item_list = self.profile.get("item_list") or {}
        guide_cfg = self.profile.get("guide") or {}
        pattern = re.compile(guide_cfg.get("url_pattern") or r"$^")
        max_guides = int(self.profile.get("max_guides", 30))
        found: dict[str, None] = {}  # ordered set: the guides in list order
        # Guide pages are fetched while the next list page is read, not after the last one.
        fetching: list[asyncio.Task[Page]] = []
        url = state.url(item_list["url"]) if item_list.get("url") else None
        try:
            for _ in range(int(item_list.get("max_pages", 3))):
                if not url or len(found) >= max_guides:
                    break
                page = await self._get(fetcher, state, url)
                tree = page.tree() if page.ok else None
                item_link = item_list.get("item_link") or "a[href]"
                for href, _text in links(tree, page.final_url or url, item_link):
                    parts = urlsplit(href)
                    wanted = parts.netloc == self.host and pattern.search(parts.path) is not None
                    if wanted and href not in found and len(found) < max_guides:
                        found[href] = None
                        fetching.append(asyncio.ensure_future(self._get(fetcher, state, href)))
                nxt = links(tree, page.final_url or url, item_list.get("next") or "")
                url = nxt[0][0] if nxt else None
            state.guides = list(found)
            await asyncio.gather(*fetching)
        finally:
            for task in fetching:  # only unfinished when the crawl itself is being cancelled
                task.cancel()

    # --- probes -----------------------------------------------------------------------------------

    async def probe_availability(self, fetcher: Fetcher, state: CrawlState) -> dict[str, Any]:
        count = int(self.profile.get("probes", 20))
        interval = float(self.profile.get("probe_interval", 0))
        home = state.url(self.profile.get("start", "/"))
        targets = [home, *state.guides[:3]]
        ok = 0
        failures: list[dict[str, Any]] = []
        for i in range(count):
            url = targets[i % len(targets)]
            page = await fetcher.get(url, home_probe=url == home, retries=0)
            if page.ok and page.elapsed <= CENSUS_TIMEOUT:
                ok += 1
            elif len(failures) < SAMPLE:
                failures.append({"url": url, "problem": page.error or f"HTTP {page.status}"})
            if interval:
                await asyncio.sleep(interval)
        return _entry(
            _share(ok, count),
            {
                "rule": "重复探测首页与核心页，15秒内返回2xx视为成功（国办普查规则）",
                "probes": count,
                "passed": ok,
                "total": count,
                "failed": failures,
            },
        )

    def probe_response_time(self, state: CrawlState) -> dict[str, Any]:
        timed = [(url, p.elapsed) for url, p in state.pages.items() if p.ok]
        if not timed:
            return _entry(None, {}, "没有成功获取的页面")
        median = statistics.median(t for _, t in timed)
        slowest = sorted(timed, key=lambda kv: -kv[1])[:SAMPLE]
        return _entry(
            round(median, 4),
            {
                "rule": "成功获取的页面完整响应时间中位数（秒；不含浏览器渲染）",
                "pages": len(timed),
                "median": round(median, 4),
                "samples": [{"url": u, "name": "", "value": round(t, 3)} for u, t in slowest],
            },
        )

    async def probe_entry(self, fetcher: Fetcher, state: CrawlState) -> dict[str, Any]:
        home = state.pages.get(state.url(self.profile.get("start", "/")))
        if home is None or not home.ok:
            return _entry(
                0,
                {
                    "rule": "首页有指向政务服务平台的有效入口",
                    "problem": (home.error if home else "") or "首页无法访问",
                },
            )
        target_host = self.profile.get("platform_host") or self.host
        candidates = links(
            home.tree(), home.final_url or home.url, self.profile.get("entry_link") or "a[href]"
        )
        entries = [
            (href, text)
            for href, text in candidates
            if urlsplit(href).netloc == target_host and urlsplit(href).path.strip("/")
        ]
        for href, text in entries[:5]:
            page = await fetcher.get(href)
            if page.ok:
                return _entry(1, {"rule": "首页有指向政务服务平台的有效入口", "entry": href, "text": text})
        return _entry(
            0,
            {
                "rule": "首页有指向政务服务平台的有效入口",
                "candidates": [h for h, _ in entries[:SAMPLE]],
                "platform_host": target_host,
            },
        )

    async def probe_links(self, fetcher: Fetcher, state: CrawlState) -> dict[str, Any]:
        soft = self.profile.get("soft_404") or []
        seen: list[str] = []
        for url, page in list(state.pages.items()):
            if not page.ok:
                continue
            for href, _ in links(page.tree(), page.final_url or url):
                if urlsplit(href).netloc == self.host and href not in seen:
                    seen.append(href)
        sample = seen[: int(self.profile.get("max_links", 100))]
        pages = await asyncio.gather(*(self._get(fetcher, state, href) for href in sample))
        checked = broken = 0
        failed: list[dict[str, Any]] = []
        for href, page in zip(sample, pages, strict=True):
            if page.disallowed:
                continue
            checked += 1
            problem = ""
            if page.status is None or page.status >= 400:
                problem = page.error or f"HTTP {page.status}"
            elif (
                page.ok
                and any(marker in page.text for marker in soft)
                and (page.headers.get("content-type", "").startswith("text/html"))
            ):
                problem = "软404（返回200但内容为“未找到”）"
            if problem:
                broken += 1
                if len(failed) < SAMPLE:
                    failed.append({"url": href, "problem": problem})
        if not checked:
            return _entry(None, {}, "没有可检查的站内链接")
        return _entry(
            _share(broken, checked),
            {
                "rule": "站内链接中失效（4xx、5xx、软404、无法连接）的比例",
                "total": checked,
                "failed_count": broken,
                "failed": failed,
            },
        )

    async def probe_search(self, fetcher: Fetcher, state: CrawlState) -> dict[str, Any]:
        cfg = self.profile.get("search") or {}
        if not cfg.get("url"):
            return _entry(None, {}, "抓取配置未提供检索地址（search.url）")
        queries: list[str] = [str(q) for q in self.profile.get("queries") or []]
        if not queries:
            queries = await asyncio.to_thread(_popular_item_names, self.platform_prefix)
        if not queries:
            return _entry(None, {}, "没有高频事项名称可作检索词")
        hits = 0
        failed: list[dict[str, Any]] = []
        for query in queries:
            url = state.url(cfg["url"].replace("{q}", quote(query)))
            page = await self._get(fetcher, state, url)
            results = links(
                page.tree() if page.ok else None, page.final_url or url, cfg.get("result_link") or "a[href]"
            )[:5]
            if any(normalise(query) in normalise(text) for _, text in results):
                hits += 1
            elif len(failed) < SAMPLE:
                failed.append({"url": url, "name": query, "problem": page.error or "前5条结果中没有该事项"})
        return _entry(
            _share(hits, len(queries)),
            {
                "rule": "以高频事项名称检索，前5条结果含该事项的比例",
                "passed": hits,
                "total": len(queries),
                "failed": failed,
            },
        )

    def probe_mobile(self, state: CrawlState) -> dict[str, Any]:
        scores: list[tuple[str, float]] = []
        for url, page in state.pages.items():
            tree = page.tree() if page.ok and "html" in page.headers.get("content-type", "") else None
            if tree is None:
                continue
            viewport = (
                " ".join(m.get("content", "") for m in select(tree, "meta[name=viewport]"))
                .replace(" ", "")
                .lower()
            )
            checks = [
                "width=device-width" in viewport,
                "user-scalable=no" not in viewport
                and "maximum-scale=1" not in viewport.replace("maximum-scale=1.5", ""),
                bool(tree.get("lang")),
                not any(int(w) > 480 for w in re.findall(r"(?<![-\w])width\s*[:=]\s*\"?(\d{3,})", page.text)),
            ]
            scores.append((url, 100 * sum(checks) / len(checks)))
        if not scores:
            return _entry(None, {}, "没有成功获取的 HTML 页面")
        mean = sum(s for _, s in scores) / len(scores)
        worst = sorted(scores, key=lambda kv: kv[1])[:SAMPLE]
        return _entry(
            round(mean, 4),
            {
                "rule": "移动友好检查（视口、允许缩放、声明语言、无超宽固定宽度）的平均得分（0–100）",
                "pages": len(scores),
                "samples": [{"url": u, "name": "", "value": s} for u, s in worst],
            },
        )

    async def probe_list(self, fetcher: Fetcher, state: CrawlState, key: str, label: str) -> dict[str, Any]:
        cfg = self.profile.get(key) or {}
        if not cfg.get("url"):
            return _entry(None, {}, f"抓取配置未提供{label}地址（{key}.url）")
        url = state.url(cfg["url"])
        page = await self._get(fetcher, state, url)
        rule = f"{label}页面可访问且显示近12个月内的更新日期（或 Last-Modified）"
        if not page.ok:
            return _entry(0, {"rule": rule, "url": url, "problem": page.error or f"HTTP {page.status}"})
        text = (
            " ".join(text_of(n) for n in select(page.tree(), cfg["updated"]))
            if cfg.get("updated")
            else page.text
        )
        dates = []
        for y, m, d in DATE_RE.findall(text):
            try:
                dates.append(dt.date(int(y), int(m), int(d)))
            except ValueError:
                continue
        modified = page.headers.get("last-modified")
        if modified:
            from email.utils import parsedate_to_datetime

            with contextlib.suppress(TypeError, ValueError):
                dates.append(parsedate_to_datetime(modified).date())
        today = dt.date.today()
        recent = [
            day for day in dates if today - dt.timedelta(days=365) <= day <= today + dt.timedelta(days=1)
        ]
        latest = max(dates) if dates else None
        return _entry(
            1 if recent else 0,
            {"rule": rule, "url": url, "latest_date": str(latest) if latest else "未找到日期"},
        )

    def _guide_pages(self, state: CrawlState) -> list[tuple[str, Page]]:
        return [(url, state.pages[url]) for url in state.guides if url in state.pages]

    def probe_guides_public(self, state: CrawlState) -> dict[str, Any]:
        markers = self.profile.get("login_markers") or ["login", "signin", "登录后查看"]
        guides = self._guide_pages(state)
        if not guides:
            return _entry(None, {}, "没有发现指南页（检查 item_list 与 guide.url_pattern 配置）")
        passed = 0
        failed: list[dict[str, Any]] = []
        for url, page in guides:
            login = any(m in (page.final_url or "") for m in markers) or (
                page.ok and any(m in page.text for m in markers if not m.startswith("/"))
            )
            if page.ok and not login:
                passed += 1
            elif len(failed) < SAMPLE:
                failed.append(
                    {"url": url, "problem": "需要登录" if login else (page.error or f"HTTP {page.status}")}
                )
        return _entry(
            _share(passed, len(guides)),
            {
                "rule": "抽样指南页免登录可访问的比例",
                "passed": passed,
                "total": len(guides),
                "failed": failed,
            },
        )

    async def probe_guides_obtainable(self, fetcher: Fetcher, state: CrawlState) -> dict[str, Any]:
        guides = self._guide_pages(state)
        if not guides:
            return _entry(None, {}, "没有发现指南页")
        selector = self.profile.get("print_link") or "a[href*=print], a[href*=download]"
        passed = 0
        failed: list[dict[str, Any]] = []
        for url, page in guides:
            targets = links(page.tree() if page.ok else None, page.final_url or url, selector)
            printable = await self._get(fetcher, state, targets[0][0]) if targets else None
            if page.ok and printable is not None and printable.ok:
                passed += 1
            elif len(failed) < SAMPLE:
                failed.append(
                    {
                        "url": url,
                        "problem": "没有打印/下载链接"
                        if page.ok and not targets
                        else (page.error or "打印/下载链接无效"),
                    }
                )
        return _entry(
            _share(passed, len(guides)),
            {
                "rule": "指南页返回200且提供有效的打印或下载版本的比例",
                "passed": passed,
                "total": len(guides),
                "failed": failed,
            },
        )

    async def probe_forms(self, fetcher: Fetcher, state: CrawlState) -> dict[str, Any]:
        selector = (self.profile.get("forms") or {}).get(
            "link"
        ) or "a[href$='.pdf'], a[href$='.doc'], a[href$='.docx'], a[href$='.xls'], a[href$='.xlsx']"
        form_links: list[str] = []
        for url, page in self._guide_pages(state):
            for href, _ in links(page.tree() if page.ok else None, page.final_url or url, selector):
                if href not in form_links:
                    form_links.append(href)
        form_links = form_links[: int(self.profile.get("max_forms", 50))]
        if not form_links:
            return _entry(None, {}, "抽样指南页中没有表格下载链接")
        pages = await asyncio.gather(*(self._get(fetcher, state, href) for href in form_links))
        passed = 0
        failed: list[dict[str, Any]] = []
        kinds: dict[str, int] = {}
        for href, page in zip(form_links, pages, strict=True):
            kind = file_kind(page.body) if page.ok else None
            if kind:
                passed += 1
                kinds[kind] = kinds.get(kind, 0) + 1
            elif len(failed) < SAMPLE:
                problem = page.error or (
                    f"HTTP {page.status}"
                    if not page.ok
                    else f"文件头不是有效文档（{page.headers.get('content-type', '未知类型')}）"
                )
                failed.append({"url": href, "problem": problem})
        return _entry(
            _share(passed, len(form_links)),
            {
                "rule": "表格链接返回200且文件头为有效文档（PDF、OLE、ZIP/OOXML/OFD、RTF）的比例",
                "passed": passed,
                "total": len(form_links),
                "kinds": kinds,
                "failed": failed,
            },
        )

    def probe_consistency(self, state: CrawlState) -> dict[str, Any]:
        guide_cfg = self.profile.get("guide") or {}
        fields: dict[str, str] = guide_cfg.get("fields") or {}
        if not fields:
            return _entry(None, {}, "抓取配置未提供指南字段选择器（guide.fields）")
        pattern = re.compile(guide_cfg.get("url_pattern") or r"$^")
        extracted: list[tuple[str, str | None, dict[str, str]]] = []
        for url, page in self._guide_pages(state):
            if not page.ok:
                continue
            tree = page.tree()
            values = {name: " ".join(text_of(n) for n in select(tree, sel)) for name, sel in fields.items()}
            match = pattern.search(urlsplit(url).path)
            code = match.groupdict().get("code") if match else None
            extracted.append((url, code, values))
        records = _platform_records(
            [c for _, c, _ in extracted if c], [v.get("name", "") for _, c, v in extracted if not c]
        )
        compared = passed = 0
        failed: list[dict[str, Any]] = []
        for url, code, values in extracted:
            doc = records.get(code or "") or records.get("name:" + normalise(values.get("name", "")))
            if doc is None:
                continue
            compared += 1
            mismatched = [
                name
                for name, value in values.items()
                if str(doc.get(name) or "") and normalise(str(doc.get(name))) not in normalise(value)
            ]
            if not mismatched:
                passed += 1
            elif len(failed) < SAMPLE:
                failed.append({"url": url, "problem": "不一致：" + "、".join(mismatched)})
        if not compared:
            return _entry(None, {"guides": len(extracted)}, "门户指南在本平台数据中没有对应事项，无法比对")
        return _entry(
            _share(passed, compared),
            {
                "rule": "门户指南字段与平台发布数据一致（规范化后包含）的比例",
                "passed": passed,
                "total": compared,
                "fields": sorted(fields),
                "failed": failed,
            },
        )

    def probe_accessibility(self, state: CrawlState) -> dict[str, Any]:
        urls = [
            state.url(self.profile.get("start", "/")),
            *state.guides[: max(0, int(self.profile.get("axe_pages", 3)) - 1)],
        ]
        urls = [u for u in urls if state.pages.get(u) is not None and state.pages[u].ok]
        if not urls:
            return _entry(None, {}, "没有可检测的页面")
        return accessibility(urls)

    # --- orchestration ------------------------------------------------------------------------------

    async def run(self, leaves: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        wanted = set(leaves or PROBES)
        fetcher = Fetcher(self.politeness, transport=self.transport)
        state = CrawlState(self.base, self.profile)
        out: dict[str, dict[str, Any]] = {}
        try:
            await self.discover(fetcher, state)
            steps: dict[str, Any] = {
                "A1.1": lambda: self.probe_entry(fetcher, state),
                "A1.2": lambda: self.probe_availability(fetcher, state),
                "A2.2": lambda: self.probe_search(fetcher, state),
                "B1.1": lambda: self.probe_list(fetcher, state, "power_list", "权责清单"),
                "B1.2": lambda: self.probe_list(fetcher, state, "service_list", "公共服务清单"),
                "B2.3": lambda: self.probe_guides_obtainable(fetcher, state),
                "C4.3": lambda: self.probe_forms(fetcher, state),
                "A1.5": lambda: self.probe_links(fetcher, state),
            }
            for leaf, step in steps.items():
                if leaf in wanted:
                    out[leaf] = await step()
            if "A1.3" in wanted:
                out["A1.3"] = self.probe_response_time(state)
            if "A3.2" in wanted:
                out["A3.2"] = self.probe_mobile(state)
            if "B2.2" in wanted:
                out["B2.2"] = self.probe_guides_public(state)
            if "C3.4" in wanted:
                out["C3.4"] = await asyncio.to_thread(self.probe_consistency, state)
        finally:
            await fetcher.aclose()
        if "A1.4" in wanted:
            out["A1.4"] = await asyncio.to_thread(self.probe_accessibility, state)
        for entry in out.values():
            entry.setdefault("evidence", {})["portal"] = self.base
            entry["evidence"]["requests"] = fetcher.requests
        return out

    def run_sync(self, leaves: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        return run_coroutine(self.run(leaves))


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run, also from a thread whose event loop is already running (e.g. Playwright's sync API
    keeps one running): then the crawl runs on a fresh loop in a helper thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _popular_item_names(prefix: str | None, limit: int = 5) -> list[str]:
    from yiwang.catalog.selectors import published_implementations

    queryset = published_implementations()
    if prefix:
        queryset = queryset.filter(region__code__startswith=prefix)
    names: list[str] = []
    for name in queryset.order_by("-popularity", "implementation_code").values_list("name", flat=True)[
        : limit * 4
    ]:
        if name and name not in names:
            names.append(name)
    return names[:limit]


def _platform_records(codes: list[str], names: list[str]) -> dict[str, dict[str, Any]]:
    from yiwang.catalog.selectors import published_implementations

    records: dict[str, dict[str, Any]] = {}
    rows = (
        published_implementations()
        .filter(implementation_code__in=codes)
        .values_list("implementation_code", "published_version__snapshot")
    )
    for code, doc in rows:
        records[code] = doc or {}
    if names:
        for name, doc in (
            published_implementations()
            .filter(name__in=names)
            .values_list("name", "published_version__snapshot")
        ):
            records.setdefault("name:" + normalise(name), doc or {})
    return records


AXE_MISSING = "无障碍检测需要 Playwright、axe-playwright-python 与 /usr/bin/chromium（开发依赖；apt-get install chromium）"


def accessibility(urls: list[str]) -> dict[str, Any]:
    """Serious and critical axe-core violations per page (WCAG 2.1 A/AA), in Debian's Chromium."""
    import os
    from pathlib import Path

    chromium = Path(os.environ.get("YIWANG_CHROMIUM", "/usr/bin/chromium"))
    try:
        from axe_playwright_python.sync_playwright import Axe
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        return _entry(None, {}, AXE_MISSING)
    if not chromium.exists():
        return _entry(None, {}, AXE_MISSING)
    per_page: list[dict[str, Any]] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(chromium), args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            try:
                page = browser.new_page()
                page.set_default_timeout(int(CENSUS_TIMEOUT * 1000))
                for url in urls:
                    page.goto(url, wait_until="load")
                    result = Axe().run(
                        page,
                        options={
                            "runOnly": {
                                "type": "tag",
                                "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"],
                            },
                            "resultTypes": ["violations"],
                        },
                    )
                    blocking = [
                        v
                        for v in result.response.get("violations", [])
                        if v.get("impact") in ("serious", "critical")
                    ]
                    per_page.append(
                        {
                            "url": url,
                            "name": "、".join(sorted({v["id"] for v in blocking}))[:200],
                            "value": sum(len(v.get("nodes", [])) for v in blocking),
                        }
                    )
            finally:
                browser.close()
    except PlaywrightError as exc:
        return _entry(None, {"pages": per_page}, f"浏览器检测失败：{str(exc).splitlines()[0][:200]}")
    mean = sum(p["value"] for p in per_page) / len(per_page)
    return _entry(
        round(mean, 4),
        {
            "rule": "axe-core（WCAG 2.1 A/AA）严重及以上违规节点数的每页平均值",
            "pages": len(per_page),
            "samples": per_page,
        },
    )


def crawl_subject(subject: Any, *, politeness: Politeness | None = None) -> dict[str, dict[str, Any]]:
    """Crawl a subject's portal with its profile (the Yiwang profile when none is stored)."""
    from yiwang.assessment.collectors.platform import Unmeasured, subtree_prefix

    if not subject.portal_url:
        raise ValueError(f"{subject.name} 没有登记门户网址")
    try:
        prefix = subtree_prefix(subject.region_code)
    except Unmeasured:
        prefix = None
    crawler = PortalCrawler(
        subject.portal_url,
        subject.crawl_profile or YIWANG_PROFILE,
        politeness=politeness,
        platform_prefix=prefix,
    )
    return crawler.run_sync()
