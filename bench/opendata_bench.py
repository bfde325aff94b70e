"""Open-data benchmark: package_search latency over many published datasets (target p95 ≤ 100 ms at
100,000 datasets — the size for which CKAN itself needs Solr).

    .venv/bin/python bench/opendata_bench.py                       # SQLite, 100,000 datasets
    .venv/bin/python bench/opendata_bench.py --db postgres --datasets 100000
    .venv/bin/python bench/opendata_bench.py --help

A bench database of its own (SQLite in bench/results/opendata-<n>.sqlite3, or PostgreSQL database
bench_yiwang_opendata on BENCH_PG_URL), migrated and filled once with N published datasets written in
bulk (Chinese titles and descriptions from city × subject × kind, 60 publishers, 9 themes with one or
two a dataset, 122 tags with one to four a dataset, five licences, seven update frequencies, 1–3
resources in 4 formats, creation and modification dates spread over five years) and their search terms;
reused on the next run (a smaller fill resumes where it stopped). SQLite runs with the embedded
configuration as deployed (WAL, 64 MB page cache, mmap). Each query kind then runs one request at a time
through Django's full request path (middleware, URL routing, the CKAN action view, JSON rendering) in
this process; the tables show wall-clock p50/p95/p99/max and this process's CPU time per request, first
with caches as they come, then "cold" — the catalogue generation bumped before every request, as for
the first search after a publish. With other work on the machine, read the CPU columns (and `uptime`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/bench_yiwang_opendata")

SUBJECTS = (
    "公交",
    "地铁",
    "出租车",
    "医院",
    "学校",
    "养老",
    "企业",
    "信用",
    "就业",
    "社保",
    "空气",
    "水质",
    "道路",
    "停车",
)
KINDS = ("站点", "名录", "统计", "分布", "年度报告", "月度数据", "信息", "指标")
CITIES = (
    "杭州市",
    "宁波市",
    "温州市",
    "嘉兴市",
    "湖州市",
    "绍兴市",
    "金华市",
    "衢州市",
    "舟山市",
    "台州市",
    "丽水市",
)
THEMES = (
    "transport",
    "health",
    "education",
    "economy",
    "credit",
    "employment",
    "social-security",
    "environment",
    "services",
)
FORMATS = ("CSV", "JSON", "XLSX", "API")


def setup(db: str, count: int) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    if db == "postgres":
        os.environ["DATABASE_URL"] = PG_URL
        _ensure_pg_database()
    else:
        # The embedded configuration as deployed (WAL, 64 MB page cache, mmap), not a bare DATABASE_URL.
        os.environ.pop("DATABASE_URL", None)
        os.environ["YIWANG_SQLITE_PATH"] = str(RESULTS / f"opendata-{count}.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    os.environ["YIWANG_OPENDATA_ANON_RATE"] = "0"
    import django

    django.setup()
    import logging

    logging.getLogger("yiwang.request").setLevel(logging.WARNING)  # one log line per request drowns the table
    from django.conf import settings
    from django.core.management import call_command

    settings.YIWANG_OPENDATA_ANON_RATE = 0
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)


def _ensure_pg_database() -> None:
    import psycopg

    name = PG_URL.rsplit("/", 1)[1]
    with psycopg.connect(PG_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        if not connection.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            connection.execute(f'create database "{name}"')


DEPARTMENTS = (
    "交通运输局",
    "卫生健康委员会",
    "教育局",
    "市场监督管理局",
    "人力资源和社会保障局",
    "生态环境局",
    "民政局",
    "大数据发展管理局",
)
EXTRA_TAGS = (
    "开放接口",
    "实时",
    "历史数据",
    "地理信息",
    "民生",
    "便民服务",
    "营商环境",
    "年度",
    "区县",
    "统计公报",
)
OPENING = ("本数据集汇总了", "本数据集发布", "数据集记录", "按季度更新的")
CLOSING = (
    "数据来源于业务系统，已去除个人信息。",
    "字段含名称、地址、联系电话和经纬度。",
    "可用于研究与应用开发。",
    "",
)


def _catalogue() -> tuple[list, list, list[str]]:
    from yiwang.core.models import Organisation, Region
    from yiwang.opendata.models import Theme

    region, _ = Region.objects.get_or_create(code="330000", defaults={"name": "浙江省", "level": 1})
    organisations = []
    for index in range(60):
        city, department = CITIES[index % len(CITIES)], DEPARTMENTS[index % len(DEPARTMENTS)]
        organisation, _ = Organisation.objects.get_or_create(
            uscc=f"11330000{index:08d}BX"[:18], defaults={"name": f"{city}{department}", "region": region}
        )
        organisations.append(organisation)
    themes = [Theme.objects.get_or_create(name=name, defaults={"title": name})[0] for name in THEMES]
    tags = [f"{s}{k}" for s in SUBJECTS for k in KINDS] + list(EXTRA_TAGS)
    return organisations, themes, tags


def fill(count: int) -> None:
    """Datasets, theme links and resources with bulk_create, then terms, search rows and stored
    documents with services.index_many (executemany), one transaction per batch of 2,000."""
    from django.db import connection, transaction

    from yiwang.opendata import services
    from yiwang.opendata.licenses import LICENSES
    from yiwang.opendata.models import Dataset, DatasetStatus, Resource, UpdateFrequency

    have = Dataset.objects.filter(status=DatasetStatus.PUBLISHED).count()
    if have >= count:
        return
    rng = random.Random(20261122 + have)
    organisations, themes, tags = _catalogue()
    frequencies = [choice for choice, _label in UpdateFrequency.choices]
    licences = [licence.id for licence in LICENSES]
    now = dt.datetime.now(dt.UTC)
    started, cpu_started = time.monotonic(), time.process_time()
    batch = 2000
    for offset in range(have, count, batch):
        size = min(batch, count - offset)
        with transaction.atomic():
            rows = []
            for i in range(size):
                city, subject, kind = rng.choice(CITIES), rng.choice(SUBJECTS), rng.choice(KINDS)
                year = rng.choice(("", "", f"（{rng.randint(2015, 2026)}年）"))
                rows.append(
                    Dataset(
                        name=f"ds-{offset + i:07d}",
                        title=f"{city}{subject}{kind}{year}",
                        notes=f"{rng.choice(OPENING)}{city}{rng.choice(SUBJECTS)}相关的{kind}，"
                        f"按{rng.choice(CITIES)}各区县分列。{rng.choice(CLOSING)}",
                        organisation=rng.choice(organisations),
                        tags=rng.sample(tags, rng.randint(1, 4)),
                        license_id=rng.choice(licences),
                        update_frequency=rng.choice(frequencies),
                        status=DatasetStatus.PUBLISHED,
                    )
                )
            datasets = Dataset.objects.bulk_create(rows)
            if not all(d.pk for d in datasets):
                datasets = list(Dataset.objects.filter(name__gte=f"ds-{offset:07d}").order_by("name")[:size])
            # Spread creation and modification over five years, as a real catalogue's are.
            times = []
            for d in datasets:
                created = now - dt.timedelta(seconds=rng.randint(86400, 5 * 365 * 86400))
                modified = created + dt.timedelta(
                    seconds=rng.randint(0, int((now - created).total_seconds()))
                )
                times.append((created, modified, modified, d.pk))
            field = Dataset._meta.get_field("created_at")
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {Dataset._meta.db_table} SET created_at = %s, modified_at = %s, "  # noqa: S608
                    "published_at = %s WHERE id = %s",
                    [(*(field.get_db_prep_value(t, connection) for t in row[:3]), row[3]) for row in times],
                )
            through = Dataset.themes.through
            through.objects.bulk_create(
                [
                    through(dataset_id=d.pk, theme_id=theme.pk)
                    for d in datasets
                    for theme in rng.sample(themes, rng.choice((1, 1, 1, 2)))
                ]
            )
            resources = [
                Resource(
                    dataset=d,
                    name=f"{d.title}（{position + 1}）",
                    format=rng.choice(FORMATS),
                    size=rng.randint(2_000, 50_000_000),
                    sha256=f"{rng.getrandbits(256):064x}",
                    row_count=rng.randint(10, 500_000),
                    position=position,
                )
                for d in datasets
                for position in range(rng.choice((1, 1, 2, 3)))
            ]
            Resource.objects.bulk_create(resources)
            services.index_many([d.pk for d in datasets])
        done = offset + size
        rate = (done - have) / max(time.monotonic() - started, 0.001)
        cpu_rate = (done - have) / max(time.process_time() - cpu_started, 0.001)
        print(
            f"\r生成数据集 {done}/{count}（{rate:.0f} 个/秒，按本进程 CPU 时间 {cpu_rate:.0f} 个/秒）",
            end="",
            flush=True,
        )
    print(
        f"\n填充用时 {time.monotonic() - started:.0f} 秒，本进程 CPU {time.process_time() - cpu_started:.0f} 秒"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def queries(rng: random.Random) -> dict[str, callable]:  # type: ignore[valid-type]
    def words() -> dict[str, str]:
        return {"q": rng.choice(SUBJECTS)}

    def two_words() -> dict[str, str]:
        return {"q": f"{rng.choice(CITIES)} {rng.choice(SUBJECTS)}"}

    def facets() -> dict[str, str]:
        return {"q": rng.choice(SUBJECTS), "facet.field": '["organization","groups","tags","res_format"]'}

    def all_facets() -> dict[str, str]:
        return {"facet.field": '["organization","groups","res_format","license_id"]', "rows": "20"}

    def filtered() -> dict[str, str]:
        return {"fq": f"groups:{rng.choice(THEMES)} res_format:{rng.choice(FORMATS)}", "rows": "20"}

    def deep_page() -> dict[str, str]:
        return {
            "q": "*:*",
            "sort": "metadata_modified desc",
            "rows": "100",
            "start": str(rng.randint(0, 50) * 100),
        }

    def by_name() -> dict[str, str]:
        return {"sort": "name asc", "rows": "1000", "start": str(rng.randint(0, 20) * 1000)}

    return {
        "q 一个词": words,
        "q 两个词": two_words,
        "q + 分面": facets,
        "全部 + 分面": all_facets,
        "fq 主题+格式": filtered,
        "翻页（100 行）": deep_page,
        "翻页（1000 行）": by_name,
    }


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def measure(rounds: int, *, cold: bool) -> list[tuple[str, dict[str, float], int]]:
    """Per query kind: wall-clock p50/p95/p99/max and CPU p50/p95 of this process, in ms.

    cold: the catalogue's generation is bumped before every request, so no cached facet counts or
    totals help — every request pays what the first search after a publish or change pays.
    """
    from django.test import Client

    from yiwang.opendata import search

    client = Client()
    rng = random.Random(7)
    rows = []
    for label, make in queries(rng).items():
        walls, cpus = [], []
        count = 0
        for _ in range(3):  # warm the page cache and the ORM's SQL compilation
            client.get("/api/3/action/package_search", make())
        for _ in range(rounds):
            params = make()
            if cold:
                search.bump_generation()
            cpu_started, started = time.process_time(), time.perf_counter()
            response = client.get("/api/3/action/package_search", params)
            walls.append((time.perf_counter() - started) * 1000)
            cpus.append((time.process_time() - cpu_started) * 1000)
            assert response.status_code == 200, response.content[:300]
            count = response.json()["result"]["count"]
        figures = {
            "p50": statistics.median(walls),
            "p95": _percentile(walls, 0.95),
            "p99": _percentile(walls, 0.99),
            "max": max(walls),
            "cpu50": statistics.median(cpus),
            "cpu95": _percentile(cpus, 0.95),
        }
        rows.append((label, figures, count))
    return rows


def report(rows: list[tuple[str, dict[str, float], int]], title: str) -> None:
    print(f"\n{title}")
    print(
        f"{'查询':<14}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}{'CPU p50':>9}{'CPU p95':>9}{'命中数':>9}"
        "  （毫秒；目标 p95 ≤ 100）"
    )
    for label, f, count in rows:
        flag = "✓" if f["p95"] <= 100 else "✗"
        print(
            f"{label:<14}{f['p50']:>8.1f}{f['p95']:>8.1f}{f['p99']:>8.1f}{f['max']:>8.1f}"
            f"{f['cpu50']:>9.1f}{f['cpu95']:>9.1f}{count:>9}  {flag}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--datasets", type=lambda v: int(v.replace("_", "")), default=100_000)
    parser.add_argument("--rounds", type=int, default=100, help="每类查询的次数")
    parser.add_argument("--fill-only", action="store_true", help="只生成数据，不测量")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    setup(args.db, args.datasets)
    fill(args.datasets)
    if args.fill_only:
        return
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    head = f"package_search · {args.db} · {args.datasets:,} 个数据集 · {platform.node()} · {dt.date.today()}"
    report(measure(args.rounds, cold=False), f"{head} · 缓存照常 · 负载 {load}")
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    report(measure(args.rounds, cold=True), f"{head} · 每次请求前作废缓存（冷） · 负载 {load}")


if __name__ == "__main__":
    main()
