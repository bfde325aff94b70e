"""Read API for the published catalogue (mounted at /api/catalog/).

Thin on purpose: parse and check the input (every mistake gets a 4xx with a precise Chinese message),
call a selector, render. The detail document is the frozen snapshot every channel serves (同源发布); it is
sent as the stored JSON text, so a detail request costs one indexed query and no JSON work. Lists are
rendered straight from the selector's rows (already in the documented shape). Successful detail and list
answers are kept per process in `readcache` (valid until the catalogue change marker moves, checked about
once a second), so a repeated request asks the database nothing. Measurements behind these choices:
docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import create_model

from yiwang.catalog import codes, readcache, selectors
from yiwang.catalog.models import GuideVersion, PublicStatus
from yiwang.catalog.snapshot import CODED_FIELDS, CODED_LIST_FIELDS, PLAIN_FIELDS
from yiwang.core.validators import validate_region_code

router = Router(tags=["事项目录"])

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
# Deep OFFSETs cost time proportional to the offset; past this many rows, narrow the filters (or use the
# open-data export for the whole catalogue). Like a search engine's result window.
MAX_RESULT_WINDOW = 10_000
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
BEIJING = dt.timezone(dt.timedelta(hours=8), "CST")


# --- schemas: every field carries its Chinese meaning into the OpenAPI document -----------------------


class CatalogErrorOut(Schema):
    detail: str = Field(description="错误说明：错在何处、如何更正")


class GoneOut(CatalogErrorOut):
    implementation_code: str = Field(description="实施编码")
    withdrawn_at: dt.datetime | None = Field(description="取消时间")
    reason: str = Field(description="取消原因")


class OrganisationBrief(Schema):
    id: int = Field(description="实施机构编号")
    name: str = Field(description="实施机构名称")


class RegionBrief(Schema):
    code: str = Field(description="行政区划代码（6位）")
    name: str = Field(description="行政区划名称")


class ImplementationRow(Schema):
    implementation_code: str = Field(description="实施编码（实施清单唯一标识）")
    name: str = Field(description="事项名称")
    item_type: str = Field(description="事项类型代码（GB/T 39046 表A.1，如 01 行政许可、20 公共服务）")
    item_type_label: str = Field(description="事项类型名称")
    organisation: OrganisationBrief = Field(description="实施主体")
    region: RegionBrief = Field(description="行政区划")
    online_depth: int | None = Field(description="网上办理深度：1 Ⅰ级信息公开 … 4 Ⅳ级全程网办")
    version: int | None = Field(description="现行办事指南的版本号")
    published_at: dt.datetime | None = Field(description="现行版本的发布时间")


class ImplementationPage(Schema):
    count: int = Field(
        description=f"符合条件的事项总数，最多数到 {MAX_RESULT_WINDOW} 条（统计值最多缓存1分钟）"
    )
    count_exact: bool = Field(
        description=f"总数是否精确；为 false 时表示超过 {MAX_RESULT_WINDOW} 条，count 是下限，请增加筛选条件"
    )
    page: int = Field(description="当前页码，从1开始")
    page_size: int = Field(description="每页条数")
    pages: int = Field(description="总页数")
    results: list[ImplementationRow] = Field(description="本页事项，按实施编码排序")


class ImplementationQuery(Schema):
    region: str | None = Field(
        None, description="行政区划代码（6位），包含其下级区划的事项；如 330000 为全省，330100 为杭州市"
    )
    organisation: str | None = Field(None, description="实施机构编号或统一社会信用代码（18位）")
    item_type: str | None = Field(
        None, description="事项类型代码（GB/T 39046 表A.1）：01 行政许可 … 10 其他行政权力、20 公共服务"
    )
    audience: Literal["person", "enterprise"] | None = Field(
        None, description="服务对象：person 面向个人（自然人），enterprise 面向法人"
    )
    theme: str | None = Field(None, description="服务主题代码")
    online_depth: int | None = Field(
        None, ge=1, le=4, description="最低网上办理深度（1–4）：只列出深度不低于此值的事项"
    )
    fully_online: bool | None = Field(
        None, description="true 只列出全程网办（Ⅳ级）事项；false 只列出非全程网办事项"
    )
    q: str | None = Field(None, max_length=50, description="按事项名称包含的文字筛选（全文检索见搜索接口）")
    page: int = Field(1, ge=1, description="页码，从1开始")
    page_size: int = Field(
        DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=f"每页条数，1–{MAX_PAGE_SIZE}，默认20"
    )


def _guide_description(name: str) -> str:
    return str(getattr(GuideVersion._meta.get_field(name), "verbose_name", name))


def _plain_type(name: str) -> Any:
    field = GuideVersion._meta.get_field(name)
    internal = field.get_internal_type()
    if internal == "BooleanField":
        return bool
    if internal in {"PositiveIntegerField", "PositiveSmallIntegerField", "IntegerField"}:
        return int | None if field.null else int
    return str


class FileRef(Schema):
    name: str = Field(description="文件名")
    path: str = Field(description="文件在存储中的路径")


class OrganisationDoc(Schema):
    id: int = Field(description="实施机构编号")
    name: str = Field(description="实施机构名称")
    short_name: str = Field(description="实施机构简称")
    uscc: str = Field(description="实施主体统一社会信用代码")


class ThemeDoc(Schema):
    code: str = Field(description="服务主题代码")
    name: str = Field(description="服务主题名称")
    audience: str = Field(description="面向对象：person 个人，enterprise 法人")


class JointOrganisationDoc(Schema):
    name: str = Field(description="共同实施部门（联办机构）名称")
    uscc: str = Field(description="共同实施部门统一社会信用代码")


class VariantDoc(Schema):
    code: str = Field(description="业务办理项编码（实施编码 + 两位序号）")
    code_suffix: str = Field(description="办理项序号")
    name: str = Field(description="办理项名称（新办、变更、延续、注销等）")


class SituationDoc(Schema):
    name: str = Field(description="办理情形名称")
    description: str = Field(description="情形说明")
    variant: str | None = Field(description="所属业务办理项序号")


class MaterialDoc(Schema):
    name: str = Field(description="材料名称")
    situation: str | None = Field(description="适用的办理情形；为空表示所有情形均需")
    issuing_body: str = Field(description="出具机构")
    issue_time_requirement: str = Field(description="出具时间要求")
    source_channel: str = Field(description="来源渠道代码")
    source_channel_label: str = Field(description="来源渠道")
    original_count: int = Field(description="原件份数")
    copy_count: int = Field(description="复印件份数")
    form: str = Field(description="材料形式代码：paper 纸质，electronic 电子，both 纸质或电子")
    form_label: str = Field(description="材料形式")
    necessity: str = Field(description="材料必要性代码：required 必要，optional 非必要，deferrable 容缺")
    necessity_label: str = Field(description="材料必要性")
    notes: str = Field(description="材料办理说明")
    usage_notes: str = Field(description="材料使用说明")
    blank_form: FileRef | None = Field(description="空白表格")
    sample: FileRef | None = Field(description="示例样表")
    obtainable_by: str = Field(
        description="免提交方式代码：sharing 数据共享获取，licence 调用电子证照；空为需提交"
    )
    obtainable_by_label: str = Field(description="免提交方式")
    obtainable_source: str = Field(description="共享数据或电子证照来源")


class StepDoc(Schema):
    name: str = Field(description="环节名称")
    role: str = Field(description="办理人员（岗位）")
    time_limit: int = Field(description="环节时限（工作日）")
    standard: str = Field(description="审查标准")
    result: str = Field(description="办理结果")


class FeeDoc(Schema):
    name: str = Field(description="收费项目名称")
    standard: str = Field(description="收费标准")
    amount: str | None = Field(description="金额（元，字符串以保留精度）")
    basis: str = Field(description="收费依据")
    reducible: bool = Field(description="是否允许减免")
    reduction_basis: str = Field(description="减免依据")


class SpecialProcedureDoc(Schema):
    kind: str = Field(description="特别程序种类代码（GB/T 39046 表A.7）")
    kind_label: str = Field(description="特别程序种类")
    name: str = Field(description="环节名称（听证、检验、专家评审等）")
    time_limit: int = Field(description="所需时限")
    time_limit_unit: str = Field(description="时限单位代码")
    time_limit_unit_label: str = Field(description="时限单位")
    legal_basis: str = Field(description="法定依据")
    charges_fee: bool = Field(description="是否收费")
    counts_toward_limit: bool = Field(description="是否计算在办结时限内")


class FaqDoc(Schema):
    question: str = Field(description="问题")
    answer: str = Field(description="解答")


class _GuideDocumentBase(Schema):
    format: int = Field(description="快照格式版本")
    implementation_code: str = Field(description="实施编码")
    basic_code: str = Field(description="基本编码（基本目录唯一标识）")
    basic_item_name: str = Field(description="基本目录事项名称")
    parent_basic_code: str | None = Field(description="主项的基本编码（子项才有）")
    competent_department: str = Field(description="主管部门")
    version: int = Field(description="办事指南版本号")
    published_at: str | None = Field(description="发布时间（ISO 8601）")
    organisation: OrganisationDoc = Field(description="实施主体")
    region: RegionBrief = Field(description="行政区划")
    planned_effective_date: str | None = Field(description="计划生效日期")
    planned_cancel_date: str | None = Field(description="计划取消日期")
    result_sample: FileRef | None = Field(description="结果样本")
    themes: list[ThemeDoc] = Field(description="服务主题")
    joint_organisations: list[JointOrganisationDoc] = Field(description="共同实施部门（联办机构）")
    variants: list[VariantDoc] = Field(description="业务办理项")
    situations: list[SituationDoc] = Field(description="办理情形")
    materials: list[MaterialDoc] = Field(description="申请材料")
    steps: list[StepDoc] = Field(description="办理流程（环节）")
    fees: list[FeeDoc] = Field(description="收费项目")
    special_procedures: list[SpecialProcedureDoc] = Field(description="特别程序")
    faqs: list[FaqDoc] = Field(description="常见问题")
    quality_score: int = Field(description="发布时的指南质量评分（0–100）")


def _document_fields() -> dict[str, Any]:
    """The flat guide elements, described by the model's own verbose names (one source of truth)."""
    fields: dict[str, Any] = {}
    for name in PLAIN_FIELDS:
        fields[name] = (_plain_type(name), Field(description=_guide_description(name)))
    for name in CODED_FIELDS:
        label = _guide_description(name)
        kind: Any = int if name == "online_depth" else str
        fields[name] = (kind, Field(description=f"{label}代码"))
        fields[f"{name}_label"] = (str, Field(description=label))
    for name in CODED_LIST_FIELDS:
        label = _guide_description(name)
        fields[name] = (list[str], Field(description=f"{label}代码列表"))
        fields[f"{name}_labels"] = (list[str], Field(description=f"{label}（与代码列表一一对应）"))
    return fields


