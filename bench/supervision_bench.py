"""Supervision dashboard benchmark: time every dashboard panel over N cases (and M reviews) on PostgreSQL.

    .venv/bin/python bench/supervision_bench.py --cases 100000              # modest size (about 2 minutes)
    .venv/bin/python bench/supervision_bench.py --cases 1000000 --reviews 500000 --repeat 30   # the target

1. Data. A bench database (--database, default `bench_supervision_<cases>`) on --pg-url (default
   postgres://postgres@127.0.0.1:5432) is created and migrated if missing and reused by later runs (--fresh
   drops it). It gets the real region tree of the province, --organisations departments spread over its
   prefectures and counties, --items implementations with a published guide each (promised 3–15, legal 20
   working days), and N cases filed over the last --days days, written set-based: one INSERT … SELECT over
   generate_series per 200,000 cases (weighted item choice through a slot table, working days through a
   calendar index table), following the demo's distribution (supervision.demo._outcome: channels, 3 % not
   accepted, acceptance 0–2 working days, ~8 % decided late, recent ones still running), stored in filing
   order as in production. Then M reviews of random completed cases (about 5 % bad, each with a work order
   in a spread of statuses, 5 % of those upheld on appeal) the same way. Then `summary.rebuild()` builds the
   rollups (timed) and `summary.tidy_after_rebuild()` runs VACUUM ANALYZE, as `yiwang supervision rebuild`
   does (--rebuild forces a rebuild of existing data; --fill-only stops after the data).
2. Panels. Each dashboard panel (selectors.PANELS) and the first page of two drill-down lists run --repeat
   times for each scope: the whole province over 30 days, a quarter and a year; one prefecture for a
   quarter (as a prefecture supervisor, so the permission filter is in the query); one organisation for a
   year. The table shows p50 and p95 wall milliseconds per panel (over all scopes and repetitions), the CPU
   milliseconds per call (this process plus its PostgreSQL backend, read from /proc: robust against other
   load on the machine) and the worst scope; the target is p95 ≤ 200 ms for every panel. Panels are called
   uncached (selectors.panel); the dashboard's one-minute cache comes on top.

Loopback only; nothing is asserted. Results go to stdout (and bench/results/supervision-<cases>.txt).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
UNUSABLE = "!"  # Django's marker of an unusable password: bench applicants never sign in


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=100_000, help="cases to generate (default 100000)")
    parser.add_argument("--reviews", type=int, default=None, help="reviews to generate (default cases / 2)")
    parser.add_argument("--organisations", type=int, default=300, help="departments (default 300)")
    parser.add_argument("--items", type=int, default=1500, help="implementations (default 1500)")
    parser.add_argument("--days", type=int, default=365, help="days of filings (default 365)")
    parser.add_argument("--repeat", type=int, default=20, help="runs of each panel per scope (default 20)")
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--fresh", action="store_true", help="drop and rebuild the bench database")
    parser.add_argument(
        "--database", default="", help="bench database name (default bench_supervision_<cases>)"
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the summary tables of existing data")
    parser.add_argument("--fill-only", action="store_true", help="generate the data and stop")
    return parser.parse_args()


def prepare_database(args: argparse.Namespace) -> str:
    import psycopg

    name = args.database or f"bench_supervision_{args.cases}"
    with psycopg.connect(f"{args.pg_url}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and args.fresh:
            conn.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = f"{args.pg_url}/{name}"
    os.environ.setdefault("YIWANG_CACHE_PREFIX", "supervision-bench-")
    os.environ.setdefault("YIWANG_DATA_DIR", str(RESULTS / f"supervision-{args.cases}-data"))
    Path(os.environ["YIWANG_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    return name


def setup_django() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def log(text: str) -> None:
    print(text, flush=True)


def generate(args: argparse.Namespace) -> None:
    from django.apps import apps
    from django.db import connection, transaction
    from django.utils import timezone

    from yiwang.accounts.models import User
    from yiwang.cases.models import Case
    from yiwang.catalog import codes
    from yiwang.catalog.models import BasicItem, GuideVersion, Implementation, PublicStatus
    from yiwang.core import calendar_data
    from yiwang.core.models import Organisation, Region
    from yiwang.core.services import load_regions

    if Case.objects.count() >= args.cases:
        log(f"数据已存在：办件 {Case.objects.count()} 件（--fresh 重新生成）。")
        return
    started = time.monotonic()
    load_regions()
    today = timezone.localdate()
    calendar_data.seed_calendar(list(range(today.year - 2, today.year + 2)))
    rng = random.Random(7)
    province = Region.objects.get(code="330000")
    places = list(Region.objects.filter(code__startswith="33").exclude(code="330000"))
    with transaction.atomic():
        organisations = Organisation.objects.bulk_create(
            Organisation(
                name=f"基准测试部门{i}",
                uscc=f"11{(rng.choice(places) if i else province).code}B{i:08d}"[:18],
                region=rng.choice(places) if i % 10 else province,
            )
            for i in range(args.organisations)
        )
        basics = BasicItem.objects.bulk_create(
            BasicItem(
                basic_code=f"B{i:011d}",
                name=f"基准事项{i}",
                item_type=codes.ItemType.LICENSING,
                legal_basis="基准测试",
                competent_department="基准测试",
            )
            for i in range(max(1, args.items // 3))
        )
        implementations = Implementation.objects.bulk_create(
            Implementation(
                implementation_code=f"BENCH{i:010d}",
                basic_item=basics[i % len(basics)],
                organisation=(org := organisations[i % len(organisations)]),
                region_id=org.region_id,
                name=f"基准事项{i}",
                public_status=PublicStatus.PUBLISHED,
            )
            for i in range(args.items)
        )
        guides = GuideVersion.objects.bulk_create(
            GuideVersion(
                implementation=impl,
                version=1,
                name=impl.name,
                item_type=codes.ItemType.LICENSING,
                exercise_level=codes.ExerciseLevel.MUNICIPAL,
                legal_limit=20,
                promised_limit=rng.choice([3, 5, 5, 7, 10, 15]),
            )
            for impl in implementations
        )
        for impl, guide in zip(implementations, guides, strict=True):
            impl.published_version = guide
        Implementation.objects.bulk_update(implementations, ["published_version"], batch_size=2000)
        applicants = User.objects.bulk_create(
            User(username=f"bench-applicant-{i}", password=UNUSABLE) for i in range(2000)
        )
    log(f"目录与机构：{len(organisations)} 个机构，{len(implementations)} 个事项。")
    # The weighted choice of an item: each implementation takes `weight` consecutive slots.
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_pick, bench_applicant")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_pick (slot int PRIMARY KEY, implementation_id bigint, "
            "guide_id bigint, organisation_id bigint, region_id varchar(12), limit_days int)"
        )
        slots, slot = [], 0
        for impl, guide in zip(implementations, guides, strict=True):
            for _w in range(rng.randint(1, 20)):
                slots.append(
                    (
                        slot,
                        impl.pk,
                        guide.pk,
                        impl.organisation_id,
                        impl.region_id,
                        guide.promised_limit or 20,
                    )
                )
                slot += 1
        cursor.executemany("INSERT INTO bench_pick VALUES (%s, %s, %s, %s, %s, %s)", slots)
        cursor.execute("CREATE UNLOGGED TABLE bench_applicant (k int PRIMARY KEY, user_id bigint)")
        cursor.executemany(
            "INSERT INTO bench_applicant VALUES (%s, %s)", [(k, u.pk) for k, u in enumerate(applicants)]
        )
    _working_day_tables(today - dt.timedelta(days=args.days + 10), dt.date(today.year + 1, 12, 31))
    fill_started = time.monotonic()
    _fill_cases(args, today)
    log(f"办件写入用时 {time.monotonic() - fill_started:.1f} 秒。")
    reviews = args.cases // 2 if args.reviews is None else args.reviews
    if reviews and apps.is_installed("yiwang.reviews"):
        reviews_started = time.monotonic()
        _fill_reviews(reviews)
        log(f"评价写入用时 {time.monotonic() - reviews_started:.1f} 秒。")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(f"数据生成用时 {time.monotonic() - started:.1f} 秒。")


def rebuild_summaries(args: argparse.Namespace) -> None:
    """Build the rollups (case and review summaries) when they are missing or --rebuild asks."""

    from yiwang.supervision import summary
    from yiwang.supervision.models import CaseFact

    if CaseFact.objects.exists() and not args.rebuild:
        return
    started = time.monotonic()
    facts = summary.rebuild()
    log(f"汇总表全量重建：{facts} 件，用时 {time.monotonic() - started:.1f} 秒。")
    started = time.monotonic()
    summary.tidy_after_rebuild()  # what `yiwang supervision rebuild` does next (VACUUM ANALYZE)
    log(f"VACUUM ANALYZE 用时 {time.monotonic() - started:.1f} 秒。")


def _insert_select(model: Any, computed: dict[str, str], source: str, params: dict[str, Any]) -> int:
    """INSERT INTO model's table SELECT …: `computed` gives SQL expressions (over `source`) for some columns;
    every other NOT NULL column gets the field's Python default as a parameter, nullable ones stay NULL."""
    import json

    from django.db import connection, models

    columns, exprs = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.column not in computed:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in computed:
            exprs.append(computed[field.column])
        elif isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
            exprs.append("now()")
        elif field.null:
            exprs.append("NULL")
        else:
            default = field.get_default()
            key = f"default_{field.column}"
            params[key] = json.dumps(default) if isinstance(field, models.JSONField) else default
            exprs.append(f"%({key})s")
    # Our own table and column names; the generated values are SQL over the source and parameters.
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(exprs)} FROM {source}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _working_day_tables(start: dt.date, end: dt.date) -> None:
    """bench_cal(day, idx): idx = working days up to and including `day`; bench_wd(idx, day): working days.
    add_working_days(d, n) for n ≥ 1 is then the bench_wd row with idx = bench_cal(d).idx + n."""
    from django.db import connection

    from yiwang.core.workdays import is_working_day

    rows, idx, day = [], 0, start
    while day <= end:
        working = is_working_day(day)
        idx += int(working)
        rows.append((day, idx, working))
        day += dt.timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_cal, bench_wd")
        cursor.execute("CREATE UNLOGGED TABLE bench_cal (day date PRIMARY KEY, idx int NOT NULL)")
        cursor.executemany("INSERT INTO bench_cal VALUES (%s, %s)", [(d, i) for d, i, _w in rows])
        cursor.execute("CREATE UNLOGGED TABLE bench_wd (idx int PRIMARY KEY, day date NOT NULL)")
        cursor.executemany("INSERT INTO bench_wd VALUES (%s, %s)", [(i, d) for d, i, w in rows if w])


