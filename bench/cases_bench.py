"""Case handling benchmark on PostgreSQL: submissions/s and full life cycles/s with worker processes,
"my cases" latency, the deadline sweep over N open cases, and a many-client run that must lose or
duplicate nothing.

    .venv/bin/python bench/cases_bench.py                                   # modest: 50,000 open cases
    .venv/bin/python bench/cases_bench.py --open-cases 1000000 --submissions 20000 --lifecycles 2000

1. Data. A bench database `bench_cases` on --pg-url (default postgres://postgres@127.0.0.1:5432) is
   created if missing and migrated (--fresh drops it first). It gets one organisation with window,
   reviewer and approver staff, one published implementation (promised 5 working days, four review
   steps, two materials obtained by sharing so nothing has to be uploaded, no fee) and --applicants
   applicants.
2. Submissions: --workers processes (default 2) each file its share of --submissions applications
   through `cases.services.file_application` (draft + submit, idempotency key, case number from the
   locked per-region-per-day counter, audit row, events and notices after commit). Rate = cases / wall.
3. Life cycles: the same processes take --lifecycles applications through every step: file, accept,
   start review, four steps, approve, complete, deliver (each its own transaction, as staff would).
4. "My cases": the first page (20 rows + count) of `cases.selectors.my_cases` for random applicants and
   for one heavy applicant with --heavy cases; p50/p95 over --queries reads.
5. Sweep: --open-cases open cases are bulk-inserted with deadlines spread around today (about 0.5 % past
   their acceptance deadline, 2 % just overdue, 5 % entering yellow, active review steps likewise), then
   `cases.sweep.sweep()` runs twice: the first run does the day's work, the second shows the cost of a
   scan with nothing new. Tasks are queued, not run, during the sweep (no worker: the 受理通知书 PDFs of
   deemed acceptances are async work), as in production with Celery workers.
6. Many clients: --clients threads (default 64) each file --per-client applications and retry every one
   twice with the same idempotency key; afterwards every key must map to exactly one case and every case
   number must be unique.

Loopback only; nothing is asserted except the loss/duplication check (a non-zero exit when it fails).
Results go to stdout (a Markdown table) and bench/results/cases-<open-cases>.txt.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DB_NAME = "bench_cases"
UNUSABLE = "!"  # Django's marker of an unusable password: bench applicants never sign in


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--open-cases", type=int, default=50_000, help="open cases for the sweep (default 50000)"
    )
    parser.add_argument("--submissions", type=int, default=2_000, help="applications to file (default 2000)")
    parser.add_argument("--lifecycles", type=int, default=200, help="full life cycles (default 200)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument(
        "--threads", type=int, default=1, help="submitting threads per worker process, as gthread (default 1)"
    )
    parser.add_argument("--applicants", type=int, default=2_000, help="applicants (default 2000)")
    parser.add_argument("--heavy", type=int, default=500, help="cases of the heavy applicant (default 500)")
    parser.add_argument("--queries", type=int, default=400, help="'my cases' reads (default 400)")
    parser.add_argument("--clients", type=int, default=64, help="threads in the many-client run (≤ 80)")
    parser.add_argument("--per-client", type=int, default=5, help="applications per client (default 5)")
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the bench database")
    args = parser.parse_args()
    args.clients = max(1, min(args.clients, 80))
    args.workers = max(1, min(args.workers, 8))
    args.threads = max(1, min(args.threads, 16))
    return args


def prepare_database(args: argparse.Namespace) -> None:
    import psycopg

    with psycopg.connect(f"{args.pg_url}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone()
        if exists and args.fresh:
            conn.execute(f'DROP DATABASE "{DB_NAME}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    configure_env(args.pg_url)


def configure_env(pg_url: str) -> None:
    os.environ["DATABASE_URL"] = f"{pg_url}/{DB_NAME}"
    os.environ.setdefault("YIWANG_CACHE_PREFIX", "cases-bench-")
    os.environ.setdefault("YIWANG_DATA_DIR", str(RESULTS / "cases-data"))
    os.environ.setdefault("YIWANG_SMS_GATEWAY", "file")
    os.environ.setdefault("YIWANG_LOG_LEVEL", "WARNING")
    Path(os.environ["YIWANG_DATA_DIR"]).mkdir(parents=True, exist_ok=True)


def setup_django(migrate: bool = False) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT / "tests"))  # the catalogue factories build a complete published guide
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def log(text: str) -> None:
    print(text, flush=True)


# --- data ------------------------------------------------------------------------------------------------

FORM = {"address": "杭州市西湖区文三路100号", "application_matter": "基准测试申请"}


def build_fixture(args: argparse.Namespace) -> dict[str, Any]:
    from django.utils import timezone

    from catalog.factories import make_guide, make_implementation, make_organisation
    from yiwang.accounts.models import Membership, Role, User
    from yiwang.catalog import codes
    from yiwang.catalog import services as catalog_services
    from yiwang.core import calendar_data

    today = timezone.localdate()
    calendar_data.seed_calendar(list(range(today.year - 1, today.year + 2)))
    existing = (
        Membership.objects.filter(user__username__startswith="bench-window-").select_related("user").first()
    )
    if existing is not None:  # a reused bench database: take its fixture, top up the applicants
        implementation_id = int(existing.user.username.rsplit("-", 1)[1])
        staff = {
            role: User.objects.get(username=f"bench-{role}-{implementation_id}").pk
            for role in ("window", "reviewer", "approver")
        }
        applicants = list(
            User.objects.filter(username__startswith="bench-applicant-")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if len(applicants) < args.applicants:
            base = User.objects.count() + 1_000_000
            applicants += [
                u.pk
                for u in User.objects.bulk_create(
                    User(
                        username=f"bench-applicant-{base + i}",
                        password=UNUSABLE,
                        phone=f"137{base + i:08d}"[-11:],
                        display_name=f"申请人{base + i}",
                    )
                    for i in range(args.applicants - len(applicants))
                )
            ]
        return {
            "implementation": implementation_id,
            "staff": staff,
            "applicants": applicants[: args.applicants],
        }
    organisation = make_organisation()
    implementation = make_implementation(organisation=organisation)
    guide = make_guide(
        implementation=implementation,
        service_objects=[codes.ServiceObject.PERSON.value],
        charges_fee=False,
        fee_basis="",
        fees=[],
        supports_online_payment=False,
        materials=[
            {"name": "居民身份证", "obtainable_by": "licence", "obtainable_source": "居民身份证电子证照"},
            {"name": "户口簿", "obtainable_by": "data", "obtainable_source": "公安部人口库"},
        ],
    )
    catalog_services.publish(catalog_services.submit(guide))
    implementation.refresh_from_db()
    staff = {}
    for role in (Role.WINDOW, Role.REVIEWER, Role.APPROVER):
        user = User.objects.create_user(username=f"bench-{role}-{implementation.pk}", password=None)
        Membership.objects.create(user=user, organisation=organisation, role=role)
        staff[str(role)] = user.pk
    base = User.objects.count()
    users = User.objects.bulk_create(
        User(
            username=f"bench-applicant-{base + i}",
            password=UNUSABLE,
            phone=f"138{base + i:08d}",
            display_name=f"申请人{i}",
        )
        for i in range(args.applicants)
    )
    return {"implementation": implementation.pk, "staff": staff, "applicants": [u.pk for u in users]}


# --- worker processes --------------------------------------------------------------------------------------


def _queue_tasks() -> None:
    """Queue Celery tasks instead of running them inline, as a deployment with workers does (other apps'
    follow-ups such as the supervision refresh are a worker's job, not the submitting request's)."""
    from yiwang.core.tasks import app as celery_app

    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = "memory://"


def _worker_init(pg_url: str) -> None:
    configure_env(pg_url)
    setup_django()
    _queue_tasks()


def _backend_cpu() -> float:
    """CPU seconds the PostgreSQL backend of this thread's connection has used (0 when not readable:
    a server on another machine). Read before the connection closes."""
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except Exception:
        return 0.0


def _file_many(job: tuple[int, list[int], int, str, int]) -> tuple[int, float, int, float, float]:
    """File `count` applications from `threads` threads of this process (one connection each).
    Returns (count, wall seconds, 0, process CPU seconds, PostgreSQL backend CPU seconds)."""
    implementation_id, applicant_ids, count, tag, threads = job
    from django.db import connections

    from yiwang.accounts.models import User
    from yiwang.cases import services
    from yiwang.catalog.models import Implementation

    implementation = Implementation.objects.get(pk=implementation_id)
    users = {u.pk: u for u in User.objects.filter(pk__in=applicant_ids)}
    errors: list[BaseException] = []
    backend_cpu = [0.0]

    def file_share(thread: int) -> None:
        started_pg = _backend_cpu()
        try:
            for i in range(thread, count, threads):
                user = users[applicant_ids[i % len(applicant_ids)]]
                services.file_application(
                    implementation,
                    applicant=user,
                    form_data={**FORM, "applicant_name": user.display_name, "contact_phone": user.phone},
                    idempotency_key=f"{tag}-{i}",
                )
        except BaseException as exc:  # re-raised below, in the process's main thread
            errors.append(exc)
        finally:
            backend_cpu[0] += _backend_cpu() - started_pg
            if threads > 1:
                connections.close_all()

    started = time.perf_counter()
    started_cpu = time.process_time()
    if threads == 1:
        file_share(0)
    else:
        pool = [threading.Thread(target=file_share, args=(t,)) for t in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    if errors:
        raise errors[0]
    return count, time.perf_counter() - started, 0, time.process_time() - started_cpu, backend_cpu[0]


def _retry(call: Any, counter: list[int]) -> Any:
    """Run one service call; retry it after a deadlock (PostgreSQL aborted one side), counting those."""
    from django.db import OperationalError

    for attempt in range(5):
        try:
            return call()
        except OperationalError as exc:
            if "deadlock" not in str(exc) or attempt == 4:
                raise
            counter[0] += 1
    return None


def _life_cycles(job: tuple[int, list[int], int, str, dict[str, int]]) -> tuple[int, float, int]:
    implementation_id, applicant_ids, count, tag, staff_ids = job
    from yiwang.accounts.models import User
    from yiwang.cases import services
    from yiwang.cases.models import StepStatus
    from yiwang.catalog.models import Implementation

    implementation = Implementation.objects.get(pk=implementation_id)
    users = {u.pk: u for u in User.objects.filter(pk__in=applicant_ids)}
    window, reviewer, approver = (
        User.objects.get(pk=staff_ids[r]) for r in ("window", "reviewer", "approver")
    )
    deadlocks = [0]
    started = time.perf_counter()
    for i in range(count):
        user = users[applicant_ids[i % len(applicant_ids)]]
        case = _retry(
            lambda user=user, i=i: services.file_application(
                implementation,
                applicant=user,
                form_data={**FORM, "applicant_name": user.display_name, "contact_phone": user.phone},
                idempotency_key=f"{tag}-{i}",
            ),
            deadlocks,
        )
        _retry(lambda case=case: services.accept(case, actor=window), deadlocks)
        _retry(lambda case=case: services.start_review(case, actor=reviewer), deadlocks)
        while (
            step := case.steps.filter(status=StepStatus.ACTIVE).order_by("lane", "order").first()
        ) is not None:
            _retry(lambda case=case, step=step: services.complete_step(case, step, actor=reviewer), deadlocks)
        _retry(lambda case=case: services.approve(case, actor=approver, reason="符合条件"), deadlocks)
        _retry(lambda case=case: services.complete(case, actor=approver), deadlocks)
        _retry(lambda case=case: services.deliver(case, actor=window, method="electronic"), deadlocks)
    return count, time.perf_counter() - started, deadlocks[0]


def _safe(job: tuple[Any, ...]) -> tuple[Any, ...]:
    """Run a worker job; re-raise failures as RuntimeError so they cross the process boundary intact."""
    func = _file_many if isinstance(job[-1], int) else _life_cycles
    try:
        return func(job)
    except Exception as exc:
        raise RuntimeError(f"{type(exc).__name__}: {exc}") from None


def run_parallel(args: argparse.Namespace, func: Any, jobs: list[Any]) -> tuple[int, float, int]:
    """Run the jobs in worker processes; logs wall time and, where the jobs report it, CPU per item."""
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    with context.Pool(len(jobs), initializer=_worker_init, initargs=(args.pg_url,)) as pool:
        results = pool.map(_safe, jobs)
    spawn_and_run = time.perf_counter() - started
    busy = max(r[1] for r in results)  # the slowest worker's own time: process start-up excluded
    log(f"  wall {spawn_and_run:.1f} s including process start-up; slowest worker {busy:.1f} s")
    done = sum(r[0] for r in results)
    if all(len(r) >= 5 for r in results) and done:
        app_ms = sum(r[3] for r in results) * 1000 / done
        pg_ms = sum(r[4] for r in results) * 1000 / done
        log(
            f"  CPU per item: application {app_ms:.1f} ms, PostgreSQL backends {pg_ms:.1f} ms "
            f"(sum {app_ms + pg_ms:.1f} ms); load {os.getloadavg()[0]:.1f}"
        )
    return sum(r[0] for r in results), busy, sum(r[2] for r in results)


def measure_submissions(args: argparse.Namespace, fixture: dict[str, Any], run_id: str) -> dict[str, float]:
    applicants = fixture["applicants"]
    share = args.submissions // args.workers
    jobs = [
        (fixture["implementation"], applicants[w :: args.workers], share, f"{run_id}-sub-w{w}", args.threads)
        for w in range(args.workers)
    ]
    # Warm-up in this process: imports, the calendar, the guide, the counter row of today.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from yiwang.core.tasks import app as celery_app

    _file_many((fixture["implementation"], applicants[:5], 5, f"{run_id}-warm", 1))
    eager = celery_app.conf.task_always_eager
    for queued in (False, True):  # inline as in tests; then as the workers run it (tasks queued)
        if queued:
            _queue_tasks()
        with CaptureQueriesContext(connection) as captured:
            _file_many((fixture["implementation"], applicants[5:6], 1, f"{run_id}-count{int(queued)}", 1))
        # _file_many's own four reads (implementation, applicants, backend pid twice) are not the submission's.
        how = "follow-up tasks queued, as in the workers" if queued else "follow-up tasks run inline"
        log(f"  queries per submission (draft + submit, {how}): {len(captured) - 4}")
    celery_app.conf.task_always_eager = eager  # the many-client run below files inline, as before
    count, wall, _ = run_parallel(args, _file_many, jobs)
    return {"submissions": count, "seconds": wall, "per_second": count / wall}


def measure_lifecycles(args: argparse.Namespace, fixture: dict[str, Any], run_id: str) -> dict[str, float]:
    applicants = fixture["applicants"]
    share = max(1, args.lifecycles // args.workers)
    jobs = [
        (
            fixture["implementation"],
            applicants[w :: args.workers],
            share,
            f"{run_id}-life-w{w}",
            fixture["staff"],
        )
        for w in range(args.workers)
    ]
    count, wall, deadlocks = run_parallel(args, _life_cycles, jobs)
    return {"lifecycles": count, "seconds": wall, "per_second": count / wall, "deadlocks": deadlocks}


# --- bulk data for reads and the sweep ----------------------------------------------------------------------


def bulk_cases(
    fixture: dict[str, Any], count: int, applicant_ids: list[int], tag: str, *, spread: bool
) -> None:
    """Insert open cases directly (bulk) with deadlines spread around today, like a live region's backlog."""
    from django.utils import timezone

    from yiwang.cases.models import Case, CaseStatus, CaseStep, StepStatus, WarningLevel
    from yiwang.catalog.models import Implementation
    from yiwang.core.workdays import add_working_days

    implementation = Implementation.objects.select_related("published_version").get(
        pk=fixture["implementation"]
    )
    guide = implementation.published_version
    today = timezone.localdate()
    rng = random.Random(count)
    chunk = 5_000
    staff_org = implementation.organisation_id
    for start in range(0, count, chunk):
        rows = []
        for i in range(start, min(count, start + chunk)):
            roll = rng.random()
            if not spread:
                status, submitted, accepted = CaseStatus.IN_REVIEW, today, today
            elif roll < 0.005:  # unanswered past the acceptance deadline: deemed accepted today
                status, submitted, accepted = CaseStatus.SUBMITTED, today - dt.timedelta(days=12), None
            elif roll < 0.10:  # waiting for acceptance, within the period
                status, submitted, accepted = CaseStatus.SUBMITTED, today, None
            else:
                back = rng.randint(0, 40)
                status, submitted, accepted = (
                    CaseStatus.IN_REVIEW,
                    today - dt.timedelta(days=back + 2),
                    today - dt.timedelta(days=back),
                )
            if status == CaseStatus.SUBMITTED:
                due = add_working_days(submitted, 5)
                warn = add_working_days(submitted, 4)
            else:
                due = add_working_days(accepted, 20) if accepted else None
                warn = add_working_days(accepted, 16) if accepted else None
            level = WarningLevel.NONE
            if spread and due is not None and rng.random() < 0.6:  # most were escalated on earlier days
                level = (
                    WarningLevel.RED
                    if due < today - dt.timedelta(days=1)
                    else (WarningLevel.YELLOW if warn and warn < today else WarningLevel.NONE)
                )
            rows.append(
                Case(
                    number=f"{tag}{i:012d}"[-20:],
                    implementation_id=implementation.pk,
                    guide_id=guide.pk,
                    organisation_id=staff_org,
                    region_id=implementation.region_id,
                    applicant_id=applicant_ids[i % len(applicant_ids)],
                    status=status,
                    form_data=FORM,
                    limit_days=20,
                    acceptance_days=5,
                    submitted_at=timezone.now(),
                    submitted_on=submitted,
                    accepted_on=accepted,
                    acceptance_due=add_working_days(submitted, 5),
                    decision_due=due if accepted else None,
                    due_on=due,
                    warn_on=warn,
                    warning_level=level,
                )
            )
        created = Case.objects.bulk_create(rows)
        steps = [
            CaseStep(
                case_id=c.pk,
                lane=0,
                order=1,
                name="审查",
                role="审查人员",
                organisation_id=staff_org,
                time_limit=2,
                status=StepStatus.ACTIVE,
                due_on=add_working_days(c.accepted_on, 2),
                warn_on=add_working_days(c.accepted_on, 2),
                warning_level=WarningLevel.RED
                if (c.accepted_on and c.accepted_on < today - dt.timedelta(days=5))
                else WarningLevel.NONE,
            )
            for c in created
            if c.status == CaseStatus.IN_REVIEW and c.accepted_on
        ]
        CaseStep.objects.bulk_create(steps)


