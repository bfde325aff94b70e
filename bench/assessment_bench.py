"""Assessment benchmark: a national-scale round computed from platform data, and the crawler's pages/s.

    .venv/bin/python bench/assessment_bench.py                          # 32 provinces, 22,152 items
    .venv/bin/python bench/assessment_bench.py --items 3200 --crawl-pages 300   # a modest run

1. Round: a SQLite bench database under bench/results/assessment-sqlite-N/ (kept and reused) holding
   --items published items with guides, spread over --provinces provinces by the catalogue generator;
   a round with one subject per province (platform data), run once: collection (every platform leaf
   for every province), scoring, statistics and storage. Reports seconds, items and data points (each
   rule evaluated on an item, material, case or region is one data point; the 2017 national survey
   collected ~730,000). Target: ≤ 60 s for 32 provinces and 22,152 items.
2. Crawler: a local portal (a threaded HTTP server on 127.0.0.1 in a child process) with --crawl-pages
   guide pages linked from list pages; the crawler discovers and fetches them with politeness lifted for
   localhost (Politeness.lifted(): no pause, 8 connections, no retries; robots.txt still read).
   Reports pages per second, the crawler's and the portal's CPU milliseconds per page and the load
   average. Target: ≥ 100 pages/s. The portal sets TCP_NODELAY as production servers do (gunicorn,
   nginx's tcp_nodelay): http.server writes headers and body in two send() calls, and with Nagle's
   algorithm on, each keep-alive response then waits for the client's delayed ACK (~40 ms on Linux).
   --nagle keeps that behaviour to measure a badly configured portal.

Bounded and loopback only; prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _setup(items: int) -> None:
    data = ROOT / "bench" / "results" / f"assessment-sqlite-{items}"
    data.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("YIWANG_DATA_DIR", str(data))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _ensure_items(items: int, provinces: list[str]) -> int:
    from yiwang.catalog.generator import generate
    from yiwang.catalog.models import Implementation

    have = Implementation.objects.filter(public_status="published").count()
    if have >= items:
        return have
    per = -(-(items - have) // len(provinces))
    for index, code in enumerate(provinces, start=1):
        left = items - Implementation.objects.filter(public_status="published").count()
        if left <= 0:
            break
        print(f"  generating {min(per, left)} items in {code} ({index}/{len(provinces)})", file=sys.stderr)
        generate(min(per, left), region_code=code, progress=False)
    return Implementation.objects.filter(public_status="published").count()


def _provinces(count: int) -> list[str]:
    from django.core.management import call_command

    from yiwang.core.models import Region

    if not Region.objects.exists():
        call_command("regions", "load", verbosity=0)
    return list(
        Region.objects.filter(level="province").order_by("code").values_list("code", flat=True)[:count]
    )


def _data_points(run: Any) -> int:
    from yiwang.assessment.models import LeafResult

    total = 0
    for evidence in LeafResult.objects.filter(result__run=run, source="platform").values_list(
        "evidence", flat=True
    ):
        value = evidence.get("total") or evidence.get("pages") or 0
        total += int(value) if isinstance(value, int) else 0
    return total


def bench_round(items: int, provinces: int) -> dict[str, Any]:
    from yiwang.assessment import services
    from yiwang.assessment.models import Round

    codes = _provinces(provinces)
    have = _ensure_items(items, codes)
    name = f"bench {len(codes)} provinces {time.strftime('%Y%m%d-%H%M%S')}"
    round_ = services.create_round(name, actor=None, subject_kind="province")
    services.add_regions(round_, codes, actor=None)
    started, cpu_started = time.perf_counter(), time.process_time()
    run = services.run_round(round_, actor=None)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    points = _data_points(run)
    Round.objects.filter(pk=round_.pk).delete()  # keep the bench database small across runs
    return {"provinces": len(codes), "items": have, "seconds": seconds, "cpu": cpu, "points": points}


def _portal(pages: int, *, nagle: bool = False) -> ThreadingHTTPServer:
    per_list = 50

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = not nagle

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path == "/robots.txt":
                body = b"User-agent: *\nAllow: /\n"
            elif path.startswith("/list/"):
                n = int(path.rsplit("/", 1)[-1])
                ids = range(n * per_list, min(pages, (n + 1) * per_list))
                rows = "".join(f"<li><a class='g' href='/guide/{i}'>事项{i}</a></li>" for i in ids)
                more = (
                    f"<a class='next' href='/list/{n + 1}'>下一页</a>" if (n + 1) * per_list < pages else ""
                )
                body = f"<html lang='zh'><body><ul>{rows}</ul>{more}</body></html>".encode()
            elif path.startswith("/guide/"):
                i = path.rsplit("/", 1)[-1]
                body = (
                    f"<html lang='zh'><head><meta name='viewport' content='width=device-width'></head><body><h1>事项{i}</h1>"
                    + "<p>办理地点：政务服务中心</p>" * 40
                    + "</body></html>"
                ).encode()
            else:
                body = b"<html lang='zh'><body><a href='/list/0'>list</a></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server


def _serve_in_child(pages: int, *, nagle: bool = False) -> tuple[Any, int]:
    """The portal runs in its own process, so its threads do not share the crawler's GIL."""
    import multiprocessing

    ready: Any = multiprocessing.Queue()

    def run() -> None:
        server = _portal(pages, nagle=nagle)
        ready.put(server.server_address[1])
        server.serve_forever()

    process = multiprocessing.get_context("fork").Process(target=run, daemon=True)
    process.start()
    return process, int(ready.get(timeout=30))