# The demo's outcome distribution (supervision.demo._outcome) in SQL, one statement per chunk of cases.
# Filing days rise with the id, as in production (rows are stored in filing order, so the open cases —
# the recent ones — sit together at the end of the table, which the live figures' index scans rely on).
CASE_STEPS = """
(WITH g AS (
  SELECT n, floor(random() * %(slots)s)::int AS slot,
         (%(first)s::date + floor((n - 1) * %(days)s::numeric / %(total)s::numeric)::int) AS filed,
         random() AS r_na, random() AS r_acc, random() AS r_late, random() AS r_spent, random() AS r_chan,
         random() AS r_del
  FROM generate_series(%(low)s::int, %(high)s::int) AS n
), a AS (
  SELECT g.*, p.implementation_id, p.guide_id, p.organisation_id, p.region_id, p.limit_days,
         ap.user_id AS applicant, cal.idx + CASE WHEN r_acc < 0.5 THEN 0 WHEN r_acc < 0.8333 THEN 1 ELSE 2 END AS acc_idx,
         r_acc < 0.5 AS same_day,
         CASE WHEN r_late < 0.08 THEN p.limit_days + 1 + floor(r_spent * 6)::int
              ELSE floor(r_spent * p.limit_days)::int END AS spent
  FROM g JOIN bench_pick p ON p.slot = g.slot JOIN bench_cal cal ON cal.day = g.filed
  JOIN bench_applicant ap ON ap.k = g.n %% 2000
), d AS (
  SELECT a.*,
         CASE WHEN same_day THEN filed ELSE acc.day END AS accepted,
         due.day AS decision_due,
         CASE WHEN spent = 0 THEN (CASE WHEN same_day THEN filed ELSE acc.day END) ELSE dec.day END AS decided,
         CASE WHEN floor(limit_days * 0.8) = 0 THEN (CASE WHEN same_day THEN filed ELSE acc.day END)
              ELSE warn.day END AS warn,
         nxt.day AS delivered
  FROM a
  LEFT JOIN bench_wd acc ON acc.idx = a.acc_idx
  LEFT JOIN bench_wd due ON due.idx = a.acc_idx + a.limit_days
  LEFT JOIN bench_wd dec ON dec.idx = a.acc_idx + a.spent
  LEFT JOIN bench_wd warn ON warn.idx = a.acc_idx + floor(a.limit_days * 0.8)::int
  LEFT JOIN bench_wd nxt ON nxt.idx = a.acc_idx + a.spent + 1
)
SELECT d.*,
  CASE WHEN r_na < 0.03 THEN 'not_accepted' WHEN accepted > %(today)s THEN 'submitted'
       WHEN decided > %(today)s THEN 'in_review' WHEN delivered <= %(today)s THEN 'delivered'
       ELSE 'completed' END AS status
FROM d) AS x
"""


