"""A harness that runs REAL Yiwang nodes side by side: each its own SQLite database and data folder, its own
server process on a loopback port, its own SM2 key, registered with the others through
`yiwang federation card` / `add-peer` exactly as operators do it.

Migrations are slow, so the database is migrated ONCE into a template file and copied for every node.
Nodes are driven through HTTP (the signed inbox, the pages) and `yiwang` subprocess commands
(`yiwang shell -c` for setup and for the clerks' actions at the deciding node).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
YIWANG = str(REPO / ".venv" / "bin" / "yiwang")
RESULT_MARK = "@@RESULT@@"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _base_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YIWANG_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(
        {
            "YIWANG_DATA_DIR": str(data_dir),
            "YIWANG_SECRET_KEY": secrets.token_urlsafe(40),
            "YIWANG_FIELD_KEY": secrets.token_hex(32),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def migrate_template(directory: Path) -> Path:
    """Migrate an empty database once; nodes start from copies of it."""
    directory.mkdir(parents=True, exist_ok=True)
    database = directory / "yiwang.sqlite3"
    ready = directory / "ready"
    if not ready.exists():
        env = _base_env(directory)
        for command in (["migrate", "-v0"], ["calendar", "seed"]):  # deadlines need the holiday calendar
            subprocess.run([YIWANG, *command], env=env, check=True, capture_output=True, timeout=900)
        ready.write_text("migrated and calendar seeded\n")
    return database


@dataclass
class Node:
    code: str
    name: str
    role: str
    root: Path
    port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.root / self.code

    def prepare(self, template: Path) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(template, self.data_dir / "yiwang.sqlite3")
        self.env = _base_env(self.data_dir)
        self.env.update(
            {
                "YIWANG_NODE_CODE": self.code,
                "YIWANG_NODE_NAME": self.name,
                "YIWANG_NODE_ROLE": self.role,
                "YIWANG_NODE_URL": self.url,
                "YIWANG_REGION_CODE": self.code,
                "YIWANG_ALLOWED_HOSTS": "127.0.0.1,localhost",
            }
        )

    # --- commands ---------------------------------------------------------------------------------------

    def run(self, *args: str, input_text: str | None = None, timeout: float = 600) -> str:
        done = subprocess.run(
            [YIWANG, *args],
            env=self.env,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=REPO,
        )
        if done.returncode != 0:
            raise AssertionError(
                f"node {self.code}: yiwang {' '.join(args)} failed ({done.returncode}):\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
            )
        return done.stdout

    def shell(self, code: str, timeout: float = 600, **values: Any) -> Any:
        """Run Python in the node's Django with `values` bound as variables; `result` comes back (JSON)."""
        assigned = "".join(f"{name} = json.loads({json.dumps(value)!r})\n" for name, value in values.items())
        program = (
            "import json\nresult = None\n"
            + assigned
            + textwrap.dedent(code)
            + f"\nprint({RESULT_MARK!r} + json.dumps(result, ensure_ascii=False, default=str))\n"
        )
        output = self.run("shell", "-c", program, timeout=timeout)
        for line in reversed(output.splitlines()):
            if line.startswith(RESULT_MARK):
                return json.loads(line[len(RESULT_MARK) :])
        raise AssertionError(f"node {self.code}: no result in shell output:\n{output[-3000:]}")

    def deliver(self, seconds: float = 120) -> str:
        return self.run("federation", "deliver", "--loop", "--seconds", str(seconds))

    def card(self) -> str:
        return self.run("federation", "card")

    def delivered_count(self, kind: str) -> int:
        """Delivered outbox messages of a kind, read straight from the node's database (no process start)."""
        with sqlite3.connect(f"file:{self.data_dir / 'yiwang.sqlite3'}?mode=ro", uri=True, timeout=30) as db:
            row = db.execute(
                "SELECT count(*) FROM federation_outboxmessage WHERE kind = ? AND status = 'delivered'",
                [kind],
            ).fetchone()
        return int(row[0])

    def outbox_counts(self) -> dict[str, int]:
        counts: dict[str, int] = self.shell(
            """
            from django.db.models import Count
            from yiwang.federation.models import OutboxMessage
            result = dict(OutboxMessage.objects.values_list("status").annotate(n=Count("id")))
            """
        )
        return counts

    # --- the server -------------------------------------------------------------------------------------

    def start(self, timeout: float = 120) -> None:
        log = (self.data_dir / "server.log").open("ab")
        self.process = subprocess.Popen(
            [YIWANG, "runserver", f"127.0.0.1:{self.port}", "--noreload", "--skip-checks"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"node {self.code} exited: {(self.data_dir / 'server.log').read_text()[-3000:]}"
                )
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"node {self.code} did not answer /healthz within {timeout} s")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (user + system), from /proc (Linux)."""
        if self.process is None:
            return 0.0
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.url + path, timeout=30, **kwargs)


def register_all(nodes: list[Node]) -> None:
    """Every node registers every other node's card (as operators exchange cards)."""
    cards = {node.code: node.card() for node in nodes}
    for node in nodes:
        for other in nodes:
            if other is not node:
                node.run("federation", "add-peer", "-", input_text=cards[other.code])


def python() -> str:
    return sys.executable
