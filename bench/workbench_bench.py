"""Workbench queue benchmark: the latency of the queue page (counts of every queue + one page of one queue)
over N cases, for staff of different scopes.

    .venv/bin/python bench/workbench_bench.py --cases 20000              # modest size, SQLite
    .venv/bin/python bench/workbench_bench.py --cases 200000 --db postgres --repeat 50

1. Data. A bench database (SQLite in bench/results/workbench-<cases>-data/, or `bench_workbench_<cases>` on
   --pg-url) is created and migrated if missing and reused (--fresh rebuilds). It gets the region tree,
   --organisations departments, one published item each and N cases bulk-created with the supervision
   demo's distribution of outcomes (supervision.demo._outcome: submitted, in review with yellow/red
   warnings, completed, delivered …). A share of the submitted cases were returned for supplement once
   (to_accept vs pre_review), every case in review has an active step, and `VACUUM (ANALYZE)` runs.
2. Requests. The queue page `/workbench/?queue=…` is requested in-process through Django's test client
   (middleware, permission checks, the one statement counting every tab, the page query and the template),
   --repeat times for every queue, as: a window clerk of the busiest department, a reviewer there, a
   supervisor covering Hangzhou's subtree, and a superuser (every organisation). The table shows p50 / p95
   in ms per user (wall clock, and the CPU time this process spent, which other load on a shared machine
   disturbs far less) and the most SQL statements one page ran (counted on the warm-up request, outside
   the timings; it must not grow with the rows shown); the target is p95 ≤ 50 ms.

Nothing is asserted; results go to stdout (and bench/results/workbench-<cases>.txt).
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
UNUSABLE = "!"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=20_000, help="cases to generate (default 20000)")
    parser.add_argument("--organisations", type=int, default=50, help="departments (default 50)")
    parser.add_argument("--repeat", type=int, default=20, help="requests per queue and user (default 20)")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--fresh", action="store_true", help="drop and rebuild the bench database")
    return parser.parse_args()


def prepare_database(args: argparse.Namespace) -> None:
    data = RESULTS / f"workbench-{args.cases}-{args.db}-data"
    if args.fresh and data.exists():
        for path in data.glob("bench.sqlite3*"):
            path.unlink()
    data.mkdir(parents=True, exist_ok=True)
    os.environ["YIWANG_DATA_DIR"] = str(data)
    os.environ.setdefault("YIWANG_CACHE_PREFIX", "workbench-bench-")
    os.environ["YIWANG_TASKS_EAGER"] = "1"
    if args.db == "sqlite":
        os.environ.pop("DATABASE_URL", None)
        os.environ["YIWANG_SQLITE_PATH"] = str(data / "bench.sqlite3")
        return
    import psycopg

    name = f"bench_workbench_{args.cases}"
    with psycopg.connect(f"{args.pg_url}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and args.fresh:
            conn.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = f"{args.pg_url}/{name}"


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
    from yiwang.cases.models import Case, CaseStatus, CaseStep, StepStatus, SupplementRequest
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
    rng = random.Random(11)
    places = list(Region.objects.filter(code__startswith="3301").exclude(code="330100")) or list(
        Region.objects.all()[:10]
    )
    with transaction.atomic():
        organisations = Organisation.objects.bulk_create(
            Organisation(name=f"工作台基准部门{i}", uscc=f"11W{i:015d}", region=places[i % len(places)])
            for i in range(args.organisations)
        )
        basic = BasicItem.objects.create(
            basic_code="WB0000000001",
            name="工作台基准事项",
            item_type=codes.ItemType.LICENSING,
            legal_basis="基准测试",
            competent_department="基准测试",
        )
        implementations = Implementation.objects.bulk_create(
            Implementation(
                implementation_code=f"WBENCH{i:08d}",
                basic_item=basic,
                organisation=org,
                region_id=org.region_id,
                name=f"工作台基准事项{i}",
                public_status=PublicStatus.PUBLISHED,
            )
            for i, org in enumerate(organisations)
        )
        guides = GuideVersion.objects.bulk_create(
            GuideVersion(
                implementation=impl,
                version=1,
                name=impl.name,
                item_type=codes.ItemType.LICENSING,
                exercise_level=codes.ExerciseLevel.MUNICIPAL,
                legal_limit=20,
                promised_limit=rng.choice([5, 10, 15]),
            )
            for impl in implementations
        )
        for impl, guide in zip(implementations, guides, strict=True):
            impl.published_version = guide
        Implementation.objects.bulk_update(implementations, ["published_version"])
        applicants = User.objects.bulk_create(
            User(username=f"wb-bench-applicant-{i}", password=UNUSABLE) for i in range(500)
        )
    clerk = User.objects.create(username="wb-bench-clerk", password=UNUSABLE)
    weights = [1 + 40 * (i == 0) + rng.randint(0, 5) for i in range(len(implementations))]
    made, n = 0, 0
    while made < args.cases:
        rows = []
        for _i in range(min(5000, args.cases - made)):
            index = rng.choices(range(len(implementations)), weights=weights)[0]
            impl, guide = implementations[index], guides[index]
            day = today - dt.timedelta(days=rng.randint(0, 120))
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
                submitted_at=timezone.make_aware(dt.datetime.combine(day, dt.time(10))),
                acceptance_due=day,
            )
            demo._outcome(case, today, rng)
            rows.append(case)
        created = Case.objects.bulk_create(rows, batch_size=2000)
        steps = [
            CaseStep(
                case=c,
                order=1,
                name="审查",
                role="审查人员",
                organisation_id=c.organisation_id,
                status=StepStatus.ACTIVE,
            )
            for c in created
            if c.status == CaseStatus.IN_REVIEW and rng.random() < 0.7
        ]
        CaseStep.objects.bulk_create(steps, batch_size=2000)
        returns = [
            # Returned once and resubmitted: the request was answered (an unanswered one would be a
            # candidate of every later deadline sweep, which no real case is).
            SupplementRequest(
                case=c,
                items=[{"material": "申请表", "problem": "缺签字"}],
                deadline=today,
                requested_by=clerk,
                answered_at=timezone.now(),
            )
            for c in created
            if c.status == CaseStatus.SUBMITTED and rng.random() < 0.3
        ]
        SupplementRequest.objects.bulk_create(returns, batch_size=2000)
        made += len(rows)
        log(f"办件 {made}/{args.cases}")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # VACUUM as well: it sets the visibility map that index-only scans need, and a server with
            # autovacuum off (as on the bench machines) would otherwise fetch every heap row.
            cursor.execute("VACUUM (ANALYZE) cases_case, cases_casestep, cases_supplementrequest")
        cursor.execute("ANALYZE")
    log(f"数据生成用时 {time.monotonic() - started:.1f} 秒。")


def users() -> list[tuple[str, Any]]:
    from django.db.models import Count

    from yiwang.accounts.models import Membership, Role, User
    from yiwang.cases.models import Case
    from yiwang.core.models import Organisation

    busiest_id = (
        Case.objects.values("organisation_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()["organisation_id"]  # type: ignore[index]
    )
    busiest = Organisation.objects.get(pk=busiest_id)
    hangzhou = Organisation.objects.filter(region__code__startswith="3301").order_by("pk").first() or busiest

    def member(name: str, organisation: Any, role: str, subtree: bool = False) -> Any:
        user, _ = User.objects.get_or_create(username=name, defaults={"password": UNUSABLE})
        Membership.objects.get_or_create(
            user=user, organisation=organisation, role=role, defaults={"covers_region_subtree": subtree}
        )
        return user

    root, _ = User.objects.get_or_create(
        username="wb-bench-root", defaults={"password": UNUSABLE, "is_superuser": True, "is_staff": True}
    )
    return [
        ("窗口受理（最忙部门）", member("wb-bench-window", busiest, Role.WINDOW)),
        ("审查（最忙部门）", member("wb-bench-reviewer", busiest, Role.REVIEWER)),
        ("监督（杭州市及下级）", member("wb-bench-supervisor", hangzhou, Role.SUPERVISOR, subtree=True)),
        ("超级管理员（全部机构）", root),
    ]


def measure(args: argparse.Namespace) -> list[str]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from yiwang.accounts.totp import SESSION_FLAG
    from yiwang.workbench import selectors

    setup_test_environment()
    lines = [
        f"工作台队列页延迟（{args.db}，办件 {args.cases} 件，每个队列 {args.repeat} 次）",
        f"{'用户':<22}{'队列数':>6}{'p50 ms':>10}{'p95 ms':>10}{'CPU p50':>10}{'CPU p95':>10}{'SQL 条数':>8}"
        f"{'最慢队列':>14}",
    ]
    for label, user in users():
        client = Client()
        client.force_login(user)
        session = client.session
        session[SESSION_FLAG] = "bench"
        session.save()
        queues = selectors.queues_for(user)
        timings: list[float] = []
        cpu: list[float] = []
        worst: tuple[float, str] = (0.0, "")
        statements = 0
        for queue in queues:
            with CaptureQueriesContext(connection) as warm_up:
                client.get(f"/workbench/?queue={queue.key}")
            statements = max(statements, len(warm_up.captured_queries))
            samples = []
            for _ in range(args.repeat):
                started, cpu_started = time.perf_counter(), time.process_time()
                response = client.get(f"/workbench/?queue={queue.key}")
                samples.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
                assert response.status_code == 200, response.status_code
            timings += samples
            p95 = statistics.quantiles(samples, n=20)[18] if len(samples) > 1 else samples[0]
            worst = max(worst, (p95, queue.key))
        p50 = statistics.median(timings)
        p95 = statistics.quantiles(timings, n=20)[18]
        cpu50, cpu95 = statistics.median(cpu), statistics.quantiles(cpu, n=20)[18]
        lines.append(
            f"{label:<22}{len(queues):>6}{p50:>10.1f}{p95:>10.1f}{cpu50:>10.1f}{cpu95:>10.1f}{statements:>8}"
            f"{worst[1]:>14}"
        )
    load = os.getloadavg()[0]
    lines.append(
        f"机器负载（1 分钟平均）：{load:.1f}（{os.cpu_count()} 核）；CPU 列为本进程占用的 CPU 时间，受他人负载影响较小。"
    )
    return lines


def main() -> None:
    args = parse_args()
    prepare_database(args)
    setup_django()
    generate(args)
    lines = measure(args)
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"workbench-{args.cases}-{args.db}.txt").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