GuideDocument: type[Schema] = create_model(
    "GuideDocument",
    __base__=_GuideDocumentBase,
    __doc__="办事指南发布快照：一个事项现行版本的全部要素，各渠道展示同一份内容（同源发布）。",
    **_document_fields(),
)


class FindingOut(Schema):
    rule: str = Field(description="规则编号")
    severity: str = Field(description="严重程度：blocking 阻断发布，warning 提示")
    field: str = Field(description="涉及的要素")
    message: str = Field(description="问题说明与改正方法")


class FindingsOut(Schema):
    implementation_code: str = Field(description="实施编码")
    version: int = Field(description="检查的版本（现行发布版本）")
    quality_score: int = Field(description="质量评分（0–100）")
    blocking_findings: int = Field(description="阻断性问题数")
    findings: list[FindingOut] = Field(description="质量检查发现的问题")


class VersionOut(Schema):
    version: int = Field(description="版本号")
    status: str = Field(description="状态代码：published 现行，superseded 已被新版本替代，withdrawn 已取消")
    status_label: str = Field(description="状态")
    published_at: dt.datetime | None = Field(description="发布时间")
    withdrawn_at: dt.datetime | None = Field(description="取消时间")
    change_note: str = Field(description="修改说明")
    status_reason: str = Field(description="状态变更原因（如被第几版替代、取消原因）")


