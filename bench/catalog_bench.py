"""Pieces of the catalogue benchmark: a prepared database, the production server, a bounded load generator.

Everything stays on this machine: the server listens on 127.0.0.1 only, every load run is bounded in time
and connections, and the generated data lives under bench/results/ (ignored by git), reused between runs.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import random
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
BIN = Path(sys.executable).parent
YIWANG = BIN / "yiwang"
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
HOST = "127.0.0.1"

WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
"""


# --- the database under test --------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    db: str  # "sqlite" or "postgres"
    items: int
    cache: str = "locmem"  # or "redis"

    @property
    def name(self) -> str:
        return f"{self.db}-{self.items}"

    @property
    def data_dir(self) -> Path:
        return RESULTS / f"data-{self.name}"

    @property
    def pg_database(self) -> str:
        return f"bench_yiwang_{self.items}"

    def env(self, *, rate: int = 1_000_000_000) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "PORT"}}
        env.update(
            {
                "YIWANG_DATA_DIR": str(self.data_dir),
                "YIWANG_SECRET_KEY": "bench-only-not-a-secret",
                # The benchmark measures the API, not the rate limiter's refusals: a limit it never reaches
                # (the counter still runs on every request, as in production).
                "YIWANG_PUBLIC_API_RATE": str(rate),
                "DJANGO_SETTINGS_MODULE": "yiwang.settings",
            }
        )
        if self.db == "postgres":
            env["DATABASE_URL"] = f"{PG_SERVER}/{self.pg_database}"
            # A catalogue API deployment turns prepared statements on (docs/benchmarks.md); `--env
            # YIWANG_DB_PREPARED_STATEMENTS=0` measures without them.
            env.setdefault("YIWANG_DB_PREPARED_STATEMENTS", "1")
        if self.cache == "redis":
            env["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
            env["YIWANG_CACHE_PREFIX"] = f"bench-{self.name}"
        return env


def _pg_connect(database: str) -> object:
    import psycopg

    return psycopg.connect(f"{PG_SERVER}/{database}", autocommit=True)


def query(target: Target, sql: str) -> list[tuple[object, ...]]:
    """Run one read-only statement directly against the target database."""
    if target.db == "sqlite":
        with sqlite3.connect(target.data_dir / "yiwang.sqlite3") as connection:
            return connection.execute(sql).fetchall()
    with _pg_connect(target.pg_database) as connection:  # type: ignore[attr-defined]
        return list(connection.execute(sql).fetchall())


def _ensure_pg_database(target: Target) -> None:
    with _pg_connect("postgres") as connection:  # type: ignore[attr-defined]
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [target.pg_database]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{target.pg_database}"')


def drop(target: Target) -> None:
    shutil.rmtree(target.data_dir, ignore_errors=True)
    if target.db == "postgres":
        with _pg_connect("postgres") as connection:  # type: ignore[attr-defined]
            connection.execute(f'DROP DATABASE IF EXISTS "{target.pg_database}"')


@dataclass
class Prepared:
    published: int
    generated: int
    generate_seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.generated / self.generate_seconds if self.generate_seconds else 0.0


def prepare(target: Target, *, log: Path) -> Prepared:
    """Migrate the bench database and generate items until it holds `target.items` published ones."""
    target.data_dir.mkdir(parents=True, exist_ok=True)
    if target.db == "postgres":
        _ensure_pg_database(target)
    env = target.env()
    with log.open("a") as out:
        subprocess.run(
            [str(YIWANG), "migrate", "--noinput", "-v", "0"], env=env, check=True, stdout=out, stderr=out
        )
    _analyze(target)  # a migration may have added an index the planner has no statistics for yet
    published = _published_count(target)
    missing = target.items - published
    seconds = 0.0
    if missing > 0:
        started = time.perf_counter()
        subprocess.run(
            [str(YIWANG), "generate", "--items", str(missing), "--batch", "5000"], env=env, check=True
        )
        seconds = time.perf_counter() - started
    return Prepared(published=_published_count(target), generated=max(missing, 0), generate_seconds=seconds)


def _analyze(target: Target) -> None:
    if target.db == "sqlite":
        with sqlite3.connect(target.data_dir / "yiwang.sqlite3") as connection:
            connection.execute("ANALYZE catalog_implementation")
    else:
        with _pg_connect(target.pg_database) as connection:  # type: ignore[attr-defined]
            connection.execute("VACUUM (ANALYZE) catalog_implementation")


def _published_count(target: Target) -> int:
    rows = query(target, "SELECT count(*) FROM catalog_implementation WHERE public_status = 'published'")
    return int(rows[0][0])  # type: ignore[call-overload]


# --- the production server ----------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def workers(self) -> list[int]:
        """Pids of gunicorn's workers: the children of the master (this process, after exec)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                found.append(int(stat.parent.name))
        return sorted(found)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                return self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                return self.process.wait()
        return self.process.returncode


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(
    target: Target,
    *,
    workers: int,
    worker_class: str,
    threads: int,
    extra_env: dict[str, str] | None = None,
    timeout: float = 240.0,  # a loaded 2-core machine can take minutes to import and check
) -> Server:
    port = free_port()
    log = target.data_dir / "server.log"
    argv = [str(YIWANG), "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
    argv += ["--worker-class", worker_class, "--threads", str(threads)]
    out = log.open("ab")
    process = subprocess.Popen(argv, env={**target.env(), **(extra_env or {})}, stdout=out, stderr=out)
    server = Server(process, port, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}; see {log}")
        try:
            status, _body = get(server.base + "/readyz")
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"server not ready after {timeout:.0f} s; see {log}")


def get(url: str) -> tuple[int, bytes]:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@dataclass(frozen=True)
class Memory:
    pid: int
    rss_mib: float
    pss_mib: float
    private_mib: float


def _cpu_seconds(pid: int) -> float:
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu(server: Server, target: Target) -> float:
    """CPU seconds used so far by the server's workers and, on PostgreSQL, the target database's backends
    (a measurement's cost is the difference; the load generator's own CPU is not counted)."""
    pids = server.workers()
    if target.db == "postgres":
        rows = query(
            target,
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        pids += [int(row[0]) for row in rows]
    return sum(_cpu_seconds(pid) for pid in pids)


def memory(pid: int) -> Memory:
    """RSS from /proc/<pid>/status; PSS (shared pages split among their users) and private (USS: pages
    only this process uses) from smaps_rollup. RSS counts the mapped database file and the code shared
    with the master and the other worker, so PSS and private are the fairer "memory per worker".
    """

    def kib(path: Path, key: str) -> float:
        try:
            for line in path.read_text().splitlines():
                if line.startswith(key):
                    return float(line.split()[1])
        except OSError:
            pass
        return 0.0

    proc = Path("/proc") / str(pid)
    rollup = proc / "smaps_rollup"
    private = kib(rollup, "Private_Clean:") + kib(rollup, "Private_Dirty:")
    return Memory(pid, kib(proc / "status", "VmRSS:") / 1024, kib(rollup, "Pss:") / 1024, private / 1024)


# --- what to request ----------------------------------------------------------------------------------


def detail_paths(target: Target, count: int = 5000) -> list[str]:
    sql = "SELECT implementation_code FROM catalog_implementation WHERE public_status = 'published' "
    rows = query(target, sql + f"ORDER BY random() LIMIT {int(count)}")
    return [f"/api/catalog/implementations/{row[0]}" for row in rows]


LIST = "/api/catalog/implementations"
MAX_PAGE = 10  # people page through a list a few pages deep; a deep walk is the open-data export's job


def list_filters(target: Target, seed: int) -> list[dict[str, str]]:
    """A mix of what people filter by: regions at every level, type, audience, depth, organisation."""
    rng = random.Random(seed)
    regions = [str(row[0]) for row in query(target, "SELECT DISTINCT region_id FROM catalog_implementation")]
    prefectures = sorted({code[:4] + "00" for code in regions if not code.endswith("0000")})
    counties = sorted(code for code in regions if not code.endswith("00"))
    organisations = [
        str(row[0])
        for row in query(target, "SELECT DISTINCT organisation_id FROM catalog_implementation LIMIT 500")
    ]
    types = ["01", "05", "07", "20"]
    filters: list[dict[str, str]] = [{}]
    filters += [{"region": code[:2] + "0000"} for code in regions[:1]]
    filters += [{"region": code} for code in prefectures]
    filters += [{"region": code} for code in rng.sample(counties, min(10, len(counties)))]
    filters += [{"item_type": t} for t in types]
    filters += [{"audience": "person"}, {"audience": "enterprise"}]
    filters += [{"online_depth": "3"}, {"fully_online": "true"}]
    filters += [{"organisation": org} for org in rng.sample(organisations, min(5, len(organisations)))]
    filters += [
        {"region": rng.choice(prefectures), "item_type": "01"} if prefectures else {"item_type": "01"},
        {"region": rng.choice(counties), "audience": "person"} if counties else {"audience": "person"},
        {"item_type": "20", "online_depth": "4"},
    ]
    return filters


def list_paths(base: str, filters: Sequence[dict[str, str]], seed: int) -> list[str]:
    """Each filter with the pages it really has (asked of the server), up to MAX_PAGE, page size 20."""
    rng = random.Random(seed)
    paths = []
    for params in filters:
        status, body = get(f"{base}{LIST}?{urllib.parse.urlencode(params)}")
        if status != 200:
            raise RuntimeError(f"list {params} answered {status}: {body[:200]!r}")
        pages = min(json.loads(body)["pages"], MAX_PAGE)
        for page in sorted({1, *(rng.randint(1, pages) for _ in range(4))}):
            paths.append(f"{LIST}?{urllib.parse.urlencode({**params, 'page': page})}")
    return paths


# --- the load generator -------------------------------------------------------------------------------


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    tool: str


def load_tool() -> str:
    return "wrk" if shutil.which("wrk") else "python"


def run_load(base: str, paths: Sequence[str], *, seconds: float, connections: int, work: Path) -> Load:
    if load_tool() == "wrk":
        return _wrk(base, paths, seconds=seconds, connections=connections, work=work)
    return _python_load(base, paths, seconds=seconds, connections=connections)


def _wrk(base: str, paths: Sequence[str], *, seconds: float, connections: int, work: Path) -> Load:
    work.mkdir(parents=True, exist_ok=True)
    script, listing = work / "paths.lua", work / "paths.txt"
    script.write_text(WRK_SCRIPT)
    listing.write_text("\n".join(paths) + "\n")
    output = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--latency",
            "-s",
            str(script),
            base,
        ],
        env={**os.environ, "BENCH_PATHS": str(listing)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def number(pattern: str, default: float = 0.0) -> float:
        match = re.search(pattern, output)
        return float(match.group(1)) if match else default

    def millis(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        if not match:
            return 0.0
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = int(number(r"Non-2xx or 3xx responses:\s+(\d+)"))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    return Load(
        requests_per_second=number(r"Requests/sec:\s+([\d.]+)"),
        p50_ms=millis("50"),
        p99_ms=millis("99"),
        errors=errors,
        requests=int(number(r"(\d+) requests in")),
        tool="wrk",
    )


def _python_load(base: str, paths: Sequence[str], *, seconds: float, connections: int) -> Load:
    """Fallback: `connections` threads with keep-alive connections, for `seconds` seconds."""
    parts = urllib.parse.urlsplit(base)
    stop_at = time.perf_counter() + seconds
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine: list[float] = []
        bad = 0
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                connection.request("GET", rng.choice(paths))
                response = connection.getresponse()
                response.read()
                if response.status >= 300:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            mine.append(time.perf_counter() - started)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000 if latencies else 0.0
    p99 = latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0.0
    return Load(len(latencies) / elapsed, p50, p99, errors[0], len(latencies), "python")


# --- the machine ---------------------------------------------------------------------------------------


@dataclass
class Machine:
    cpus: int
    cpu_model: str
    memory_gib: float
    python: str
    sqlite: str
    postgres: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def machine(postgres: bool) -> Machine:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line), "")
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    total = next(
        (float(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal")), 0.0
    )
    version = ""
    if postgres:
        try:
            with _pg_connect("postgres") as connection:  # type: ignore[attr-defined]
                version = str(connection.execute("SHOW server_version").fetchone()[0])
        except Exception as exc:  # the table says why instead of failing
            version = f"unavailable ({exc.__class__.__name__})"
    return Machine(
        cpus=os.cpu_count() or 0,
        cpu_model=model or platform.processor(),
        memory_gib=round(total / 1024 / 1024, 1),
        python=platform.python_version(),
        sqlite=sqlite3.sqlite_version,
        postgres=version,
    )


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0
