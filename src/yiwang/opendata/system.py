"""Datasets the platform publishes by itself and keeps up to date (`yiwang opendata refresh`, a Celery
task, and the catalogue's publication events).

Each builder returns the rows of one table from another app's selectors — the service catalogue with its
guide elements, 好差评 disclosure figures, efficiency statistics, assessment results, the open entries of
the shared-resource catalogue. A builder whose app is not installed (or has nothing to say yet) returns
None and its dataset is left as it is. No builder reads personal data: only published catalogue entries
and aggregate figures, which is also what the tests check.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.core.models import Organisation
from yiwang.opendata import services
from yiwang.opendata.models import Dataset, DatasetStatus, ResourceFormat, Theme, UpdateFrequency

logger = logging.getLogger("yiwang.opendata")
Rows = tuple[list[str], Iterable[list[Any]]]


@dataclass(frozen=True)
class SystemDataset:
    key: str
    name: str
    title: str
    notes: str
    theme: str
    tags: tuple[str, ...]
    frequency: str
    build: Callable[[], Rows | None]


def _service_catalogue() -> Rows | None:
    from yiwang.catalog import codes
    from yiwang.catalog.selectors import published_implementations

    header = [
        "实施编码",
        "事项名称",
        "事项类型",
        "实施机构",
        "行政区划代码",
        "服务对象",
        "法定办结时限",
        "承诺办结时限",
        "是否收费",
        "网办深度",
        "到现场次数",
        "办理地点",
        "办理时间",
        "咨询电话",
        "办事指南地址",
    ]
    item_types = dict(codes.ItemType.choices)
    audiences = dict(codes.ServiceObject.choices)
    units = dict(codes.TimeUnit.choices)

    def limit(value: Any, unit: str) -> str:
        if unit == codes.TimeUnit.IMMEDIATE:
            return str(units[unit])
        return f"{value}{units.get(unit, '')}" if value else ""

    def rows() -> Iterable[list[Any]]:
        queryset = (
            published_implementations()
            .select_related("organisation", "published_version")
            .order_by("implementation_code")
        )
        for implementation in queryset.iterator(chunk_size=1000):
            guide = implementation.published_version
            if guide is None:
                continue
            yield [
                implementation.implementation_code,
                guide.name,
                str(item_types.get(guide.item_type, guide.item_type)),
                implementation.organisation.name,
                implementation.region_id,
                "、".join(str(audiences.get(code, code)) for code in guide.service_objects),
                limit(guide.legal_limit, guide.legal_limit_unit),
                limit(guide.promised_limit, guide.promised_limit_unit),
                _("是") if guide.charges_fee else _("否"),
                guide.online_depth,
                guide.visits,
                guide.place,
                guide.hours,
                guide.consultation_phone,
                f"/items/{implementation.implementation_code}",
            ]

    return header, rows()


def _selector_rows(module: str, function: str) -> Rows | None:
    """Rows from `yiwang.<module>.selectors.<function>()` -> (header, rows), if that app provides one."""
    import importlib

    try:
        selectors = importlib.import_module(f"yiwang.{module}.selectors")
    except ImportError:
        return None
    provider = getattr(selectors, function, None)
    if provider is None:
        return None
    result: Rows | None = provider()
    return result


SYSTEM_DATASETS: tuple[SystemDataset, ...] = (
    SystemDataset(
        key="service-catalogue",
        name="service-catalogue",
        title="政务服务事项目录（实施清单）",
        notes="本平台已发布的全部政务服务事项实施清单，含事项类型、实施机构、办结时限、收费、网办深度、"
        "到现场次数和办理地点等办事指南要素。每日由平台自动更新。",
        theme="government-services",
        tags=("政务服务", "事项目录", "办事指南"),
        frequency=UpdateFrequency.DAILY,
        build=_service_catalogue,
    ),
    SystemDataset(
        key="review-disclosure",
        name="service-review-disclosure",
        title="政务服务“好差评”公开数据",
        notes="按机构统计的评价数量、满意率、差评数和差评整改率。不含评价人的任何身份信息。",
        theme="government-services",
        tags=("好差评", "满意度"),
        frequency=UpdateFrequency.DAILY,
        build=lambda: _selector_rows("reviews", "open_data_rows"),
    ),
    SystemDataset(
        key="efficiency-statistics",
        name="service-efficiency-statistics",
        title="政务服务办件效能统计",
        notes="按机构统计的办件量、网办率、按时办结率和平均办理时长（工作日）。只含汇总数字。",
        theme="government-services",
        tags=("办件", "效能"),
        frequency=UpdateFrequency.DAILY,
        build=lambda: _selector_rows("supervision", "open_data_rows"),
    ),
    SystemDataset(
        key="assessment-results",
        name="online-service-capability-assessment",
        title="网上政务服务能力评估结果",
        notes="已发布评估轮次中各地区的总指数、等级与排名。",
        theme="government-services",
        tags=("能力评估", "指数"),
        frequency=UpdateFrequency.ANNUAL,
        build=lambda: _selector_rows("assessment", "open_data_rows"),
    ),
    SystemDataset(
        key="shared-resource-catalogue",
        name="shared-resource-catalogue",
        title="政务信息资源目录（可开放部分）",
        notes="政务信息资源目录中开放属性为“可开放”的资源：编码、名称、提供机构、共享类型和更新周期。",
        theme="government-services",
        tags=("资源目录", "数据共享"),
        frequency=UpdateFrequency.WEEKLY,
        build=lambda: _selector_rows("exchange", "open_data_rows"),
    ),
)


def _csv(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue().encode("utf-8")


def _publisher() -> Organisation | None:
    """The platform's own data authority: the top-level organisation of the deployment's region."""
    return (
        Organisation.objects.filter(is_active=True, parent__isnull=True).order_by("region_id", "pk").first()
    )


def refresh(keys: Iterable[str] | None = None) -> dict[str, str]:
    """Rebuild the system datasets (all, or those named); returns {key: what happened}."""
    wanted = set(keys) if keys else None
    outcome: dict[str, str] = {}
    publisher = _publisher()
    if publisher is None:
        return {spec.key: _("没有机构，跳过") for spec in SYSTEM_DATASETS}
    theme, _created = Theme.objects.get_or_create(
        name="government-services", defaults={"title": "政务服务", "order": 0}
    )
    for spec in SYSTEM_DATASETS:
        if wanted is not None and spec.key not in wanted:
            continue
        built = spec.build()
        if built is None:
            outcome[spec.key] = _("数据来源尚未提供，跳过")
            continue
        header, rows = built
        data = _csv(header, rows)
        with transaction.atomic():
            dataset = Dataset.objects.select_for_update().filter(system_key=spec.key).first()
            if dataset is None:
                dataset = services.create_dataset(
                    services.DatasetInput(
                        name=spec.name,
                        title=spec.title,
                        notes=spec.notes,
                        organisation=publisher,
                        license_id="cc-by-4.0",
                        themes=(theme.name,),
                        tags=spec.tags,
                        update_frequency=spec.frequency,
                    ),
                    actor=None,
                    system_key=spec.key,
                )
            current = dataset.resources.first()
            from yiwang.core.crypto import sm3_hex

            if current is not None and current.sm3 == sm3_hex(data):
                outcome[spec.key] = _("无变化")
                continue
            services.add_resource(
                dataset,
                actor=None,
                name=f"{spec.title}（CSV）",
                format=ResourceFormat.CSV,
                data=data,
                replace=current,
            )
            if dataset.status != DatasetStatus.PUBLISHED:
                services.publish(dataset, actor=None)
            outcome[spec.key] = _("已更新")
    return outcome