class VersionsOut(Schema):
    implementation_code: str = Field(description="实施编码")
    versions: list[VersionOut] = Field(description="公开的版本，从新到旧（不含草稿和审核中的版本）")


class ItemTypeOut(Schema):
    code: str = Field(description="事项类型代码（GB/T 39046 表A.1）")
    label: str = Field(description="事项类型名称")
    on_application: bool = Field(description="是否依申请事项（由申请人提出申请）")


class ThemeOut(Schema):
    code: str = Field(description="服务主题代码")
    name: str = Field(description="服务主题名称")
    audience: str = Field(description="面向对象代码：person 个人，enterprise 法人")
    audience_label: str = Field(description="面向对象")
    description: str = Field(description="说明")


class BundleMemberOut(Schema):
    implementation_code: str = Field(description="实施编码")
    name: str = Field(description="事项名称")
    organisation: OrganisationBrief = Field(description="实施主体")
    published: bool = Field(description="该事项当前是否已发布")
    note: str = Field(description="说明")


class BundleOut(Schema):
    code: str = Field(description="一件事编码")
    name: str = Field(description="一件事名称")
    description: str = Field(description="说明")
    audience: str = Field(description="面向对象代码：person 个人，enterprise 法人")
    audience_label: str = Field(description="面向对象")
    lead_organisation: OrganisationBrief = Field(description="牵头部门")
    region: RegionBrief = Field(description="行政区划")
    promised_limit: int | None = Field(description="承诺办结时限（工作日）")
    published_at: dt.datetime | None = Field(description="发布时间")
    themes: list[ThemeDoc] = Field(description="服务主题")
    members: list[BundleMemberOut] = Field(description="包含的事项，按办理顺序")


