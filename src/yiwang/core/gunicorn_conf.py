"""Gunicorn settings for `yiwang serve` (loaded as ``-c python:yiwang.core.gunicorn_conf``).

Every value can be changed through an environment variable; `yiwang serve` options override both.
See docs/benchmarks.md for the measurements behind the defaults.
"""

from __future__ import annotations

import os

# Two processes by default (one per core on a small machine). gthread workers keep HTTP connections
# alive and overlap database waits; a handful of threads per worker is enough, the GIL does the rest.
workers = int(os.environ.get("YIWANG_WORKERS", "2"))
worker_class = os.environ.get("YIWANG_WORKER_CLASS", "gthread")
threads = int(os.environ.get("YIWANG_THREADS", "4"))

# Import Django once in the master and fork: workers start fast and share the loaded code pages.
preload_app = True

# A gthread worker accepts every connection it can: when many keep-alive connections open at once (a
# load generator, a proxy's upstream pool), one worker may take them all while the other idles — measured
# with 64 connections: 1,200 instead of 3,700 requests/s, one worker at 100 % CPU. Below the number of
# connections a worker would otherwise hoard, this cap makes the rest go to the other workers (a
# connection over every worker's cap waits in the listen backlog until a kept-alive one closes).
worker_connections = int(os.environ.get("YIWANG_WORKER_CONNECTIONS", "1000"))

timeout = int(os.environ.get("YIWANG_WORKER_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("YIWANG_GRACEFUL_TIMEOUT", "10"))
keepalive = int(os.environ.get("YIWANG_KEEPALIVE", "5"))
max_requests = int(os.environ.get("YIWANG_MAX_REQUESTS", "0"))  # 0: never recycle workers
max_requests_jitter = max_requests // 10

# Django already writes one JSON line per request (yiwang.core.middleware.RequestLogMiddleware), so the
# access log is off unless asked for; then it is one JSON-shaped line per request on stdout.
accesslog = "-" if os.environ.get("YIWANG_ACCESS_LOG", "").lower() in {"1", "true", "yes", "on"} else None
access_log_format = (
    '{"time": "%(t)s", "remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", "query": "%(q)s", '
    '"status": %(s)s, "bytes": "%(b)s", "duration_ms": %(M)s, "pid": "%(p)s"}'
)
errorlog = "-"
loglevel = os.environ.get("YIWANG_GUNICORN_LOG_LEVEL", "info")

# No control socket: several servers (tests, benchmarks) may run side by side on one machine.
control_socket_disable = True
proc_name = "yiwang"
