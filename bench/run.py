"""Catalogue API benchmark: `make bench` (or `.venv/bin/python bench/run.py --help`).

For each database (SQLite, PostgreSQL) and catalogue size it generates the items once (kept under
bench/results/ and reused), starts the production server (`yiwang serve`: gunicorn, 2 workers) on a
loopback port, and measures requests per second for

- no-op: GET /api/noop, an empty API endpoint: same middleware, routing and rate limiter as the others;
  /healthz (no routing into the API, not logged) is measured too, for reference;
- detail: GET /api/catalog/implementations/{code} for random codes;
- list: GET /api/catalog/implementations with a mix of filters and pages 1–10 (20 rows a page).

Endpoints run in interleaved rounds, each measurement right after a no-op measurement of its own, and
its ratio is taken against that neighbour (the machine's capacity can change between measurements);
each figure is the median over rounds. Targets:
detail ≥ 60 % of the no-op, list ≥ 40 %. Memory is the RSS (and PSS) of each worker after the run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import catalog_bench as cb  # the bench folder is not a package

TARGETS = {"detail": 0.60, "list": 0.40}
ENDPOINTS = ("noop", "healthz", "detail", "list")


@dataclass
class Row:
    db: str
    items: int
    endpoint: str
    rps: float
    ratio: float
    ratio_healthz: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    cpu_ms: float = 0.0  # server CPU (workers + database backends) per request, median over rounds
    cpu_ratio: float = 0.0  # the paired no-op's CPU per request over this endpoint's: load-independent


def _items(value: str) -> list[int]:
    try:
        return [int(part.replace("_", "")) for part in value.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            "--items takes numbers separated by commas, e.g. 100000,1000000"
        ) from None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--items", type=_items, default=[100_000], help="catalogue sizes, e.g. 100000,1000000"
    )
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one measurement (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per endpoint (default 3)")
    parser.add_argument(
        "--warmup",
        type=float,
        default=15.0,
        help="seconds of load per endpoint before the rounds (default 15): each worker's read cache holds "
        "the 5,000 detail paths and the list pages only after it has served them once",
    )
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections (default 8)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", choices=("gthread", "sync"), default="gthread")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (default 4)")
    parser.add_argument("--cache", choices=("locmem", "redis"), default="locmem")
    parser.add_argument("--fresh", action="store_true", help="drop and regenerate the bench databases")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra setting for the server, e.g. YIWANG_DB_HEALTH_CHECKS=0 (repeatable)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 60 or not 0 < args.rounds <= 10 or not 0 < args.connections <= 64:
        parser.error("bounded runs only: 0 < --seconds ≤ 60, 0 < --rounds ≤ 10, 0 < --connections ≤ 64")
    return args


def bench_target(
    target: cb.Target, args: argparse.Namespace
) -> tuple[list[Row], list[cb.Memory], cb.Prepared]:
    log = target.data_dir / "prepare.log"
    print(f"\n== {target.name}: preparing (migrate, generate up to {target.items:,} items) …", flush=True)
    prepared = cb.prepare(target, log=log)
    if prepared.generated:
        print(
            f"   generated {prepared.generated:,} items in {prepared.generate_seconds:.0f} s "
            f"({prepared.rows_per_second:,.0f} items/s)",
            flush=True,
        )
    extra = dict(item.split("=", 1) for item in args.env)
    # As docs/operations.md advises for a known number of kept-alive connections: a little above an even
    # share per worker, so one worker cannot take all of wrk's connections (`--env` overrides it).
    extra.setdefault("YIWANG_WORKER_CONNECTIONS", str(-(-args.connections // args.workers) + 8))
    server = cb.start_server(
        target, workers=args.workers, worker_class=args.worker_class, threads=args.threads, extra_env=extra
    )
    work = target.data_dir / "load"
    try:
        paths = {
            "noop": ["/api/noop"],
            "healthz": ["/healthz"],
            "detail": cb.detail_paths(target),
            "list": cb.list_paths(server.base, cb.list_filters(target, seed=1), seed=1),
        }
        print(f"   server on {server.base} (pid {server.process.pid}); warming up …", flush=True)
        for endpoint in ENDPOINTS:  # fills each worker's caches and the database's page cache
            seconds = args.warmup if endpoint in ("detail", "list") else 2
            cb.run_load(
                server.base, paths[endpoint], seconds=seconds, connections=args.connections, work=work
            )
        results: dict[str, list[cb.Load]] = {endpoint: [] for endpoint in ENDPOINTS}
        # Each endpoint's measurement follows a no-op measurement of its own, and its ratio is taken
        # against that one: this VM's capacity can change by a factor of three from one 5-s measurement
        # to the next (no-op and /healthz together), so only neighbours in time share a machine.
        paired: dict[str, list[cb.Load]] = {endpoint: [] for endpoint in ENDPOINTS}
        cpu_ms: dict[int, float] = {}
        others = [endpoint for endpoint in ENDPOINTS if endpoint != "noop"]
        for round_number in range(args.rounds):
            order = others[round_number % len(others) :] + others[: round_number % len(others)]
            for endpoint in order:
                for name in ("noop", endpoint):
                    before = cb.server_cpu(server, target)
                    load = cb.run_load(
                        server.base,
                        paths[name],
                        seconds=args.seconds,
                        connections=args.connections,
                        work=work,
                    )
                    cpu_ms[id(load)] = (cb.server_cpu(server, target) - before) * 1000 / max(1, load.requests)
                    if name == "noop":
                        paired[endpoint].append(load)
                        results["noop"].append(load)
                    else:
                        results[endpoint].append(load)
                    print(
                        f"   round {round_number + 1}: {name:8s} {load.requests_per_second:9,.0f} req/s",
                        flush=True,
                    )
        paired["noop"] = results["noop"]
        memories = [cb.memory(pid) for pid in server.workers()]
    finally:
        code = server.stop()
        print(f"   server stopped (exit {code})", flush=True)
    rows = []
    for endpoint in ENDPOINTS:
        loads = results[endpoint]
        ratios = [
            load.requests_per_second / noop.requests_per_second
            for load, noop in zip(loads, paired[endpoint], strict=True)
        ]
        # /healthz against its own paired no-op: this endpoint's no-op ratio over /healthz's.
        healthz_ratio = cb.median(
            [
                h.requests_per_second / n.requests_per_second
                for h, n in zip(results["healthz"], paired["healthz"], strict=True)
            ]
        )
        ratios_h = [ratio / healthz_ratio for ratio in ratios]
        rows.append(
            Row(
                db=target.db,
                items=prepared.published,
                endpoint=endpoint,
                rps=cb.median([load.requests_per_second for load in loads]),
                ratio=cb.median(ratios),
                ratio_healthz=cb.median(ratios_h),
                p50_ms=cb.median([load.p50_ms for load in loads]),
                p99_ms=cb.median([load.p99_ms for load in loads]),
                errors=sum(load.errors for load in loads),
                requests=sum(load.requests for load in loads),
                cpu_ms=cb.median([cpu_ms[id(load)] for load in loads]),
                cpu_ratio=cb.median(
                    [
                        cpu_ms[id(noop)] / cpu_ms[id(load)]
                        for load, noop in zip(loads, paired[endpoint], strict=True)
                        if cpu_ms[id(load)] > 0
                    ]
                    or [0.0]
                ),
            )
        )
    return rows, memories, prepared


def table(rows: list[Row]) -> str:
    lines = [
        "| database | items | endpoint | req/s | ratio to no-op | target | met | ratio to /healthz | p50 ms | p99 ms | errors "
        "| server CPU ms/req | CPU ratio to no-op |",
        "|---|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        target = TARGETS.get(row.endpoint)
        met = "" if target is None else ("yes" if row.ratio >= target else "**no**")
        lines.append(
            f"| {row.db} | {row.items:,} | {row.endpoint} | {row.rps:,.0f} | {row.ratio:.0%} | "
            f"{'' if target is None else f'≥ {target:.0%}'} | {met} | {row.ratio_healthz:.0%} | "
            f"{row.p50_ms:.1f} | {row.p99_ms:.1f} | {row.errors} | {row.cpu_ms:.3f} | {row.cpu_ratio:.0%} |"
        )
    return "\n".join(lines)


def memory_table(memories: dict[str, list[cb.Memory]]) -> str:
    lines = ["| database | worker pid | RSS MiB | PSS MiB | private MiB |", "|---|---:|---:|---:|---:|"]
    for name, found in memories.items():
        for memory in found:
            lines.append(
                f"| {name} | {memory.pid} | {memory.rss_mib:.0f} | {memory.pss_mib:.0f} | {memory.private_mib:.0f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    machine = cb.machine(postgres="postgres" in databases)
    tool = cb.load_tool()
    print(
        f"machine: {machine.cpus} CPUs ({machine.cpu_model}), {machine.memory_gib} GiB, Python {machine.python}, "
        f"SQLite {machine.sqlite}" + (f", PostgreSQL {machine.postgres}" if machine.postgres else "")
    )
    print(
        f"load: {tool}, {args.connections} connections, {args.rounds} rounds × {args.seconds:g} s per endpoint; "
        f"server: gunicorn {args.workers} {args.worker_class} workers"
        + (f" × {args.threads} threads" if args.worker_class == "gthread" else "")
        + f", cache {args.cache}"
        + (f"; server env: {' '.join(args.env)}" if args.env else "")
    )
    all_rows: list[Row] = []
    memories: dict[str, list[cb.Memory]] = {}
    generation: dict[str, dict[str, float]] = {}
    for items in args.items:
        for db in databases:
            target = cb.Target(db=db, items=items, cache=args.cache)
            if args.fresh:
                cb.drop(target)
            rows, found, prepared = bench_target(target, args)
            all_rows += rows
            memories[target.name] = found
            if prepared.generated:
                generation[target.name] = {
                    "items": prepared.generated,
                    "seconds": round(prepared.generate_seconds, 1),
                    "items_per_second": round(prepared.rows_per_second),
                }
    print(f"\nResults ({dt.date.today().isoformat()}, load generator: {tool}):\n")
    print(table(all_rows))
    print("\nMemory per worker after the run:\n")
    print(memory_table(memories))
    if generation:
        print("\nGeneration:", json.dumps(generation, ensure_ascii=False))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "date": dt.datetime.now().isoformat(timespec="seconds"),
                    "machine": asdict(machine),
                    "load_tool": tool,
                    "args": {k: str(v) for k, v in vars(args).items()},
                    "rows": [asdict(row) for row in all_rows],
                    "memory": {k: [asdict(m) for m in v] for k, v in memories.items()},
                    "generation": generation,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    failed = [row for row in all_rows if row.errors]
    if failed:
        print("\nsome requests failed: " + ", ".join(f"{r.db}/{r.endpoint}: {r.errors}" for r in failed))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
