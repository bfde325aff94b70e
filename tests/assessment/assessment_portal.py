"""A second, differently built portal for the crawler tests: a small threaded HTTP server on 127.0.0.1.

Its markup is nothing like Yiwang's (matter lists, span titles, key/value tables, GBK-free UTF-8), and it
also serves the awkward cases: a robots.txt disallow, a 500, a soft 404, a slow page, a redirect loop, an
enormous body and malformed HTML. Every request path is logged so tests can assert what was (not) fetched.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

MATTERS = {
    "1001": ("居民身份证换领", "0571-87001001"),
    "1002": ("营业执照核发", "0571-87001002"),
    "1003": ("不动产登记", "0571-87001003"),
}

PROFILE: dict[str, Any] = {
    "start": "/",
    "entry_link": "div.entrance a",
    "item_list": {
        "url": "/list?page=1",
        "item_link": "//ul[@class='matters']/li/a",
        "next": "a.nextpage",
        "max_pages": 5,
    },
    "guide": {
        "url_pattern": r"^/matter/(?P<id>\d+)\.html$",
        "fields": {
            "name": "span.title",
            "consultation_phone": "//td[@class='k' and .='咨询电话']/following-sibling::td[1]",
        },
    },
    "print_link": "a.print",
    "forms": {"link": "a.form"},
    "search": {"url": "/search?kw={q}", "result_link": "ol.hits a"},
    "power_list": {"url": "/qzqd", "updated": "p.updated"},
    "service_list": {"url": "/ggfw"},
    "soft_404": ["页面不存在"],
    "login_markers": ["/login"],
    "queries": ["居民身份证换领", "营业执照核发", "办理结婚登记"],
    "probes": 5,
    "max_guides": 10,
}


def _page(body: str, title: str = "门户") -> bytes:
    return (
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title}</title></head><body><main>{body}</main></body></html>"
    ).encode()


@dataclass
class Portal:
    url: str
    log: list[str] = field(default_factory=list)
    hits: dict[str, int] = field(default_factory=dict)


def _handler(portal: Portal) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(
            self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8", **headers: str
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            portal.log.append(self.path)
            portal.hits[path] = portal.hits.get(path, 0) + 1
            query = parse_qs(parts.query)
            today = dt.date.today()
            if path == "/robots.txt":
                return self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
            if path == "/":
                body = (
                    "<div class='entrance'><a href='/hall/'>政务服务网</a></div>"
                    "<a href='/list?page=1'>事项清单</a> <a href='/private/secret'>内部</a>"
                    "<a href='/broken'>坏链接</a> <a href='/soft404'>旧栏目</a> <a href='/qzqd'>权责清单</a>"
                )
                return self._send(200, _page(body, "首页"))
            if path == "/hall/":
                return self._send(200, _page("<h1>政务服务大厅</h1>"))
            if path == "/list":
                page = query.get("page", ["1"])[0]
                ids = ["1001", "1002"] if page == "1" else ["1003"]
                items = "".join(f"<li><a href='/matter/{i}.html'>{MATTERS[i][0]}</a></li>" for i in ids)
                more = "<a class='nextpage' href='/list?page=2'>下一页</a>" if page == "1" else ""
                return self._send(200, _page(f"<ul class='matters'>{items}</ul>{more}"))
            if path.startswith("/matter/") and path.endswith(".html"):
                key = path.split("/")[-1].removesuffix(".html")
                if key not in MATTERS:
                    return self._send(404, _page("页面不存在"))
                name, phone = MATTERS[key]
                form = "/files/bad.doc" if key == "1003" else f"/files/{key}.pdf"
                body = (
                    f"<div class='guide'><span class='title'>{name}</span><table>"
                    f"<tr><td class='k'>咨询电话</td><td class='v'>{phone}</td></tr></table>"
                    f"<a class='form' href='{form}'>申请表下载</a> <a class='print' href='/matter/{key}/print'>打印</a></div>"
                )
                return self._send(200, _page(body, name))
            if path.startswith("/matter/") and path.endswith("/print"):
                return self._send(200, _page("打印版"))
            if path.startswith("/files/") and path.endswith(".pdf"):
                return self._send(200, b"%PDF-1.4\n% sample form\n", "application/pdf")
            if path == "/files/bad.doc":
                return self._send(200, _page("这不是文件"), "application/msword")
            if path == "/search":
                kw = unquote(query.get("kw", [""])[0])
                hits = [(i, n) for i, (n, _) in MATTERS.items() if kw and kw in n]
                items = "".join(f"<li><a href='/matter/{i}.html'>{n}</a></li>" for i, n in hits)
                return self._send(200, _page(f"<ol class='hits'>{items}</ol>"))
            if path == "/qzqd":
                return self._send(
                    200,
                    _page(
                        f"<h1>权责清单</h1><p class='updated'>更新日期：{today - dt.timedelta(days=30):%Y-%m-%d}</p>"
                    ),
                )
            if path == "/ggfw":
                return self._send(200, _page("<h1>公共服务清单</h1><p>更新日期：2019-01-01</p>"))
            if path == "/broken":
                return self._send(500, _page("服务器错误"))
            if path == "/soft404":
                return self._send(200, _page("对不起，页面不存在"))
            if path == "/slow":
                time.sleep(5)
                return self._send(200, _page("终于"))
            if path == "/loop1":
                return self._send(302, b"", Location="/loop2")
            if path == "/loop2":
                return self._send(302, b"", Location="/loop1")
            if path == "/huge":
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                try:
                    for _ in range(200):
                        self.wfile.write(b"x" * 65536)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True
                return None
            if path == "/malformed":
                return self._send(
                    200,
                    b"<html><body><div><a href='/matter/1001.html'>\xe5\xb1\x85\xe6\xb0\x91</div></tbody><p><a href=/broken>x",
                )
            if path == "/flaky":
                if portal.hits[path] < 3:
                    return self._send(503, _page("稍后再试"))
                return self._send(200, _page("好了"))
            return self._send(404, _page("页面不存在"))

    return Handler


@contextmanager
def serve_portal() -> Iterator[Portal]:
    portal = Portal("")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(portal))
    server.daemon_threads = True
    portal.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield portal
    finally:
        server.shutdown()
        server.server_close()