def _process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a whole process (all its threads), from /proc; None where there is no /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_crawler(pages: int, *, nagle: bool = False) -> dict[str, Any]:
    import asyncio
    import logging

    # httpx logs every request at INFO; a thousand JSON log lines would be measured instead of the crawl.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from yiwang.assessment.crawler import CrawlState, Fetcher, Politeness, PortalCrawler

    process, port = _serve_in_child(pages, nagle=nagle)
    base = f"http://127.0.0.1:{port}/"
    profile = {
        "item_list": {"url": "/list/0", "item_link": "a.g", "next": "a.next", "max_pages": pages // 50 + 2},
        "guide": {"url_pattern": r"^/guide/\d+$"},
        "max_guides": pages,
    }
    crawler = PortalCrawler(base, profile, politeness=Politeness.lifted())

    async def go() -> tuple[int, float, float, float | None]:
        fetcher = Fetcher(crawler.politeness)
        state = CrawlState(crawler.base, profile)
        portal_before = _process_cpu_seconds(process.pid)
        started, cpu_started = time.perf_counter(), time.process_time()
        await crawler.discover(fetcher, state)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        portal_after = _process_cpu_seconds(process.pid)
        portal = (
            portal_after - portal_before if portal_after is not None and portal_before is not None else None
        )
        await fetcher.aclose()
        return fetcher.requests, elapsed, cpu, portal

    try:
        requests, elapsed, cpu, portal_cpu = asyncio.run(go())
    finally:
        process.terminate()
        process.join(5)
    return {
        "pages": requests,
        "seconds": elapsed,
        "rate": requests / elapsed if elapsed else 0.0,
        "crawler_ms": 1000 * cpu / requests,
        "portal_ms": 1000 * portal_cpu / requests if portal_cpu is not None else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--items", type=int, default=22152, help="published items with guides (default 22,152)"
    )
    parser.add_argument("--provinces", type=int, default=32, help="provinces assessed (default 32)")
    parser.add_argument(
        "--crawl-pages", type=int, default=1000, help="guide pages of the local portal (≤ 20,000)"
    )
    parser.add_argument(
        "--nagle", action="store_true", help="portal without TCP_NODELAY (40 ms delayed-ACK stalls)"
    )
    parser.add_argument("--skip-round", action="store_true")
    parser.add_argument("--skip-crawl", action="store_true")
    args = parser.parse_args()
    args.crawl_pages = max(10, min(args.crawl_pages, 20_000))
    _setup(args.items)
    rows = []
    if not args.skip_round:
        r = bench_round(args.items, args.provinces)
        rows.append(
            (
                "round from platform data",
                f"{r['provinces']} provinces, {r['items']:,} items, {r['points']:,} data points",
                f"{r['seconds']:.1f} s (CPU {r['cpu']:.1f} s)",
                "≤ 60 s",
            )
        )
    if not args.skip_crawl:
        c = bench_crawler(args.crawl_pages, nagle=args.nagle)
        portal_ms = f"{c['portal_ms']:.2f}" if c["portal_ms"] is not None else "?"
        rows.append(
            (
                "crawler, local portal" + (" (Nagle on)" if args.nagle else ""),
                f"{c['pages']:,} requests in {c['seconds']:.2f} s",
                f"{c['rate']:.0f} pages/s; CPU/page: crawler {c['crawler_ms']:.2f} ms, portal {portal_ms} ms",
                "≥ 100 pages/s",
            )
        )
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    print(f"load average {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f} on {os.cpu_count()} CPUs")
    print("| measurement | size | result | target |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
