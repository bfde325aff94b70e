"""Supervision dashboard benchmark: time every dashboard panel over N cases (and M reviews) on PostgreSQL.

    .venv/bin/python bench/supervision_bench.py --cases 100000              # modest size (about 2 minutes)
    .venv/bin/python bench/supervision_bench.py --cases 1000000 --reviews 500000 --repeat 30   # the target

1. Data. A bench database `bench_supervision_<cases>` on --pg-url (default postgres://postgres@127.0.0.1:5432)
   is created and migrated if missing and reused by later runs (--fresh drops it). It gets the real region
   tree of the province, --organisations departments spread over its prefectures and counties, --items
   implementations with a published guide each (promised 3–15, legal 20 working days), and N cases filed
   over the last --days days written with bulk_create in chunks: channels, outcomes, handling times and
   late decisions follow the demo's distribution (supervision.demo), a few percent still open past their
   deadline. With the reviews app, M reviews of completed cases (about 5 % bad) are bulk-created too.
   Then `summary.rebuild()` fills the facts and summary tables (timed) and `ANALYZE` runs.
2. Panels. Each dashboard panel (selectors.PANELS) and the first page of two drill-down lists run --repeat
   times for each scope: the whole province over 30 days, a quarter and a year; one prefecture for a
   quarter (as a prefecture supervisor, so the permission filter is in the query); one organisation for a
   year. The table shows p50 and p95 in milliseconds per panel (over all scopes and repetitions) and
   the worst scope; the target is p95 ≤ 200 ms for every panel.

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
    return parser.parse_args()


def prepare_database(args: argparse.Namespace) -> str:
    import psycopg

    name = f"bench_supervision_{args.cases}"
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
    from django.db import connection, transaction
    from django.utils import timezone

    from yiwang.accounts.models import User
    from yiwang.cases.models import Case
    from yiwang.catalog import codes
    from yiwang.catalog.models import BasicItem, GuideVersion, Implementation, PublicStatus
    from yiwang.core import calendar_data
    from yiwang.core.models import Organisation, Region
    from yiwang.core.services import load_regions
    from yiwang.supervision import demo

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
    weights = [rng.randint(1, 20) for _ in implementations]
    made, chunk, n = 0, 10_000, 0
    while made < args.cases:
        rows = []
        for _i in range(min(chunk, args.cases - made)):
            index = rng.choices(range(len(implementations)), weights=weights)[0]
            impl, guide = implementations[index], guides[index]
            day = today - dt.timedelta(days=rng.randint(0, args.days - 1))
            n += 1
            case = Case(
                number=f"{impl.region_id}{day:%Y%m%d}{n % 1_000_000:06d}",
                implementation_id=impl.pk,
                guide_id=guide.pk,
                organisation_id=impl.organisation_id,
                region_id=impl.region_id,
                applicant_id=applicants[n % len(applicants)].pk,
                channel=rng.choices(["web", "mobile", "window", "api"], weights=[45, 30, 20, 5])[0],
                limit_days=guide.promised_limit or 20,
                submitted_on=day,
                acceptance_due=day,
            )
            demo._outcome(case, today, rng)
            rows.append(case)
        Case.objects.bulk_create(rows, batch_size=5000)
        made += len(rows)
        log(f"\r办件 {made}/{args.cases}")
    reviews = args.cases // 2 if args.reviews is None else args.reviews
    if reviews:
        try:
            from yiwang.reviews.models import Review
        except ImportError:
            reviews = 0
        else:
            done = Case.objects.filter(completed_on__isnull=False).values_list(
                "pk", "applicant_id", "organisation_id", "implementation_id", "region_id", "completed_on"
            )[:reviews]
            batch = []
            for pk, rater, org, impl, region, day in done.iterator(chunk_size=10_000):
                level = rng.choices([1, 2, 3, 4, 5], weights=[70, 18, 7, 3, 2])[0]
                batch.append(
                    Review(
                        case_id=pk,
                        rater_id=rater,
                        organisation_id=org,
                        implementation_id=impl,
                        region_id=region,
                        level=level,
                        channel="pc",
                        mode="online",
                        rated_at=timezone.make_aware(dt.datetime.combine(day, dt.time(12))),
                        rated_on=day,
                        is_bad=level >= 4,
                        comment="办理慢" if level >= 4 else "",
                    )
                )
                if len(batch) >= 10_000:
                    Review.objects.bulk_create(batch)
                    batch = []
            Review.objects.bulk_create(batch)
            log(f"评价 {Review.objects.count()} 条。")
    from yiwang.supervision import summary

    rebuild_started = time.monotonic()
    facts = summary.rebuild()
    log(f"汇总表全量重建：{facts} 件，用时 {time.monotonic() - rebuild_started:.1f} 秒。")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(f"数据生成用时 {time.monotonic() - started:.1f} 秒。")


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
    for scope_name, user, extra in scopes():
        f = extra["f"]
        for key, job in jobs.items():
            job(f, user)  # warm-up
            samples = []
            for _ in range(args.repeat):
                reset_queries()
                started = time.perf_counter()
                job(f, user)
                samples.append((time.perf_counter() - started) * 1000)
            timings.setdefault(key, []).extend(samples)
            p95 = percentile(samples, 95)
            if p95 > worst.get(key, (0.0, ""))[0]:
                worst[key] = (p95, scope_name)
    lines = [f"{'panel':<22}{'p50 ms':>10}{'p95 ms':>10}  worst scope (p95)"]
    for key, samples in timings.items():
        lines.append(
            f"{key:<22}{statistics.median(samples):>10.1f}{percentile(samples, 95):>10.1f}  "
            f"{worst[key][1]} ({worst[key][0]:.1f})"
        )
    return lines


def percentile(samples: list[float], q: int) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def main() -> None:
    args = parse_args()
    name = prepare_database(args)
    setup_django()
    generate(args)
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
