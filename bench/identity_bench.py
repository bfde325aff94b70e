"""Identity benchmark: OIDC sign-in round trips and token endpoint throughput on the production server.

    .venv/bin/python bench/identity_bench.py            # 10 s per measurement, 4 connections
    .venv/bin/python bench/identity_bench.py --help

1. A bench database of its own (SQLite in bench/results/identity-sqlite/, or --db postgres: the database
   bench_yiwang_identity on BENCH_PG_URL), migrated; one person (Argon2-hashed password, the production
   hasher) and one confidential relying party registered without a consent screen.
2. `yiwang serve` (gunicorn, 2 gthread workers by default) on a free loopback port.
3. The person signs in once through the pages (password, then the SMS code from the file gateway); every
   client thread reuses that signed-in session, as a browser already signed in to the portal would.
4. Measured, each bounded by --seconds and --max-requests:
   - sign-in: one OIDC round trip = GET /o/authorize/ (PKCE S256) → 302 with the code → POST /o/token/
     (code + verifier + client secret) → GET /o/userinfo/ with the access token;
   - refresh: POST /o/token/ with grant_type=refresh_token (refresh tokens rotate: each thread carries its
     newest one);
   - floor: the configured password hasher (Argon2id at the OWASP cost) alone, hashes per second in one process and in as many
     processes as server workers. django-oauth-toolkit stores client secrets hashed with the password
     hasher, so every token request pays one Argon2 verification: the hasher is the floor of the token
     endpoint, not only of password sign-in.
Loopback only; exits non-zero when any request failed.
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import datetime as dt
import hashlib
import json
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
VENV_BIN = Path(sys.executable).parent
YIWANG = VENV_BIN / "yiwang"
HOST = "127.0.0.1"
PHONE = "13800138000"
PASSWORD = "Bench-Identity-Mima-2026"  # noqa: S105 - a throwaway account in a throwaway database
REDIRECT_URI = "http://127.0.0.1/bench-callback"
CLIENT_ID = "identity-bench"
CLIENT_SECRET = "identity-bench-secret-0123456789abcdef"  # noqa: S105 - bench database only

SETUP = """
import django, json
django.setup()
from django.contrib.auth import get_user_model
from oauth2_provider.models import get_application_model
User = get_user_model()
user = User.objects.filter(username=PHONE).first()
if user is None:
    user = User.objects.create_user(username=PHONE, password=PASSWORD, phone=PHONE, display_name="基准测试用户")
App = get_application_model()
App.objects.filter(client_id=CLIENT_ID).delete()
App.objects.create(
    name="基准测试系统", client_id=CLIENT_ID, client_secret=CLIENT_SECRET, user=None,
    client_type=App.CLIENT_CONFIDENTIAL, authorization_grant_type=App.GRANT_AUTHORIZATION_CODE,
    redirect_uris=REDIRECT_URI, algorithm=App.RS256_ALGORITHM, skip_authorization=True,
)
print(json.dumps({"hasher": user.password.split("$", 1)[0]}))
"""

ARGON2_FLOOR = """
import django, json, sys, time
django.setup()
from django.contrib.auth.hashers import get_hasher
hasher = get_hasher()  # the production hasher: the first of PASSWORD_HASHERS
seconds, limit = float(sys.argv[1]), int(sys.argv[2])
count, start = 0, time.perf_counter()
while time.perf_counter() - start < seconds and count < limit:
    hasher.encode("Bench-Identity-Mima-2026", hasher.salt())
    count += 1