class NeededByOut(Schema):
    implementation_code: str = Field(description="需要该材料的事项的实施编码")
    name: str = Field(description="事项名称")


class SituationRefOut(Schema):
    implementation_code: str = Field(description="实施编码")
    situation: str = Field(description="该事项中适用的办理情形")


class MergedMaterialOut(Schema):
    name: str = Field(description="材料名称")
    issuing_body: str = Field(description="出具机构")
    necessity: str = Field(description="材料必要性代码（取各事项中最严格者）")
    necessity_label: str = Field(description="材料必要性")
    original_count: int = Field(description="原件份数（取各事项中最大者）")
    copy_count: int = Field(description="复印件份数（取各事项中最大者）")
    needed_by: list[NeededByOut] = Field(description="需要该材料的事项")
    situations: list[SituationRefOut] = Field(description="仅在某些办理情形下需要时，列出这些情形")


class BundleDetailOut(BundleOut):
    materials: list[MergedMaterialOut] = Field(description="合并去重后的一套材料（按名称和出具机构去重）")


# --- input checks --------------------------------------------------------------------------------

_ITEM_TYPE_CODES = [value for value, _label in codes.ItemType.choices]


def _bad_request(message: str) -> HttpError:
    return HttpError(400, message)


def _filters(query: ImplementationQuery) -> selectors.ListFilters:
    region_prefix = None
    if query.region is not None:
        try:
            code = validate_region_code(query.region)
        except ValidationError as exc:
            raise _bad_request(_("参数 region：%(m)s") % {"m": "".join(exc.messages)}) from None
        region_prefix = selectors.region_prefix(code)
        if region_prefix is None:
            raise _bad_request(_("行政区划代码 %(code)s 不存在，请检查是否输错。") % {"code": code})
    organisation_id = None
    if query.organisation is not None:
        key = query.organisation.strip().upper()
        if not (key.isdigit() and len(key) < 19) and len(key) != 18:
            raise _bad_request(
                _("参数 organisation 应为实施机构编号（数字）或18位统一社会信用代码，收到“%(v)s”。")
                % {"v": query.organisation}
            )
        organisation_id = selectors.organisation_id(key)
        if organisation_id is None:
            raise _bad_request(_("实施机构 %(key)s 不存在。") % {"key": key})
    if query.item_type is not None and query.item_type not in _ITEM_TYPE_CODES:
        valid = "、".join(f"{value} {label}" for value, label in codes.ItemType.choices)
        raise _bad_request(
            _("事项类型代码 %(code)s 不存在。可用的代码：%(valid)s。")
            % {"code": query.item_type, "valid": valid}
        )
    theme_id = None
    if query.theme is not None:
        theme_id = selectors.theme_id(query.theme)
        if theme_id is None:
            known = "、".join(selectors.theme_codes()) or _("（暂无）")
            raise _bad_request(
                _("服务主题代码 %(code)s 不存在。可用的代码：%(known)s。")
                % {"code": query.theme, "known": known}
            )
    q = (query.q or "").strip() or None
    return selectors.ListFilters(
        region_prefix=region_prefix,
        organisation_id=organisation_id,
        item_type=query.item_type,
        audience=query.audience,
        theme_id=theme_id,
        min_online_depth=query.online_depth,
        fully_online=query.fully_online,
        q=q,
    )


