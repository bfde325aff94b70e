"""Read API for the core registries: regions and organisations."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from yiwang.core import selectors

router = Router(tags=["基础数据"])


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None


@router.get("/regions/{code}", response=RegionOut, summary="行政区划详情")
def region_detail(request: HttpRequest, code: str) -> RegionOut:
    region = selectors.region_by_code(code)
    if region is None:
        raise HttpError(404, f"行政区划代码 {code} 不存在。")
    return RegionOut(code=region.code, name=region.name, level=region.level, parent_code=region.parent_id)