def _fill_cases(args: argparse.Namespace, today: dt.date) -> None:
    from yiwang.cases.models import Case

    chunk = 200_000
    made = 0
    while made < args.cases:
        high = min(args.cases, made + chunk)
        done = "x.status IN ('completed', 'delivered')"
        running = "x.status = 'in_review'"
        computed = {
            "number": "x.region_id || to_char(x.filed, 'YYYYMMDD') || lpad((x.n %% 1000000)::text, 6, '0')",
            "implementation_id": "x.implementation_id",
            "guide_id": "x.guide_id",
            "organisation_id": "x.organisation_id",
            "region_id": "x.region_id",
            "applicant_id": "x.applicant",
            "channel": "CASE WHEN x.r_chan < 0.45 THEN 'web' WHEN x.r_chan < 0.75 THEN 'mobile' "
            "WHEN x.r_chan < 0.95 THEN 'window' ELSE 'api' END",
            "status": "x.status",
            "limit_days": "x.limit_days",
            "submitted_on": "x.filed",
            "submitted_at": "x.filed + time '10:00'",
            "acceptance_due": "x.filed",
            "accepted_on": "CASE WHEN x.status NOT IN ('not_accepted', 'submitted') THEN x.accepted END",
            "decision_due": "CASE WHEN x.status NOT IN ('not_accepted', 'submitted') THEN x.decision_due END",
            "decided_on": f"CASE WHEN {done} THEN x.decided END",
            "completed_on": f"CASE WHEN {done} THEN x.decided END",
            "delivered_on": "CASE WHEN x.status = 'delivered' THEN x.delivered END",
            "delivery_method": "CASE WHEN x.status <> 'delivered' THEN '' WHEN x.r_del < 0.45 THEN 'electronic' "
            "WHEN x.r_del < 0.8 THEN 'post' ELSE 'window' END",
            "due_on": f"CASE WHEN x.status = 'submitted' THEN x.filed WHEN {running} THEN x.decision_due END",
            "warn_on": f"CASE WHEN {running} THEN x.warn END",
            "warning_level": f"CASE WHEN {running} AND x.decision_due < %(today)s THEN 'red' "
            f"WHEN {running} AND x.warn <= %(today)s THEN 'yellow' ELSE '' END",
            "decision_reason": f"CASE WHEN {done} THEN '材料齐全，符合法定条件，准予办理。' ELSE '' END",
            "not_accepted_reason": "CASE WHEN x.status = 'not_accepted' "
            "THEN '申请事项不属于本机关职权范围，已告知申请人向有权机关提出申请。' ELSE '' END",
        }
        params = {
            "slots": _slots(),
            "today": today,
            "first": today - dt.timedelta(days=args.days - 1),
            "days": args.days,
            "total": args.cases,
            "low": made + 1,
            "high": high,
        }
        _insert_select(Case, computed, CASE_STEPS, params)
        made = high
        log(f"办件 {made}/{args.cases}")