def _json(data: Any) -> HttpResponse:
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body.encode(), content_type=JSON_CONTENT_TYPE)


def _valid_code_or_id(code_or_id: str) -> str:
    """The path value, upper-cased; 400 when it cannot be a code or an id."""
    value = code_or_id.strip().upper()
    if not selectors.is_code_or_id(value):
        raise _bad_request(
            _(
                "“%(v)s”不是有效的实施编码或编号：实施编码为1–40位数字或大写字母"
                "（如 11330100002489725H3000117112000），编号为纯数字。"
            )
            % {"v": code_or_id[:60]}
        )
    return value


def _unknown(code_or_id: str) -> HttpError:
    value = code_or_id.strip().upper()
    return HttpError(404, _("实施编码（或编号）为 %(code)s 的事项不存在。") % {"code": value})


def _ref_or_error(code_or_id: str) -> selectors.ImplementationRef:
    """The implementation the path names, or 400 (malformed) / 404 (unknown)."""
    ref = selectors.implementation_ref(_valid_code_or_id(code_or_id))
    if ref is None:
        raise _unknown(code_or_id)
    return ref


def _gone(ref: selectors.ImplementationRef) -> Status:
    """410 Gone for a withdrawn implementation, saying when and why it was withdrawn."""
    info = selectors.withdrawal(ref.id) or {}
    when = info.get("withdrawn_at")
    reason = info.get("status_reason") or ""
    local = when.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if when else _("（时间未记录）")
    detail = _("事项 %(code)s 已于 %(when)s 取消，不再办理。取消原因：%(reason)s") % {
        "code": ref.implementation_code,
        "when": local,
        "reason": reason or _("（未说明）"),
    }
    body = {
        "detail": detail,
        "implementation_code": ref.implementation_code,
        "withdrawn_at": when,
        "reason": reason,
    }
    return Status(410, body)


def _not_published(ref: selectors.ImplementationRef) -> HttpError:
    return HttpError(404, _("事项 %(code)s 尚未发布。") % {"code": ref.implementation_code})


# --- endpoints -----------------------------------------------------------------------------------

ERRORS: dict[int, Any] = {400: CatalogErrorOut, 404: CatalogErrorOut, 429: CatalogErrorOut}