def measure_my_cases(args: argparse.Namespace, fixture: dict[str, Any]) -> dict[str, float]:
    from yiwang.accounts.models import User
    from yiwang.cases import selectors

    heavy = User.objects.get(pk=fixture["applicants"][0])
    rng = random.Random(3)
    users = list(
        User.objects.filter(pk__in=rng.sample(fixture["applicants"], min(200, len(fixture["applicants"]))))
    )
    timings = []
    for i in range(args.queries):
        user = heavy if i % 4 == 0 else rng.choice(users)
        started = time.perf_counter()
        queryset = selectors.my_cases(user)
        rows = list(queryset[:20])
        total = queryset.count()
        for case in rows:  # what the page shows of each row
            _ = (case.number, case.status, case.implementation.name, case.organisation.name)
        timings.append((time.perf_counter() - started) * 1000)
        assert total >= 0
    timings.sort()
    return {
        "p50_ms": statistics.median(timings),
        "p95_ms": timings[int(len(timings) * 0.95) - 1],
        "reads": len(timings),
    }


def measure_sweep(args: argparse.Namespace, fixture: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection

    from yiwang.cases.models import Case, CaseStatus
    from yiwang.cases.sweep import sweep

    open_now = Case.objects.filter(status__in=[CaseStatus.SUBMITTED, CaseStatus.IN_REVIEW]).count()
    missing = args.open_cases - open_now
    if missing > 0:
        log(f"生成在办办件 {missing} 件 …")
        started = time.monotonic()
        bulk_cases(fixture, missing, fixture["applicants"], f"9{int(time.time()) % 10**6:06d}", spread=True)
        log(f"  用时 {time.monotonic() - started:.1f} 秒")
        # What autovacuum does after a large load in production (it is off on the bench machines): hint
        # bits set, visibility map and statistics current. Without it the sweep's first pass pays for
        # the whole table's hint bits.
        started = time.monotonic()
        connection.ensure_connection()
        connection.connection.autocommit = True
        with connection.cursor() as cursor:
            for table in ("cases_case", "cases_casestep", "cases_supplementrequest"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        log(f"  VACUUM ANALYZE {time.monotonic() - started:.1f} 秒")
    open_cases = Case.objects.filter(due_on__isnull=False).count()
    _queue_tasks()
    phases = _time_sweep_phases()
    first = sweep()
    log("  " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in phases.items()))
    second = sweep()
    return {"open_cases": open_cases, "first": first, "second": second}


def _time_sweep_phases() -> dict[str, float]:
    """Wall seconds of each step of the next sweep (bench instrumentation: wraps the module's steps)."""
    from yiwang.cases import sweep as module

    phases: dict[str, float] = {}
    for name in ("_deemed_acceptance", "_lapse_supplements", "_recompute_provisional", "_escalate"):
        step = getattr(module, name)

        def timed(*args: Any, _step: Any = step, _name: str = name, **kwargs: Any) -> Any:
            started = time.monotonic()
            try:
                return _step(*args, **kwargs)
            finally:
                phases[_name.strip("_")] = time.monotonic() - started
                setattr(module, _name, _step)  # once: the second sweep runs unwrapped

        setattr(module, name, timed)
    return phases


# --- many clients -------------------------------------------------------------------------------------------


def many_clients(args: argparse.Namespace, fixture: dict[str, Any], run_id: str) -> dict[str, Any]:
    from django.db import connections

    from yiwang.accounts.models import User
    from yiwang.cases import services
    from yiwang.cases.models import Case
    from yiwang.catalog.models import Implementation

    implementation = Implementation.objects.get(pk=fixture["implementation"])
    users = list(User.objects.filter(pk__in=fixture["applicants"][: args.clients]))
    errors: list[str] = []
    barrier = threading.Barrier(len(users))

    def client(user: Any, index: int) -> None:
        try:
            barrier.wait()
            for n in range(args.per_client):
                for _attempt in range(3):  # the first call and two retries of the same request
                    services.file_application(
                        implementation,
                        applicant=user,
                        form_data={**FORM, "applicant_name": user.display_name, "contact_phone": user.phone},
                        idempotency_key=f"{run_id}-c{index}-{n}",
                    )
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(u, i)) for i, u in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    keys = [f"{run_id}-c{i}-{n}" for i in range(len(users)) for n in range(args.per_client)]
    cases = list(
        Case.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", "number", "status")
    )
    per_key: dict[str, int] = {}
    for key, _number, _status in cases:
        per_key[key] = per_key.get(key, 0) + 1
    lost = [k for k in keys if k not in per_key]
    duplicated = [k for k, n in per_key.items() if n > 1]
    numbers = [number for _k, number, _s in cases]
    return {
        "clients": len(users),
        "expected": len(keys),
        "cases": len(cases),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "numbers_unique": len(numbers) == len(set(numbers)) and None not in numbers,
        "not_filed": sum(1 for _k, _n, s in cases if s == "draft"),
        "errors": errors[:5],
        "error_count": len(errors),
        "calls_per_second": len(keys) * 3 / wall,
        "seconds": wall,
    }