def _slots() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_pick")
        return int(cursor.fetchone()[0])


def _fill_reviews(count: int) -> None:
    """`count` reviews of randomly chosen completed cases, stored in rating order (levels 70/18/7/3/2 %), a
    work order for each bad one in a spread of statuses, about 5 % of the bad ones upheld on appeal."""
    from django.db import connection

    from yiwang.reviews.models import Review, WorkOrder

    source = (
        # The level's random number is drawn outside the sample (PostgreSQL would otherwise reuse the
        # sample's ORDER BY random() for it and keep only low numbers).
        "(SELECT sample.*, random() AS r_level FROM (SELECT c.* FROM cases_case c "
        "WHERE c.completed_on IS NOT NULL ORDER BY random() LIMIT %(count)s) AS sample "
        "ORDER BY sample.completed_on) AS x"
    )
    level = (
        "CASE WHEN x.r_level < 0.70 THEN 1 WHEN x.r_level < 0.88 THEN 2 WHEN x.r_level < 0.95 THEN 3 "
        "WHEN x.r_level < 0.98 THEN 4 ELSE 5 END"
    )
    computed = {
        "case_id": "x.id",
        "rater_id": "x.applicant_id",
        "organisation_id": "x.organisation_id",
        "implementation_id": "x.implementation_id",
        "region_id": "x.region_id",
        "level": level,
        "channel": "'pc'",
        "mode": "'online'",
        "rated_at": "(x.completed_on + time '12:00') AT TIME ZONE 'Asia/Shanghai'",
        "rated_on": "x.completed_on",
        "is_bad": "x.r_level >= 0.95",
        "comment": "CASE WHEN x.r_level >= 0.95 THEN '办理慢' ELSE '' END",
    }
    _insert_select(Review, computed, source, {"count": count})
    orders = (
        "(SELECT r.*, random() AS r_status FROM reviews_review r WHERE r.is_bad "
        "AND NOT EXISTS (SELECT 1 FROM reviews_workorder w WHERE w.review_id = r.id)) AS x"
    )
    status = (
        "CASE WHEN x.r_status < 0.10 THEN 'open' WHEN x.r_status < 0.20 THEN 'verified' "
        "WHEN x.r_status < 0.30 THEN 'rectified' WHEN x.r_status < 0.35 THEN 'upheld' "
        "WHEN x.r_status < 0.55 THEN 'fed_back' WHEN x.r_status < 0.70 THEN 'visited' ELSE 'closed' END"
    )
    computed = {
        "review_id": "x.id",
        "organisation_id": "x.organisation_id",
        "region_id": "x.region_id",
        "status": status,
        "opened_on": "x.rated_on",
        "limit_days": "10",
    }
    _insert_select(WorkOrder, computed, orders, {})
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE reviews_review r SET excluded = true FROM reviews_workorder w "
            "WHERE w.review_id = r.id AND w.status = 'upheld'"
        )