@router.get(
    "/implementations",
    response={200: ImplementationPage, **ERRORS},
    summary="已发布事项列表",
    description="分页列出已发布的实施清单事项，可按区划（含下级）、实施机构、事项类型、服务对象、主题和网办深度筛选；"
    f"结果按实施编码排序，翻页稳定；最多可翻到第 {MAX_RESULT_WINDOW} 条结果。",
)
def list_implementations(request: HttpRequest, query: Query[ImplementationQuery]) -> Any:
    offset = (query.page - 1) * query.page_size
    if offset + query.page_size > MAX_RESULT_WINDOW:
        raise _bad_request(
            _("列表最多只能翻到第 %(n)d 条结果（当前请求第 %(from)d–%(to)d 条），请增加筛选条件缩小范围。")
            % {"n": MAX_RESULT_WINDOW, "from": offset + 1, "to": offset + query.page_size}
        )
    # Keyed by the parameters as given (the same parameters always get the same answer), so a hit skips
    # resolving the filters too.
    key = (
        "list",
        query.region,
        None if query.organisation is None else query.organisation.strip().upper(),
        query.item_type,
        query.audience,
        query.theme,
        query.online_depth,
        query.fully_online,
        (query.q or "").strip() or None,
        query.page,
        query.page_size,
    )
    cache = readcache.responses()
    cached = cache.get(key)
    if cached is not None:
        return HttpResponse(cached, content_type=JSON_CONTENT_TYPE)
    token = cache.token()  # before the first read of the database
    filters = _filters(query)
    rows = selectors.published_rows(filters, offset=offset, limit=query.page_size)
    exact = True
    if rows and len(rows) < query.page_size:
        count = offset + len(rows)  # the last page: no need to count
    elif not rows and query.page == 1:
        count = 0
    else:
        count, exact = selectors.published_count(filters, up_to=MAX_RESULT_WINDOW)
    pages = max(1, math.ceil(count / query.page_size))
    if not rows and query.page > 1:
        raise HttpError(
            404,
            _("第 %(page)d 页不存在：符合条件的事项共 %(count)d 条，每页 %(size)d 条，共 %(pages)d 页。")
            % {"page": query.page, "count": count, "size": query.page_size, "pages": pages},
        )
    # The rows are already in the documented shape; rendering them directly skips a per-field validation
    # pass that cost more than the query (tests check responses against ImplementationPage).
    response = _json(
        {
            "count": count,
            "count_exact": exact,
            "page": query.page,
            "page_size": query.page_size,
            "pages": pages,
            "results": rows,
        }
    )
    cache.put(key, response.content, token, max_age=readcache.LIST_MAX_AGE_SECONDS)
    return response


@router.get(
    "/implementations/{code_or_id}",
    response={200: GuideDocument, 410: GoneOut, **ERRORS},
    summary="事项办事指南（发布快照）",
    description="按实施编码或编号返回事项现行版本的办事指南全文，即发布时冻结的快照，各渠道内容一致。"
    "已取消的事项返回 410，并说明取消时间和原因。",
)
def implementation_detail(request: HttpRequest, code_or_id: str) -> Any:
    value = _valid_code_or_id(code_or_id)
    key = ("detail", value)
    cache = readcache.responses()
    body = cache.get(key)
    if body is None:
        token = cache.token()  # before the read of the database
        found = selectors.published_document(value)
        if found is None:
            raise _unknown(code_or_id)
        ref, body = found
        if ref.public_status == PublicStatus.WITHDRAWN:
            return _gone(ref)
        if body is None:
            raise _not_published(ref)
        if ref.implementation_code == value:
            # Kept only when found by its code: a number names an id until some implementation takes it
            # as its code (a code wins), which a new draft can do without a publication.
            cache.put(key, body, token)
    return HttpResponse(body, content_type=JSON_CONTENT_TYPE)


