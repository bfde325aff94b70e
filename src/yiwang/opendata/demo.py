"""Demo open data: themes, a dozen illustrative datasets from the demo province's departments (small
synthetic tables, labelled as demonstration data), and the datasets the platform publishes by itself."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from yiwang.core.models import Organisation
from yiwang.opendata import services, system
from yiwang.opendata.models import Dataset, ResourceFormat, Theme, UpdateFrequency

THEMES = (
    ("government-services", "政务服务", "政务服务事项、办件和评价的公开数据"),
    ("economy", "经济建设", "宏观经济、产业和企业发展"),
    ("credit", "信用服务", "市场主体登记与信用信息"),
    ("transport", "交通出行", "公共交通、道路和出行"),
    ("health", "医疗卫生", "医疗机构与公共卫生"),
    ("education", "教育文化", "学校、教育资源和文化场馆"),
    ("social-security", "社会保障", "社会保险、救助和养老服务"),
    ("employment", "就业创业", "就业服务和创业扶持"),
    ("environment", "生态环境", "环境质量和资源"),
)

DEMO_NOTE = "（演示数据：为展示平台功能而生成，不代表真实统计。）"


@dataclass(frozen=True)
class DemoDataset:
    name: str
    title: str
    notes: str
    publisher: str  # a substring of the publishing organisation's name
    themes: tuple[str, ...]
    tags: tuple[str, ...]
    frequency: str
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


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

DATASETS = (
    DemoDataset(
        "zj-market-entities-by-city",
        "各设区市市场主体数量",
        "全省各设区市在册市场主体数量，按企业、个体工商户和农民专业合作社分列。",
        "市场监督管理局",
        ("credit", "economy"),
        ("市场主体", "企业", "个体工商户"),
        UpdateFrequency.QUARTERLY,
        ("设区市", "企业（户）", "个体工商户（户）", "农民专业合作社（户）"),
        tuple((city, 120000 + i * 9137, 260000 + i * 15311, 3000 + i * 211) for i, city in enumerate(CITIES)),
    ),
    DemoDataset(
        "zj-employment-service-stations",
        "基层就业服务站点",
        "街道（乡镇）就业服务站点名称、所在地和服务电话。",
        "人力资源和社会保障",
        ("employment",),
        ("就业", "服务站点"),
        UpdateFrequency.MONTHLY,
        ("站点名称", "所在设区市", "服务电话"),
        tuple(
            (f"{city}就业服务站{i % 3 + 1}号", city, f"0571-8800{i:04d}") for i, city in enumerate(CITIES * 2)
        ),
    ),
    DemoDataset(
        "zj-elderly-care-institutions",
        "养老机构名录",
        "经备案的养老机构名称、所在设区市和床位数。",
        "民政厅",
        ("social-security",),
        ("养老", "养老机构"),
        UpdateFrequency.QUARTERLY,
        ("机构名称", "所在设区市", "床位数"),
        tuple((f"{city}颐养中心", city, 200 + i * 35) for i, city in enumerate(CITIES)),
    ),
    DemoDataset(
        "zj-hospitals-by-city",
        "各设区市医疗机构数量",
        "医院、基层医疗卫生机构和专业公共卫生机构数量。",
        "卫生健康委员会",
        ("health",),
        ("医疗机构", "医院"),
        UpdateFrequency.ANNUAL,
        ("设区市", "医院（个）", "基层医疗卫生机构（个）", "专业公共卫生机构（个）"),
        tuple((city, 60 + i * 7, 2000 + i * 143, 40 + i * 3) for i, city in enumerate(CITIES)),
    ),
    DemoDataset(
        "zj-schools-by-city",
        "各设区市中小学校数量",
        "小学、初中和普通高中学校数量。",
        "教育厅",
        ("education",),
        ("学校", "教育资源"),
        UpdateFrequency.ANNUAL,
        ("设区市", "小学（所）", "初中（所）", "普通高中（所）"),
        tuple((city, 300 + i * 21, 150 + i * 9, 50 + i * 4) for i, city in enumerate(CITIES)),
    ),
    DemoDataset(
        "zj-construction-permits-monthly",
        "建筑工程施工许可月度统计",
        "按月统计的建筑工程施工许可核发数量和面积。",
        "住房和城乡建设",
        ("economy",),
        ("施工许可", "工程建设"),
        UpdateFrequency.MONTHLY,
        ("月份", "核发数量（件）", "建筑面积（万平方米）"),
        tuple((f"2026-{m:02d}", 800 + m * 37, round(900 + m * 41.5, 1)) for m in range(1, 11)),
    ),
)


def _csv(header: tuple[str, ...], rows: tuple[tuple[Any, ...], ...]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def load_demo(*, stdout: Any) -> None:
    for order, (name, title, description) in enumerate(THEMES):
        Theme.objects.update_or_create(
            name=name, defaults={"title": title, "description": description, "order": order}
        )
    created = 0
    for spec in DATASETS:
        if Dataset.objects.filter(name=spec.name).exists():
            continue
        organisation = (
            Organisation.objects.filter(name__contains=spec.publisher, is_active=True)
            .order_by("region_id")
            .first()
        )
        if organisation is None:
            continue
        with transaction.atomic():
            dataset = services.create_dataset(
                services.DatasetInput(
                    name=spec.name,
                    title=spec.title,
                    notes=spec.notes + DEMO_NOTE,
                    organisation=organisation,
                    license_id="cc-by-4.0",
                    themes=spec.themes,
                    tags=spec.tags,
                    update_frequency=spec.frequency,
                    spatial=organisation.region,
                ),
                actor=None,
            )
            services.add_resource(
                dataset,
                actor=None,
                name=f"{spec.title}（CSV）",
                format=ResourceFormat.CSV,
                data=_csv(spec.header, spec.rows),
            )
            services.publish(dataset, actor=None)
        created += 1
    outcome = system.refresh()
    updated = sum(1 for value in outcome.values() if value == "已更新")
    stdout.write(f"开放数据：新建演示数据集 {created} 个，平台自动发布的数据集更新 {updated} 个。")