def scopes() -> list[tuple[str, Any, dict[str, str]]]:
    from django.utils import timezone

    from yiwang.accounts.models import Membership, Role, User
    from yiwang.core.models import Organisation, Region
    from yiwang.supervision.filters import parse

    today = timezone.localdate()
    root, _ = User.objects.get_or_create(username="bench-superuser", defaults={"is_superuser": True})
    prefecture = Region.objects.get(code="330100")
    boss, _ = User.objects.get_or_create(username="bench-supervisor-hz")
    office = Organisation.objects.filter(region=prefecture).first() or Organisation.objects.first()
    Membership.objects.get_or_create(
        user=boss, organisation=office, role=Role.SUPERVISOR, defaults={"covers_region_subtree": True}
    )
    busiest = Organisation.objects.filter(region__code__startswith="3301").order_by("pk").first()
    quarter_start = (today - dt.timedelta(days=90)).isoformat()
    year_start = (today - dt.timedelta(days=364)).isoformat()
    plans = [
        ("全省·30天", root, {"period": "30d"}),
        ("全省·季度", root, {"start": quarter_start, "end": today.isoformat()}),
        ("全省·一年", root, {"start": year_start, "end": today.isoformat()}),
        ("杭州市监督员·季度", boss, {"start": quarter_start, "end": today.isoformat(), "region": "330100"}),
        (
            "单个机构·一年",
            root,
            {
                "start": year_start,
                "end": today.isoformat(),
                "organisation": str(busiest.pk if busiest else ""),
            },
        ),
    ]
    return [(name, user, {"f": parse(params, user=user)}) for name, user, params in plans]  # type: ignore[misc]


