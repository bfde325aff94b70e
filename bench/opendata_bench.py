"""Open-data benchmark: package_search latency over many published datasets (target p95 ≤ 100 ms at
100,000 datasets — the size for which CKAN itself needs Solr).

    .venv/bin/python bench/opendata_bench.py                       # SQLite, 100,000 datasets
    .venv/bin/python bench/opendata_bench.py --db postgres --datasets 100000
    .venv/bin/python bench/opendata_bench.py --help

A bench database of its own (SQLite in bench/results/opendata-<n>.sqlite3, or PostgreSQL database
bench_yiwang_opendata on BENCH_PG_URL), migrated and filled once with N published datasets written in
bulk (realistic Chinese titles, 40 publishers, 9 themes, 60 tags, 1–3 resources in 4 formats) and their
search terms; reused on the next run. Each query kind then runs through Django's full request path
(middleware, URL routing, the CKAN action view, JSON rendering) in this process, and the table shows
p50/p95/max latency per kind.
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
        os.environ["DATABASE_URL"] = f"sqlite:///{RESULTS / f'opendata-{count}.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    os.environ["YIWANG_OPENDATA_ANON_RATE"] = "0"
    import django

    django.setup()
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


def fill(count: int) -> None:
    from django.db import transaction

    from yiwang.core.models import Organisation, Region
    from yiwang.opendata import services
    from yiwang.opendata.models import Dataset, DatasetStatus, Resource, Theme

    have = Dataset.objects.filter(status=DatasetStatus.PUBLISHED).count()
    if have >= count:
        return
    rng = random.Random(20261122)
    region, _ = Region.objects.get_or_create(code="330000", defaults={"name": "浙江省", "level": 1})
    organisations = []
    for index in range(40):
        uscc = f"11330000{index:08d}BX"[:18]
        organisation, _ = Organisation.objects.get_or_create(
            uscc=uscc,
            defaults={"name": f"{CITIES[index % len(CITIES)]}第{index}数据发布单位", "region": region},
        )
        organisations.append(organisation)
    themes = [Theme.objects.get_or_create(name=name, defaults={"title": name})[0] for name in THEMES]
    tags = [f"{s}{k}" for s in SUBJECTS[:10] for k in KINDS[:6]]
    started = time.monotonic()
    batch = 2000
    for offset in range(have, count, batch):
        size = min(batch, count - offset)
        with transaction.atomic():
            datasets = Dataset.objects.bulk_create(
                [
                    Dataset(
                        name=f"ds-{offset + i:07d}",
                        title=f"{rng.choice(CITIES)}{rng.choice(SUBJECTS)}{rng.choice(KINDS)}",
                        notes=f"{rng.choice(SUBJECTS)}相关的{rng.choice(KINDS)}，按{rng.choice(CITIES)}各区县分列。",
                        organisation=rng.choice(organisations),
                        tags=rng.sample(tags, 2),
                        license_id=rng.choice(("cc-by-4.0", "cc0-1.0", "platform-terms")),
                        status=DatasetStatus.PUBLISHED,
                    )
                    for i in range(size)
                ]
            )
            if not all(d.pk for d in datasets):
                datasets = list(Dataset.objects.filter(name__gte=f"ds-{offset:07d}").order_by("name")[:size])
            through = Dataset.themes.through
            through.objects.bulk_create(
                [through(dataset_id=d.pk, theme_id=rng.choice(themes).pk) for d in datasets]
            )
            resources = []
            for d in datasets:
                for position in range(rng.randint(1, 3)):
                    resources.append(
                        Resource(
                            dataset=d,
                            name=f"{d.title}（{position + 1}）",
                            format=rng.choice(FORMATS),
                            position=position,
                        )
                    )
            Resource.objects.bulk_create(resources)
            services.index_many([d.pk for d in datasets])
        done = offset + size
        rate = (done - have) / max(time.monotonic() - started, 0.001)
        print(f"\r生成数据集 {done}/{count}（{rate:.0f} 个/秒）", end="", flush=True)
    print()
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
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


def measure(rounds: int) -> list[tuple[str, float, float, float, int]]:
    from django.test import Client

    client = Client()
    rng = random.Random(7)
    rows = []
    for label, make in queries(rng).items():
        timings = []
        count = 0
        for _ in range(3):  # warm caches and the ORM's SQL compilation
            client.get("/api/3/action/package_search", make())
        for _ in range(rounds):
            params = make()
            started = time.perf_counter()
            response = client.get("/api/3/action/package_search", params)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.content[:300]
            count = response.json()["result"]["count"]
        timings.sort()
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        rows.append((label, statistics.median(timings), p95, timings[-1], count))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--datasets", type=lambda v: int(v.replace("_", "")), default=100_000)
    parser.add_argument("--rounds", type=int, default=100, help="每类查询的次数")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    setup(args.db, args.datasets)
    fill(args.datasets)
    rows = measure(args.rounds)
    print(
        f"\npackage_search · {args.db} · {args.datasets:,} 个数据集 · {platform.node()} · {dt.date.today()}"
    )
    print(f"{'查询':<14}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'命中数':>10}  目标 p95 ≤ 100 ms")
    for label, p50, p95, worst, count in rows:
        flag = "✓" if p95 <= 100 else "✗"
        print(f"{label:<14}{p50:>10.1f}{p95:>10.1f}{worst:>10.1f}{count:>10}  {flag}")


if __name__ == "__main__":
    main()
