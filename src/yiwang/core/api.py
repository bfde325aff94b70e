"""Read API for the core registries: regions and organisations (mounted at /api/core/)."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from yiwang.core import selectors, validators
from yiwang.core.models import Organisation, OrganisationKind, Region, RegionLevel

router = Router(tags=["基础数据"])
MAX_PAGE_SIZE = 100


class RegionOut(Schema):
    code: str = Field(description="6位行政区划代码（GB/T 2260），如 330100")
    name: str = Field(description="区划名称，如 杭州市")
    level: str = Field(description="级别：province 省级、prefecture 地级、county 县级")
    level_label: str = Field(description="级别的中文名称")
    parent_code: str | None = Field(description="上级区划代码；省级为空")

    @staticmethod
    def resolve_level_label(region: Region) -> str:
        return str(RegionLevel(region.level).label)

    @staticmethod
    def resolve_parent_code(region: Region) -> str | None:
        return region.parent_id


class RegionDetailOut(RegionOut):
    ancestors: list[RegionOut] = Field(description="从省级到直接上级的各级区划")
    children_count: int = Field(description="直接下级区划的数量")

    @staticmethod
    def resolve_ancestors(region: Region) -> list[Region]:
        return selectors.region_ancestors(region)

    @staticmethod
    def resolve_children_count(region: Region) -> int:
        return selectors.region_children(region).count()


class RegionFilters(Schema):
    parent: str | None = Field(None, description="只列出此代码的直接下级，如 330000")
    level: str | None = Field(None, description="按级别筛选：province、prefecture 或 county")


class OrganisationOut(Schema):
    id: int = Field(description="机构编号")
    name: str = Field(description="机构名称")
    short_name: str = Field(description="简称")
    uscc: str = Field(description="统一社会信用代码（18位，GB 32100）")
    uscc_warning: str = Field(description="信用代码提示：校验位不符的试点代码在此说明，正常为空")
    region_code: str = Field(description="所在行政区划代码")
    region_name: str = Field(description="所在行政区划名称")
    kind: str = Field(description="类别：department 部门、hall 政务服务大厅、authorised 授权组织、other 其他")
    kind_label: str = Field(description="类别的中文名称")
    parent_id: int | None = Field(description="上级机构编号；无上级时为空")
    address: str = Field(description="地址")
    phone: str = Field(description="联系电话")
    is_active: bool = Field(description="是否有效")

    @staticmethod
    def resolve_region_code(org: Organisation) -> str:
        return org.region_id

    @staticmethod
    def resolve_region_name(org: Organisation) -> str:
        return org.region.name

    @staticmethod
    def resolve_kind_label(org: Organisation) -> str:
        return str(OrganisationKind(org.kind).label)


class OrganisationFilters(Schema):
    region: str | None = Field(None, description="行政区划代码，如 330100")
    subtree: bool = Field(False, description="为 true 时包含该区划下级区划的机构")
    kind: str | None = Field(None, description="按类别筛选：department、hall、authorised 或 other")
    q: str | None = Field(None, description="按名称、简称（包含）或统一社会信用代码（精确）查找")
    include_inactive: bool = Field(False, description="为 true 时也列出已失效的机构")


def _existing_region(code: str, what: str) -> Region:
    """400 for a malformed code, 404 for a well-formed code that no region has."""
    try:
        clean = validators.validate_region_code(code)
    except ValidationError as exc:
        raise HttpError(400, f"{what}：{exc.messages[0]}") from None
    region = selectors.region_by_code(clean)
    if region is None:
        raise HttpError(404, _("行政区划代码 %(code)s 不存在，请核对。") % {"code": clean})
    return region


def _check_level(level: str | None) -> None:
    if level is not None and level not in RegionLevel.values:
        raise HttpError(
            400, _("级别“%(level)s”无效，应为 province、prefecture 或 county。") % {"level": level}
        )


@router.get("/regions", response=list[RegionOut], summary="行政区划列表")
@paginate(PageNumberPagination, page_size=MAX_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def region_list(request: HttpRequest, filters: Query[RegionFilters]) -> QuerySet[Region]:
    """按上级代码或级别列出行政区划，按代码排序，分页（每页最多100条）。"""
    _check_level(filters.level)
    parent = _existing_region(filters.parent, _("上级代码")).code if filters.parent else None
    return selectors.regions(parent_code=parent, level=filters.level)


@router.get("/regions/{code}", response=RegionDetailOut, summary="行政区划详情")
def region_detail(request: HttpRequest, code: str) -> Region:
    """一个区划及其各级上级。"""
    return _existing_region(code, _("行政区划代码"))


@router.get("/regions/{code}/children", response=list[RegionOut], summary="下级行政区划")
def region_children(request: HttpRequest, code: str) -> QuerySet[Region]:
    """一个区划的全部直接下级（不分页）。"""
    return selectors.region_children(_existing_region(code, _("行政区划代码")))


@router.get("/organisations", response=list[OrganisationOut], summary="实施机构列表")
@paginate(PageNumberPagination, page_size=20, max_page_size=MAX_PAGE_SIZE)
def organisation_list(request: HttpRequest, filters: Query[OrganisationFilters]) -> QuerySet[Organisation]:
    """按区划（可含下级）、类别、名称查找实施机构，分页（每页最多100条）。"""
    region = _existing_region(filters.region, _("行政区划代码")) if filters.region else None
    if filters.kind is not None and filters.kind not in OrganisationKind.values:
        raise HttpError(
            400,
            _("类别“%(kind)s”无效，应为 department、hall、authorised 或 other。") % {"kind": filters.kind},
        )
    return selectors.organisations(
        region=region,
        subtree=filters.subtree,
        kind=filters.kind,
        q=filters.q,
        include_inactive=filters.include_inactive,
    )


@router.get("/organisations/{key}", response=OrganisationOut, summary="实施机构详情")
def organisation_detail(request: HttpRequest, key: str) -> Organisation:
    """按机构编号或18位统一社会信用代码查询。"""
    org = selectors.organisation_by_key(key)
    if org is None:
        raise HttpError(404, _("未找到编号或统一社会信用代码为 %(key)s 的实施机构。") % {"key": key})
    return org
