"""Search API: results with highlights, suggestions while typing (to be mounted at /api/search/)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from yiwang.search import selectors
from yiwang.search.query import MAX_QUERY_LENGTH

router = Router(tags=["搜索"])


class SearchParams(Schema):
    q: str = Field(
        "",
        description=(
            f"搜索词，最长{MAX_QUERY_LENGTH}个字。可用简体或繁体、全拼（shenfenzheng）或首字母（sfz）、"
            "俗称（驾照、低保）；错一个字时会给出“您是不是要找”。为空时按筛选条件列出事项（热门在前）。"
        ),
    )
    region: str | None = Field(None, description="行政区划代码（6位），含其下级区划，如 330100 为杭州市全市")
    organisation: int | None = Field(None, description="实施机构编号，只看该部门的事项")
    item_type: str | None = Field(
        None, description="事项类型代码（GB/T 39046 表A.1）：01 行政许可、07 行政确认、20 公共服务 等"
    )
    audience: str | None = Field(None, description="服务对象：person 个人、enterprise 法人")
    theme: str | None = Field(None, description="服务主题（生活事件）代码")
    online_depth: int | None = Field(None, description="网上办理深度下限（1–4），只看不低于此深度的事项")
    fully_online: bool = Field(False, description="只看可全程网办（网上办理深度为4）的事项")
    page: int = Field(1, description="页码，从1开始")
    page_size: int = Field(selectors.DEFAULT_PAGE_SIZE, description=f"每页条数，1到{selectors.MAX_PAGE_SIZE}")


class SearchOrganisationOut(Schema):
    id: int = Field(description="实施机构编号")
    name: str = Field(description="实施机构名称")
    short_name: str = Field(description="实施机构简称")


class SearchRegionOut(Schema):
    code: str = Field(description="行政区划代码")
    name: str = Field(description="行政区划名称")


class SearchResultOut(Schema):
    implementation_code: str = Field(description="实施编码，用于打开办事指南")
    name: str = Field(description="事项名称")
    basic_name: str = Field(description="基本目录中的事项名称")
    organisation: SearchOrganisationOut = Field(description="实施机构")
    region: SearchRegionOut = Field(description="行政区划")
    item_type: str = Field(description="事项类型代码")
    item_type_label: str = Field(description="事项类型名称")
    online_depth: int | None = Field(description="网上办理深度（1–4，4 为全程网办）")
    highlights: dict[str, str] = Field(
        description=(
            "命中原因：字段名 → 片段（HTML，命中词以 <mark> 标出，其余文字已转义，可直接嵌入页面）。"
            "字段名：name 事项名称、aliases 别名/俗称、materials 申请材料、themes 服务主题、"
            "organisation 实施机构、faq 常见问题"
        )
    )
    matched_fields: list[str] = Field(description="命中的字段名（同 highlights 的键）")
    match_kind: str = Field(
        description="匹配方式：exact 名称完全一致、alias 别名一致、prefix 名称开头一致、contains 名称包含、text 其他字段"
    )
    score: float = Field(description="相关度得分（同一匹配方式内越大越靠前）")
    node: str = Field(
        default="",
        description="来源节点代码：国家枢纽上由地区节点推送的事项为该节点的行政区划代码，本平台事项为空",
    )


class SearchThemeOut(Schema):
    code: str = Field(description="主题代码")
    name: str = Field(description="主题名称")
    audience: str = Field(description="面向对象：person 个人、enterprise 法人")


class SearchOrganisationSuggestionOut(Schema):
    id: int = Field(description="实施机构编号")
    name: str = Field(description="实施机构名称")
    short_name: str = Field(description="简称")
    region_code: str = Field(description="所在行政区划代码")


class SearchEmptyStateOut(Schema):
    themes: list[SearchThemeOut] = Field(description="与搜索词最相近的服务主题，可改为按主题浏览")
    organisations: list[SearchOrganisationSuggestionOut] = Field(
        description="与搜索词最相近的部门，可改为按部门浏览"
    )


class SearchOut(Schema):
    query: str = Field(description="原始搜索词")
    normalised_query: str = Field(description="规范化后的搜索词（繁体转简体、全角转半角、小写）")
    total: int = Field(description="命中事项总数（最多计到10000）")
    total_exact: bool = Field(description="总数是否精确；超过10000条时为 false，此时 total 是下限")
    page: int = Field(description="当前页码")
    page_size: int = Field(description="每页条数")
    results: list[SearchResultOut] = Field(description="本页结果，最相关的在前")
    did_you_mean: str | None = Field(
        description="疑似错字时的更正建议（如 身份正 → 身份证）；结果中已包含按更正后的词找到的事项"
    )
    empty_state: SearchEmptyStateOut | None = Field(description="没有结果时：相近的主题和部门；有结果时为空")


class SuggestParams(Schema):
    q: str = Field("", description="正在输入的内容：汉字前缀，或拼音全拼/首字母前缀（如 sfz、shenfen）")
    limit: int = Field(10, description=f"最多返回几条，1到{selectors.MAX_SUGGESTIONS}")


class SuggestionOut(Schema):
    text: str = Field(description="建议的搜索词（事项名称或别名）")
    kind: str = Field(description="来源：name 事项名称、alias 别名/俗称")
    count: int = Field(description="含此名称的已发布事项数")


class SuggestOut(Schema):
    query: str = Field(description="原始输入")
    suggestions: list[SuggestionOut] = Field(description="输入建议，常用的在前")


class SearchErrorOut(Schema):
    detail: str = Field(description="错误说明：错在何处、如何更正")
    field: str | None = Field(None, description="出错的参数名")


@router.get(
    "/search",
    response={200: SearchOut, 400: SearchErrorOut},
    summary="搜索事项",
    description="在已发布的实施清单事项中搜索，支持繁体、拼音、俗称与错别字，结果标出命中原因。",
)
def search(request: HttpRequest, params: Query[SearchParams]) -> Status[object]:
    try:
        return Status(200, selectors.search(selectors.SearchRequest(**params.dict())))
    except selectors.SearchParamError as error:
        return Status(400, {"detail": error.message, "field": error.field})


@router.get(
    "/suggest",
    response={200: SuggestOut, 400: SearchErrorOut},
    summary="输入建议",
    description="边输入边提示事项名称：按汉字前缀、拼音全拼或首字母前缀匹配。",
)
def suggest(request: HttpRequest, params: Query[SuggestParams]) -> Status[object]:
    try:
        suggestions = selectors.suggest(params.q, params.limit)
    except selectors.SearchParamError as error:
        return Status(400, {"detail": error.message, "field": error.field})
    return Status(200, {"query": params.q, "suggestions": suggestions})