@router.get(
    "/implementations/{code_or_id}/findings",
    response={200: FindingsOut, 410: GoneOut, **ERRORS},
    summary="事项指南质量检查结果",
    description="现行发布版本的质量评分和检查发现（草稿的检查结果只对编辑人员可见）。",
)
def implementation_findings(request: HttpRequest, code_or_id: str) -> Any:
    ref = _ref_or_error(code_or_id)
    if ref.public_status == PublicStatus.WITHDRAWN:
        return _gone(ref)
    if ref.public_status != PublicStatus.PUBLISHED or ref.published_version_id is None:
        raise _not_published(ref)
    quality = selectors.published_quality(ref.published_version_id)
    if quality is None:
        raise _not_published(ref)
    return {
        "implementation_code": ref.implementation_code,
        "version": quality["version"],
        "quality_score": quality["quality_score"],
        "blocking_findings": quality["blocking_findings"],
        "findings": quality["quality_findings"] or [],
    }


@router.get(
    "/implementations/{code_or_id}/versions",
    response={200: VersionsOut, **ERRORS},
    summary="事项办事指南版本历史",
    description="已发布过的各版本（现行、已替代、已取消），从新到旧；草稿和审核中的版本不公开。",
)
def implementation_versions(request: HttpRequest, code_or_id: str) -> Any:
    ref = _ref_or_error(code_or_id)
    versions = selectors.public_versions(ref.id)
    if not versions:
        raise _not_published(ref)
    return {"implementation_code": ref.implementation_code, "versions": versions}


@router.get("/item-types", response=list[ItemTypeOut], summary="事项类型代码表")
def item_types(request: HttpRequest) -> Any:
    return [
        {"code": value, "label": str(label), "on_application": value in codes.ON_APPLICATION_TYPES}
        for value, label in codes.ItemType.choices
    ]


@router.get("/themes", response={200: list[ThemeOut], **ERRORS}, summary="服务主题")
def themes(
    request: HttpRequest,
    audience: Literal["person", "enterprise"] | None = Query(
        None, description="只列出面向此对象的主题：person 个人，enterprise 法人"
    ),
) -> Any:
    labels = dict(codes.Audience.choices)
    return [
        {**row, "audience_label": str(labels.get(row["audience"], ""))}
        for row in selectors.themes(audience=audience).values("code", "name", "audience", "description")
    ]


def _bundle_out(bundle: Any) -> dict[str, Any]:
    labels = dict(codes.Audience.choices)
    return {
        "code": bundle.code,
        "name": bundle.name,
        "description": bundle.description,
        "audience": bundle.audience,
        "audience_label": str(labels.get(bundle.audience, "")),
        "lead_organisation": {"id": bundle.lead_organisation_id, "name": bundle.lead_organisation.name},
        "region": {"code": bundle.region_id, "name": bundle.region.name},
        "promised_limit": bundle.promised_limit,
        "published_at": bundle.published_at,
        "themes": [{"code": t.code, "name": t.name, "audience": t.audience} for t in bundle.themes.all()],
        "members": [
            {
                "implementation_code": m.implementation.implementation_code,
                "name": m.implementation.name,
                "organisation": {
                    "id": m.implementation.organisation_id,
                    "name": m.implementation.organisation.name,
                },
                "published": m.implementation.public_status == PublicStatus.PUBLISHED,
                "note": m.note,
            }
            for m in bundle.memberships.all()
        ],
    }


@router.get("/bundles", response={200: list[BundleOut], 429: CatalogErrorOut}, summary="一件事列表")
def bundles(request: HttpRequest) -> Any:
    return [_bundle_out(bundle) for bundle in selectors.published_bundles()]


@router.get(
    "/bundles/{code}",
    response={200: BundleDetailOut, **ERRORS},
    summary="一件事详情与合并材料清单",
    description="一件事包含的事项，以及合并去重后的一套申请材料（一次告知、一套材料）。",
)
def bundle_detail(request: HttpRequest, code: str) -> Any:
    value = code.strip()
    if not value or len(value) > 32:
        raise _bad_request(_("一件事编码应为1–32个字符，收到“%(v)s”。") % {"v": code[:60]})
    bundle = selectors.published_bundles().filter(code=value).first()
    if bundle is None:
        raise HttpError(404, _("编码为 %(code)s 的一件事不存在或未发布。") % {"code": value})
    return {**_bundle_out(bundle), "materials": selectors.bundle_merged_materials(bundle)}