print(json.dumps({"hashes": count, "seconds": time.perf_counter() - start}))
"""


@dataclass
class Target:
    db: str
    data_dir: Path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env.update(
            DJANGO_SETTINGS_MODULE="yiwang.settings",
            YIWANG_DATA_DIR=str(self.data_dir),
            YIWANG_SMS_GATEWAY="file",
            YIWANG_SMS_OUTBOX=str(self.data_dir / "sms-outbox.log"),
            YIWANG_LOG_LEVEL="WARNING",
            YIWANG_CACHE_PREFIX="identity-bench",
        )
        if self.db == "postgres":
            base = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
            env["DATABASE_URL"] = f"{base}/bench_yiwang_identity"
        return env


@dataclass
class Measure:
    name: str
    done: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, latency: float | None) -> None:
        with self.lock:
            if latency is None:
                self.errors += 1
            else:
                self.done += 1
                self.latencies.append(latency)

    @property
    def per_second(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


# --- preparation -----------------------------------------------------------------------------------------


def run(argv: list[str], env: dict[str, str], *, timeout: float = 600) -> str:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} failed:\n{result.stderr[-2000:]}")
    return result.stdout


def create_postgres_database(env: dict[str, str]) -> None:
    code = (
        "import psycopg, sys\n"
        "base, name = sys.argv[1].rsplit('/', 1)\n"
        "with psycopg.connect(base + '/postgres', autocommit=True) as c:\n"
        "    if not c.execute('select 1 from pg_database where datname=%s', (name,)).fetchone():\n"
        "        c.execute(f'create database {name}')\n"
    )
    run([sys.executable, "-c", code, env["DATABASE_URL"]], env)


def prepare(target: Target, *, fresh: bool) -> str:
    if fresh and target.data_dir.exists():
        shutil.rmtree(target.data_dir)
    target.data_dir.mkdir(parents=True, exist_ok=True)
    env = target.env()
    if target.db == "postgres":
        create_postgres_database(env)
    run([str(YIWANG), "migrate", "--noinput", "-v", "0"], env)
    setup = SETUP
    for name in ("PHONE", "PASSWORD", "CLIENT_ID", "CLIENT_SECRET", "REDIRECT_URI"):
        setup = setup.replace(name, repr(globals()[name]))
    output = run([sys.executable, "-c", setup], env)
    return str(json.loads(output.strip().splitlines()[-1])["hasher"])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class Server:
    def __init__(self, target: Target, *, workers: int, threads: int) -> None:
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.log = target.data_dir / "server.log"
        argv = [str(YIWANG), "serve", "--host", HOST, "--port", str(self.port), "--workers", str(workers)]
        argv += ["--threads", str(threads), "--no-collectstatic"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(argv, env=target.env(), stdout=out, stderr=out)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {self.log}")
            try:
                if requests.get(self.base + "/readyz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server not ready after 90 s; see {self.log}")

    def stop(self) -> int:
        self.process.terminate()
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


# --- the relying party's and the browser's side ---------------------------------------------------------


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def latest_code(outbox: Path) -> str:
    code = ""
    for line in outbox.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry.get("phone") == PHONE and (match := re.search(r"(\d{6})", entry.get("message", ""))):
            code = match.group(1)
    if not code:
        raise RuntimeError(f"no SMS code for {PHONE} in {outbox}")
    return code


def sign_in(base: str, outbox: Path) -> dict[str, str]:
    """The browser signs in once (password + SMS code); returns its cookies."""
    browser = requests.Session()
    page = browser.get(f"{base}/account/signin/", timeout=30)
    response = browser.post(
        f"{base}/account/signin/",
        data={"identifier": PHONE, "password": PASSWORD, "csrfmiddlewaretoken": csrf_token(page.text)},
        headers={"Referer": f"{base}/account/signin/"},
        timeout=30,
    )
    response = browser.post(
        f"{base}/account/signin/code/",
        data={"code": latest_code(outbox), "csrfmiddlewaretoken": csrf_token(response.text)},
        headers={"Referer": f"{base}/account/signin/code/"},
        allow_redirects=False,
        timeout=30,
    )
    if response.status_code != 302:
        raise RuntimeError(f"sign-in failed: {response.status_code} {response.text[:300]}")
    return browser.cookies.get_dict()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def oidc_round_trip(session: requests.Session, base: str) -> dict[str, Any]:
    """authorize (PKCE) → code → token → userinfo; returns the token response."""
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(12)
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid profile",
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    response = session.get(f"{base}/o/authorize/?{query}", allow_redirects=False, timeout=30)
    location = response.headers.get("Location", "")
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    if response.status_code != 302 or params.get("state") != [state] or "code" not in params:
        raise RuntimeError(f"authorize: {response.status_code} {location[:200]} {response.text[:200]}")
    tokens = session.post(
        f"{base}/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": params["code"][0],
            "redirect_uri": REDIRECT_URI,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "code_verifier": verifier,
        },
        timeout=30,
    )
    if tokens.status_code != 200:
        raise RuntimeError(f"token: {tokens.status_code} {tokens.text[:200]}")
    body: dict[str, Any] = tokens.json()
    userinfo = session.get(
        f"{base}/o/userinfo/", headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=30
    )
    if userinfo.status_code != 200 or userinfo.json().get("sub") is None:
        raise RuntimeError(f"userinfo: {userinfo.status_code} {userinfo.text[:200]}")
    return body


def refresh(session: requests.Session, base: str, refresh_token: str) -> str:
    response = session.post(
        f"{base}/o/token/",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
        timeout=30,
    )
    if response.status_code != 200:
        raise RuntimeError(f"refresh: {response.status_code} {response.text[:200]}")
    return str(response.json()["refresh_token"])


# --- load ---------------------------------------------------------------------------------------------------


def load(
    name: str, base: str, cookies: dict[str, str], *, connections: int, seconds: float, limit: int
) -> Measure:
    measure = Measure(name)
    issued = iter(range(limit))
    issued_lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def take() -> bool:
        with issued_lock:
            return next(issued, None) is not None and time.perf_counter() < deadline

    def worker() -> None:
        session = requests.Session()
        session.cookies.update(cookies)
        refresh_token = ""
        if name == "refresh":
            refresh_token = str(oidc_round_trip(session, base)["refresh_token"])
        while take():
            start = time.perf_counter()
            try:
                if name == "sign-in":
                    oidc_round_trip(session, base)
                else:
                    refresh_token = refresh(session, base, refresh_token)
            except (RuntimeError, requests.RequestException, ValueError) as exc:
                measure.add(None)
                if measure.errors <= 3:
                    print(f"   {name} error: {exc}", flush=True)
                if name == "refresh":  # start again from a fresh token
                    try:
                        refresh_token = str(oidc_round_trip(session, base)["refresh_token"])
                    except (RuntimeError, requests.RequestException, ValueError):
                        return
            else:
                measure.add(time.perf_counter() - start)

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(connections) as pool:
        for future in [pool.submit(worker) for _ in range(connections)]:
            future.result()
    measure.seconds = time.perf_counter() - started
    return measure


def argon2_floor(env: dict[str, str], *, processes: int, seconds: float, limit: int) -> tuple[float, float]:
    """Hashes per second with the configured password hasher: (one process, `processes` processes together)."""

    def one() -> dict[str, float]:
        return dict(json.loads(run([sys.executable, "-c", ARGON2_FLOOR, str(seconds), str(limit)], env)))

    single = one()
    with concurrent.futures.ThreadPoolExecutor(processes) as pool:
        parallel = list(pool.map(lambda _i: one(), range(processes)))
    return (
        single["hashes"] / single["seconds"],
        sum(p["hashes"] / p["seconds"] for p in parallel),
    )


# --- report ---------------------------------------------------------------------------------------------------


def machine_line() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        memory_kib = 0
    return (
        f"{os.cpu_count()} CPUs ({model}), {memory_kib / 1024 / 1024:.0f} GiB, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def table(rows: list[tuple[str, str, str, str, str, str]]) -> str:
    lines = [
        "| measurement | per second | vs Argon2 floor (2 procs) | p50 ms | p99 ms | done / errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measurement (default 10)")
    parser.add_argument("--connections", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--max-requests", type=int, default=2000, help="cap per measurement (default 2000)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (default 4)")
    parser.add_argument("--fresh", action="store_true", help="start from an empty bench database")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    if not (0 < args.seconds <= 60 and 0 < args.connections <= 16 and 0 < args.max_requests <= 100_000):
        parser.error("bounded runs only: 0 < --seconds ≤ 60, 0 < --connections ≤ 16, --max-requests ≤ 100000")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    target = Target(args.db, RESULTS / f"identity-{args.db}")
    print(f"machine: {machine_line()}")
    print(f"== preparing {target.db} bench database in {target.data_dir} …", flush=True)
    hasher = prepare(target, fresh=args.fresh)
    print(f"   user password hashed with {hasher}", flush=True)
    server = Server(target, workers=args.workers, threads=args.threads)
    print(
        f"   server on {server.base}: gunicorn {args.workers} gthread workers × {args.threads} threads",
        flush=True,
    )
    try:
        cookies = sign_in(server.base, target.data_dir / "sms-outbox.log")
        warm = requests.Session()
        warm.cookies.update(cookies)
        for _ in range(2 * args.workers):  # load keys and code in every worker
            oidc_round_trip(warm, server.base)
        measures = []
        for name in ("sign-in", "refresh"):
            measure = load(
                name,
                server.base,
                cookies,
                connections=args.connections,
                seconds=args.seconds,
                limit=args.max_requests,
            )
            print(
                f"   {name:8s} {measure.per_second:8.1f}/s ({measure.done} done, {measure.errors} errors)",
                flush=True,
            )
            measures.append(measure)
    finally:
        print(f"   server stopped (exit {server.stop()})", flush=True)
    env = target.env()
    single, parallel = argon2_floor(env, processes=args.workers, seconds=min(args.seconds, 5.0), limit=500)
    rows = []
    for measure in measures:
        what = {
            "sign-in": "OIDC sign-in round trip (authorize + PKCE → token → userinfo)",
            "refresh": "token endpoint: refresh grant",
        }[measure.name]
        rows.append(
            (
                what,
                f"{measure.per_second:.1f}",
                f"{measure.per_second / parallel:.0%}" if parallel else "",
                f"{measure.percentile(0.5):.0f}",
                f"{measure.percentile(0.99):.0f}",
                f"{measure.done} / {measure.errors}",
            )
        )
    rows.append(("Argon2 hash alone, 1 process (Django's hasher)", f"{single:.1f}", "", "", "", ""))
    rows.append((f"Argon2 hash alone, {args.workers} processes", f"{parallel:.1f}", "100%", "", "", ""))
    print(
        f"\nResults ({dt.date.today().isoformat()}, {args.db}, {args.connections} connections, "
        f"{args.seconds:g} s per measurement):\n"
    )
    print(table(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "date": dt.datetime.now().isoformat(timespec="seconds"),
                    "machine": machine_line(),
                    "args": {k: str(v) for k, v in vars(args).items()},
                    "measures": [
                        {
                            "name": m.name,
                            "per_second": m.per_second,
                            "p50_ms": m.percentile(0.5),
                            "p99_ms": m.percentile(0.99),
                            "done": m.done,
                            "errors": m.errors,
                            "median_ms": statistics.median(m.latencies) * 1000 if m.latencies else 0,
                        }
                        for m in measures
                    ],
                    "argon2_per_second": {"one_process": single, "processes": parallel},
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    return 1 if any(m.errors for m in measures) else 0


if __name__ == "__main__":
    raise SystemExit(main())