def main() -> int:
    args = parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    prepare_database(args)
    setup_django(migrate=True)
    from django.utils import timezone

    log("准备数据 …")
    fixture = build_fixture(args)
    run_id = timezone.now().strftime("%H%M%S")
    log(f"提交 {args.submissions} 件（{args.workers} 个进程）…")
    submissions = measure_submissions(args, fixture, run_id)
    log(f"完整办理流程 {args.lifecycles} 件 …")
    lifecycles = measure_lifecycles(args, fixture, run_id)
    log(f"重度申请人 {args.heavy} 件 …")
    bulk_cases(fixture, args.heavy, fixture["applicants"][:1], f"8{run_id}", spread=False)
    my_cases = measure_my_cases(args, fixture)
    log(f"{args.clients} 个客户端并发提交（每件重试两次）…")
    clients = many_clients(args, fixture, run_id)
    log("期限扫描 …")
    swept = measure_sweep(args, fixture)
    first, second = swept["first"], swept["second"]
    lines = [
        "",
        "| measure | result | notes |",
        "|---|---|---|",
        f"| submissions/s ({args.workers} processes × {args.threads} threads) | {submissions['per_second']:.0f} | {submissions['submissions']} filed in {submissions['seconds']:.1f} s; target ≥ 200 |",
        f"| full life cycles/s ({args.workers} processes) | {lifecycles['per_second']:.1f} | {lifecycles['lifecycles']} cases × 12 transitions in {lifecycles['seconds']:.1f} s; deadlocks retried {lifecycles['deadlocks']} |",
        f"| 'my cases' p50 / p95 | {my_cases['p50_ms']:.1f} / {my_cases['p95_ms']:.1f} ms | first page + count, {my_cases['reads']} reads, heavy applicant {args.heavy} cases |",
        f"| sweep, day's work | {first.seconds:.2f} s | {swept['open_cases']} running clocks; deemed {first.deemed_accepted}, yellow {first.yellow}, red {first.red}, step yellow {first.step_yellow}, step red {first.step_red} |",
        f"| sweep, nothing new | {second.seconds:.2f} s | the scan alone |",
        f"| {clients['clients']} clients × {args.per_client} × 3 calls | lost {clients['lost']}, duplicated {clients['duplicated']} | {clients['cases']}/{clients['expected']} cases, numbers unique: {clients['numbers_unique']}, errors {clients['error_count']} {clients['errors'][:1]}, {clients['calls_per_second']:.0f} calls/s |",
    ]
    text = "\n".join(lines)
    log(text)
    (RESULTS / f"cases-{args.open_cases}.txt").write_text(text + "\n", encoding="utf-8")
    ok = clients["lost"] == 0 and clients["duplicated"] == 0 and clients["numbers_unique"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
