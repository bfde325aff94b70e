"""Open-data test data: themes, organisations and published datasets with real uploaded tables."""

from __future__ import annotations

import itertools
from typing import Any

from catalog.factories import make_organisation
from yiwang.core.models import Organisation
from yiwang.opendata import services
from yiwang.opendata.models import Dataset, ResourceFormat, Theme

_sequence = itertools.count(1)


def make_theme(name: str = "traffic", title: str = "交通出行", **fields: Any) -> Theme:
    theme, _created = Theme.objects.get_or_create(name=name, defaults={"title": title, **fields})
    return theme


def csv_bytes(rows: int = 3, *, encoding: str = "utf-8") -> bytes:
    lines = ["站点名称,线路数,所在区"] + [f"站点{i},{i % 7 + 1},西湖区" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode(encoding)


def make_dataset(
    organisation: Organisation | None = None,
    *,
    name: str | None = None,
    title: str = "公交站点信息",
    notes: str = "全市公共交通站点的名称、线路数和所在区县。",
    themes: tuple[str, ...] = (),
    tags: tuple[str, ...] = ("公交",),
    license_id: str = "cc-by-4.0",
    publish: bool = True,
    formats: tuple[str, ...] = (ResourceFormat.CSV,),
) -> Dataset:
    organisation = organisation or make_organisation()
    dataset = services.create_dataset(
        services.DatasetInput(
            name=name or f"dataset-{next(_sequence)}",
            title=title,
            notes=notes,
            organisation=organisation,
            license_id=license_id,
            themes=themes,
            tags=tags,
        ),
        actor=None,
    )
    for fmt in formats:
        if fmt == ResourceFormat.API:
            services.add_resource(
                dataset, actor=None, name="查询接口", format=fmt, url="https://data.example.gov.cn/api"
            )
        else:
            services.add_resource(dataset, actor=None, name=f"{title}（{fmt}）", format=fmt, data=csv_bytes())
    if publish:
        dataset = services.publish(dataset, actor=None)
    return dataset


def bulk_published(
    count: int, organisation: Organisation, *, prefix: str = "bulk", tag: str = "批量"
) -> None:
    """`count` published datasets written in bulk (no files): for paging and scale tests."""
    from yiwang.opendata.models import DatasetStatus

    datasets = Dataset.objects.bulk_create(
        [
            Dataset(
                name=f"{prefix}-{index:06d}",
                title=f"统计数据{index}",
                organisation=organisation,
                tags=[tag],
                license_id="cc-by-4.0",
                status=DatasetStatus.PUBLISHED,
            )
            for index in range(count)
        ],
        batch_size=500,
    )
    if not all(d.pk for d in datasets):  # SQLite before 3.35 returns no ids from bulk_create
        datasets = list(Dataset.objects.filter(name__startswith=f"{prefix}-").order_by("name"))
    services.index_many([dataset.pk for dataset in datasets])
