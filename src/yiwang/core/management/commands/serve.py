"""`yiwang serve [--host 127.0.0.1] [--port 8000] [--workers 2]`: the production server (gunicorn).

Collects static files first (quietly; only changed files are copied), then replaces this process with
gunicorn serving yiwang.wsgi:application, so Ctrl-C and SIGTERM go straight to gunicorn's master, which
stops its workers and exits cleanly.
"""

from __future__ import annotations

import os
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

WORKER_CLASSES = ("gthread", "sync")


def gunicorn_argv(
    *,
    host: str,
    port: int,
    workers: int | None,
    threads: int | None,
    worker_class: str | None,
    access_log: bool,
) -> list[str]:
    """The gunicorn command line `serve` runs (options given here override yiwang.core.gunicorn_conf)."""
    argv = [sys.executable, "-m", "gunicorn", "-c", "python:yiwang.core.gunicorn_conf"]
    argv += ["--bind", f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    if workers is not None:
        argv += ["--workers", str(workers)]
    if threads is not None:
        argv += ["--threads", str(threads)]
    if worker_class is not None:
        argv += ["--worker-class", worker_class]
    if access_log:
        argv += ["--access-logfile", "-"]
    argv.append("yiwang.wsgi:application")
    return argv


class Command(BaseCommand):
    help = "以生产服务器（gunicorn）运行一网平台。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--host", default=os.environ.get("HOST", "127.0.0.1"), help="监听地址（默认 127.0.0.1）"
        )
        parser.add_argument(
            "--port",
            type=int,
            default=int(os.environ.get("PORT", "8000")),
            help="端口（默认取环境变量 PORT，否则 8000）",
        )
        parser.add_argument(
            "--workers", type=int, default=None, help="工作进程数（默认 2，或 YIWANG_WORKERS）"
        )
        parser.add_argument("--threads", type=int, default=None, help="每个进程的线程数（gthread，默认 4）")
        parser.add_argument("--worker-class", choices=WORKER_CLASSES, default=None, help="工作进程类型")
        parser.add_argument("--access-log", action="store_true", help="在标准输出记录访问日志（JSON 行）")
        parser.add_argument("--no-collectstatic", action="store_true", help="跳过收集静态文件")

    def handle(self, *args: Any, **options: Any) -> None:
        port = options["port"]
        if not 0 < port < 65536:
            raise CommandError(f"端口 {port} 无效：应为 1–65535。")
        if options["workers"] is not None and options["workers"] < 1:
            raise CommandError("--workers 至少为 1。")
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        argv = gunicorn_argv(
            host=options["host"],
            port=port,
            workers=options["workers"],
            threads=options["threads"],
            worker_class=options["worker_class"],
            access_log=options["access_log"],
        )
        self.stdout.write(f"一网平台启动于 http://{options['host']}:{port}/ （按 Ctrl-C 停止）")
        self.stdout.flush()
        connections.close_all()  # nothing of ours may leak into the server processes
        os.execv(argv[0], argv)  # noqa: S606 (our own interpreter, fixed arguments)