def measure(args: argparse.Namespace) -> list[str]:
    from django.db import reset_queries

    from yiwang.supervision import selectors

    timings: dict[str, list[float]] = {}
    worst: dict[str, tuple[float, str]] = {}

    def panel_job(key: str) -> Any:
        return lambda f, u: selectors.panel(key, f, u)

    jobs: dict[str, Any] = {key: panel_job(key) for key in selectors.PANELS}
    jobs["明细·在办超期第1页"] = lambda f, u: list(
        selectors.drill_cases(f, u, {"metric": "overdue"}).order_by("-submitted_on", "-id")[:50]
    )
    jobs["明细·逾期办结第1页"] = lambda f, u: list(
        selectors.drill_cases(f, u, {"metric": "completed", "on_time": 0}).order_by("-submitted_on", "-id")[
            :50
        ]
    )
    jobs["明细·计数(收件)"] = lambda f, u: selectors.drill_cases(f, u, {"metric": "filed"}).count()
    cpu: dict[str, list[float]] = {}
    backend = _backend_pid()
    for scope_name, user, extra in scopes():
        f = extra["f"]
        for key, job in jobs.items():
            job(f, user)  # warm-up
            samples = []
            cpu_started = time.process_time() + _cpu_seconds(backend)
            for _ in range(args.repeat):
                reset_queries()
                started = time.perf_counter()
                job(f, user)
                samples.append((time.perf_counter() - started) * 1000)
            spent = time.process_time() + _cpu_seconds(backend) - cpu_started
            cpu.setdefault(key, []).append(spent * 1000 / args.repeat)
            timings.setdefault(key, []).extend(samples)
            p95 = percentile(samples, 95)
            if p95 > worst.get(key, (0.0, ""))[0]:
                worst[key] = (p95, scope_name)
    lines = [f"{'panel':<22}{'p50 ms':>10}{'p95 ms':>10}{'CPU ms':>10}  worst scope (p95)"]
    for key, samples in timings.items():
        lines.append(
            f"{key:<22}{statistics.median(samples):>10.1f}{percentile(samples, 95):>10.1f}"
            f"{max(cpu[key]):>10.1f}  {worst[key][1]} ({worst[key][0]:.1f})"
        )
    lines.append(
        "CPU ms: Python plus the PostgreSQL backend's CPU time per call, mean over the repetitions of the "
        "scope where it is highest (wall times include waiting for the shared cores)."
    )
    return lines


def _backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a local process (the database backend), 0 when it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(samples: list[float], q: int) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def main() -> None:
    args = parse_args()
    name = prepare_database(args)
    setup_django()
    generate(args)
    if args.fill_only:
        return
    rebuild_summaries(args)
    from yiwang.cases.models import Case
    from yiwang.supervision.models import CompletedSummary, DurationSummary, FiledSummary

    header = [
        f"supervision bench · database {name} · cases {Case.objects.count()} · "
        f"summary rows filed {FiledSummary.objects.count()} / completed {CompletedSummary.objects.count()} / "
        f"durations {DurationSummary.objects.count()} (three grains) · "
        f"repeat {args.repeat} × 5 scopes",
    ]
    try:
        from yiwang.reviews.models import Review

        header.append(f"reviews {Review.objects.count()}")
    except ImportError:  # pragma: no cover
        pass
    lines = header + measure(args)
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"supervision-{args.cases}.txt").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
