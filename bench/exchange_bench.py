"""Exchange gateway benchmark: calls per second with grant checks and the audit chain, on PostgreSQL.

    .venv/bin/python bench/exchange_bench.py                       # PostgreSQL at BENCH_PG_URL, 5 s each
    .venv/bin/python bench/exchange_bench.py --seconds 10 --threads 4 --people 500
    .venv/bin/python bench/exchange_bench.py --db sqlite           # the embedded default instead

1. A bench database of its own (PostgreSQL: bench_yiwang_exchange on BENCH_PG_URL, default
   postgres://postgres@127.0.0.1:5432; or SQLite under bench/results/exchange-sqlite/), migrated, holding
   --people persons in the population registry, the population resource, one consuming organisation with
   an approved grant and an SM2 key.
2. Measured, each bounded by --seconds and --max-calls:
   - gateway (in-process): `gateway.query` — resource and grant lookup, field check, rate-limit counter,
     registry read, then one transaction with the audit row (SM3 hash chain, head row locked) and the
     call-log row. 1 thread, then --threads threads (the chain head serialises the appends).
   - signed HTTP (in-process, Django test client, no server): JSON parse, SM2 signature verification
     (gmssl, pure Python), nonce insert, then the same gateway call. Client-side signing is done before
     the clock starts, so the figure is the server's cost.
   - refused (no grant): the same path ending in a refusal, still audited.
   - audit verify: `audit.verify_chain()` over every row written, rows per second.
Loopback only; nothing leaves the machine. Exits non-zero when a call that should succeed did not.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
PG_NAME = "bench_yiwang_exchange"
PATH = "/api/exchange/gateway/query"


def _configure(db: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    if db == "postgres":
        base = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
        os.environ["DATABASE_URL"] = f"{base}/{PG_NAME}"
        _create_pg_database(base)
    else:
        folder = RESULTS / "exchange-sqlite"
        folder.mkdir(parents=True, exist_ok=True)
        os.environ.pop("DATABASE_URL", None)
        os.environ["YIWANG_SQLITE_PATH"] = str(folder / "bench.sqlite3")
    os.environ.setdefault("YIWANG_DATA_DIR", str(RESULTS))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    os.environ.setdefault("YIWANG_CACHE_PREFIX", "exchange-bench-")
    os.environ.setdefault("YIWANG_LOG_LEVEL", "WARNING")
    os.environ["YIWANG_PUBLIC_API_RATE"] = (
        "100000000"  # the per-address API throttle would cap the HTTP rows  # one request line per call would swamp the table
    )
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    settings.YIWANG_PUBLIC_API_RATE = 100_000_000
    settings.YIWANG_EXCHANGE_RATE = (
        0  # measure the gateway, not the limiter's refusals (the counter still runs when >0)
    )


def _create_pg_database(base: str) -> None:
    import psycopg

    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_NAME,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{PG_NAME}"')


def _setup(people: int) -> dict[str, Any]:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from stdnum.cn import ric

    from yiwang.accounts import registries
    from yiwang.accounts.models import RegistryPerson
    from yiwang.core.models import Organisation, Region, RegionLevel
    from yiwang.exchange import services
    from yiwang.exchange.models import Credential, Grant, GrantStatus, SharingType, SubjectKind

    region, _ = Region.objects.get_or_create(
        code="330000", defaults={"name": "浙江省", "level": RegionLevel.PROVINCE}
    )
    provider, _ = Organisation.objects.get_or_create(
        uscc="11330000002482173L", defaults={"name": "基准测试公安厅", "region": region}
    )
    consumer, _ = Organisation.objects.get_or_create(
        uscc="11330000002482181E", defaults={"name": "基准测试民政厅", "region": region}
    )
    stranger, _ = Organisation.objects.get_or_create(
        uscc="11330000002482190D", defaults={"name": "基准测试无授权单位", "region": region}
    )
    resource = services.save_resource(
        actor=None,
        provider=provider,
        code="BENCH-GA-0001",
        name="人口基础信息（基准测试）",
        sharing_type=SharingType.CONDITIONAL,
        sharing_basis="基准测试",
        subject_kind=SubjectKind.PERSON,
        adapter="population",
        fields=[{"code": "name", "name": "姓名"}, {"code": "household_status", "name": "户籍状态"}],
    )
    if not Grant.objects.filter(resource=resource, consumer=consumer, status=GrantStatus.APPROVED).exists():
        grant = services.request_grant(
            actor=None,
            resource=resource,
            consumer=consumer,
            fields=["name", "household_status"],
            purpose="基准测试",
            basis="基准测试",
        )
        services.approve_grant(grant, actor=None)
    numbers = []
    for n in range(people):
        first17 = f"330106{19600101 + (n % 28):08d}{n % 1000:03d}"
        number = first17 + ric.calc_check_digit(first17 + "0")
        numbers.append(number)
    existing = set(RegistryPerson.objects.values_list("resident_id_index", flat=True))
    for n, number in enumerate(numbers):
        if registries.resident_id_index(number) not in existing:
            registries.add_registry_person(f"基准{n}", number)
    Credential.objects.filter(organisation=consumer).update(revoked_at=None)
    credential, private_hex = services.issue_credential(actor=None, organisation=consumer, label="bench")
    return {
        "resource": resource,
        "consumer": consumer,
        "stranger": stranger,
        "numbers": sorted(set(numbers)),
        "key_id": credential.key_id,
        "private_hex": private_hex,
    }


def _measure(work: Any, seconds: float, max_calls: int, threads: int) -> tuple[float, int, int]:
    """Run `work(i) -> bool` from `threads` threads until the time or call budget is spent."""
    from django.db import connection

    counter = {"n": 0, "bad": 0}
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def loop() -> None:
        try:
            while time.perf_counter() < deadline:
                with lock:
                    if counter["n"] >= max_calls:
                        return
                    i = counter["n"]
                    counter["n"] += 1
                if not work(i):
                    with lock:
                        counter["bad"] += 1
        finally:
            connection.close()

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(loop) for _ in range(threads)]:
            future.result()
    elapsed = time.perf_counter() - started
    return counter["n"] / elapsed, counter["n"], counter["bad"]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement (≤ 30)")
    parser.add_argument("--max-calls", type=int, default=5000, help="per measurement")
    parser.add_argument("--threads", type=int, default=4, help="threads for the concurrent measurement")
    parser.add_argument("--people", type=int, default=200, help="persons in the population registry")
    args = parser.parse_args()
    seconds = min(max(args.seconds, 0.5), 30.0)
    _configure(args.db)

    from django.test import Client

    from yiwang.core import audit
    from yiwang.core.models import AuditEntry
    from yiwang.exchange import gateway, signing
    from yiwang.exchange.models import CallResult

    data = _setup(args.people)
    numbers: list[str] = data["numbers"]
    code = data["resource"].code

    def in_process(consumer: Any, expect: str) -> Any:
        def work(i: int) -> bool:
            reply = gateway.query(
                consumer,
                gateway.Query(
                    resource_code=code,
                    fields=["name", "household_status"],
                    subject=numbers[i % len(numbers)],
                    purpose="基准测试：核验申请人",
                    case_number=f"BENCH{i:08d}",
                ),
            )
            return bool(reply.result == expect)

        return work

    rows: list[tuple[str, str, str]] = []
    rows_before = AuditEntry.objects.count()
    for threads in (1, args.threads):
        rate, n, bad = _measure(in_process(data["consumer"], CallResult.OK), seconds, args.max_calls, threads)
        rows.append(
            (f"gateway, in-process, {threads} thread(s)", f"{rate:,.0f}/s", f"{n} calls, {bad} failed")
        )
    rate, n, bad = _measure(in_process(data["stranger"], CallResult.DENIED), seconds, args.max_calls, 1)
    rows.append(("gateway, refused (no grant), 1 thread", f"{rate:,.0f}/s", f"{n} calls, {bad} unexpected"))

    # Signed HTTP: sign outside the clock (the client's cost), then send.
    budget = min(args.max_calls, int(seconds * 60) + 10)
    prepared = []
    for i in range(budget):
        body = json.dumps(
            {
                "resource": code,
                "fields": ["name", "household_status"],
                "subject": numbers[i % len(numbers)],
                "purpose": "基准测试：核验申请人",
                "case_number": f"HTTP{i:08d}",
            },
            ensure_ascii=False,
        ).encode()
        headers = signing.sign_headers(
            private_hex=data["private_hex"], key_id=data["key_id"], method="POST", path=PATH, body=body
        )
        prepared.append((body, headers))
    client = Client()
    failures = 0
    started = time.perf_counter()
    sent = 0
    for body, headers in prepared:
        if time.perf_counter() - started > seconds:
            break
        response = client.post(PATH, data=body, content_type="application/json", headers=headers)
        failures += response.status_code != 200
        sent += 1
    elapsed = time.perf_counter() - started
    rows.append(
        (
            "signed HTTP (SM2 verify + nonce + gateway)",
            f"{sent / elapsed:,.0f}/s",
            f"{sent} calls, {failures} failed",
        )
    )

    written = AuditEntry.objects.count() - rows_before
    started = time.perf_counter()
    problems = list(audit.verify_chain())
    elapsed = time.perf_counter() - started
    total = AuditEntry.objects.count()
    rows.append(
        ("audit.verify_chain()", f"{total / elapsed:,.0f} rows/s", f"{total} rows, {len(problems)} problems")
    )

    from django.db import connection

    print(
        f"\nExchange benchmark on {connection.vendor} ({args.people} persons, {written} audit rows written)\n"
    )
    width = max(len(r[0]) for r in rows)
    print(f"{'measurement'.ljust(width)}  {'rate':>14}  notes")
    for name, rate_text, notes in rows:
        print(f"{name.ljust(width)}  {rate_text:>14}  {notes}")
    ok = all("0 failed" in r[2] or "0 unexpected" in r[2] for r in rows[:-1]) and not problems
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
