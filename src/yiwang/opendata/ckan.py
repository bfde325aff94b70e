"""The CKAN Action API (read actions), so existing CKAN clients (ckanapi, CKAN harvesters, DCAT tools)
work against Yiwang unchanged: /api/action/<name> and /api/3/action/<name>, GET or POST (JSON or form).

Responses use CKAN's envelope {"help", "success", "result"}; errors use its error forms, which clients
turn back into exceptions by "__type": Not Found Error (404), Validation Error (409), Authorization
Error (403), Search Query Error (400). Messages are Chinese first, as everywhere on the platform.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from yiwang.core.models import Organisation
from yiwang.core.ratelimit import client_address, hit
from yiwang.opendata import keys, licenses, search
from yiwang.opendata.models import Dataset, DatasetStatus, DatasetTerm, Resource, Theme
from yiwang.opendata.serialise import (
    RawJSON,
    documents_with_base,
    group_dict,
    organization_dict,
    package_dict,
    package_json,
    resource_dict,
    site_url,
)
from yiwang.opendata.services import may_manage, org_name

CKAN_VERSION = "2.10.0"  # the Action API version these responses follow
LIST_LIMIT = 1000


class ActionError(Exception):
    status = 400
    kind = "Bad Request"

    def __init__(self, message: str = "", errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}

    def body(self) -> dict[str, Any]:
        if self.errors:
            return {"__type": self.kind, **self.errors, "message": self.message or _("参数不正确。")}
        return {"__type": self.kind, "message": self.message}


class NotFound(ActionError):
    status, kind = 404, "Not Found Error"

    def body(self) -> dict[str, Any]:
        return {"__type": self.kind, "message": f"Not found: {self.message}"}


class Invalid(ActionError):
    status, kind = 409, "Validation Error"


class Forbidden(ActionError):
    status, kind = 403, "Authorization Error"

    def body(self) -> dict[str, Any]:
        return {"__type": self.kind, "message": f"Access denied: {self.message}"}


class QueryError(ActionError):
    status, kind = 400, "Search Query Error"

    def body(self) -> dict[str, Any]:
        return {"__type": self.kind, "message": f"Search Query is invalid: {self.message}"}


class RateLimited(ActionError):
    status, kind = 429, "Rate Limit Error"


# --- parameters -----------------------------------------------------------------------------------


def _bool(params: dict[str, Any], name: str, default: bool = False) -> bool:
    value = params.get(name, default)
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _int(params: dict[str, Any], name: str, default: int | None, *, high: int | None = None) -> int | None:
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid(errors={name: [_("应为整数。")]}) from None
    if number < 0:
        raise Invalid(errors={name: [_("不能小于 0。")]})
    if high is not None and number > high:
        raise Invalid(errors={name: [_("不能大于 %(v)d。") % {"v": high}]})
    return number


def _required(params: dict[str, Any], name: str) -> str:
    value = str(params.get(name) or "").strip()
    if not value:
        raise Invalid(errors={name: [_("缺少此参数。")]})
    return value


# --- actions --------------------------------------------------------------------------------------


class Context:
    def __init__(self, request: HttpRequest, user: Any) -> None:
        self.request = request
        self.user = user
        self.base = site_url(request)


def _published() -> Any:
    return Dataset.objects.filter(status=DatasetStatus.PUBLISHED)


def package_list(ctx: Context, params: dict[str, Any]) -> list[str]:
    """已发布数据集的标识（name）列表，按标识排序；支持 limit 与 offset。"""
    limit = _int(params, "limit", None)
    offset = _int(params, "offset", 0) or 0
    names = _published().order_by("name").values_list("name", flat=True)
    return list(names[offset : offset + limit] if limit is not None else names[offset:])


def _dataset(ctx: Context, ident: str) -> Dataset:
    lookup = Q(name=ident)
    if len(ident) == 36:
        lookup |= Q(uid=ident)
    dataset = (
        Dataset.objects.filter(lookup)
        .select_related("organisation", "spatial")
        .prefetch_related("themes", "resources")
        .first()
    )
    if dataset is None:
        raise NotFound(_("数据集“%(id)s”不存在。") % {"id": ident})
    if dataset.status != DatasetStatus.PUBLISHED and not may_manage(ctx.user, dataset.organisation):
        raise Forbidden(_("数据集“%(id)s”未发布，只有发布机构可以查看。") % {"id": ident})
    return dataset


def package_show(ctx: Context, params: dict[str, Any]) -> RawJSON:
    """按 id 或 name 返回一个数据集的完整元数据，含资源、主题、标签和发布机构。"""
    return package_json(_dataset(ctx, _required(params, "id")), ctx.base)


def package_search(ctx: Context, params: dict[str, Any]) -> RawJSON:
    """检索数据集：q、fq、sort、rows（≤1000）、start、facet.field（JSON 列表）、facet.limit、facet.mincount。"""
    try:
        request = search.parse_request(params)
    except search.SearchQueryError as exc:
        raise QueryError(str(exc)) from None
    except search.SearchValidationError as exc:
        raise Invalid(errors=exc.errors) from None
    result = search.search(request, documents=True)
    facets: dict[str, dict[str, int]] = {}
    search_facets: dict[str, Any] = {}
    for name, counts in result.facets.items():
        labels = _facet_labels(name, [value for value, _n in counts])
        facets[name] = dict(counts)
        search_facets[name] = {
            "title": name,
            "items": [
                {"name": value, "display_name": labels.get(value, value), "count": count}
                for value, count in counts
            ],
        }
    head = {"count": result.count, "sort": result.sort, "facets": facets, "search_facets": search_facets}
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))
    return RawJSON(text[:-1] + ',"results":' + documents_with_base(result.documents, ctx.base) + "}")


def _facet_labels(name: str, values: list[str]) -> dict[str, str]:
    if name == "organization":
        return {
            org_name(o): o.name for o in Organisation.objects.filter(uscc__in=[v.upper() for v in values])
        }
    if name == "groups":
        return dict(Theme.objects.filter(name__in=values).values_list("name", "title"))
    if name == "license_id":
        return {v: str(licenses.BY_ID[v].title) for v in values if v in licenses.BY_ID}
    return {}


def _publishing_organisations() -> Any:
    return Organisation.objects.filter(datasets__status=DatasetStatus.PUBLISHED).annotate(
        package_count=Count("datasets", filter=Q(datasets__status=DatasetStatus.PUBLISHED))
    )


def _order(params: dict[str, Any], allowed: dict[str, str]) -> list[str]:
    sort = str(params.get("sort") or "name asc").strip()
    field, _sep, direction = sort.partition(" ")
    if field not in allowed or direction.strip().lower() not in ("", "asc", "desc"):
        raise Invalid(errors={"sort": [_("可用排序：%(s)s，加 asc 或 desc。") % {"s": ", ".join(allowed)}]})
    column = allowed[field]
    return [f"-{column}" if direction.strip().lower() == "desc" else column, "pk"]


def organization_list(ctx: Context, params: dict[str, Any]) -> list[Any]:
    """发布了开放数据的机构列表；all_fields=true 返回完整信息；sort 可用 name、title、package_count。"""
    queryset = _publishing_organisations().order_by(
        *_order(params, {"name": "uscc", "title": "name", "package_count": "package_count"})
    )
    wanted = params.get("organizations")
    if isinstance(wanted, list):
        queryset = queryset.filter(uscc__in=[str(name).upper() for name in wanted])
    offset = _int(params, "offset", 0) or 0
    limit = _int(params, "limit", LIST_LIMIT, high=LIST_LIMIT) or LIST_LIMIT
    rows = list(queryset[offset : offset + limit])
    if _bool(params, "all_fields"):
        return [organization_dict(o, package_count=o.package_count) for o in rows]
    return [org_name(o) for o in rows]


def organization_show(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """按 id 或 name（统一社会信用代码小写）返回机构；include_datasets=true 时附其已发布数据集。"""
    ident = _required(params, "id")
    organisation = Organisation.objects.filter(uscc=ident.upper()).first()
    if organisation is None:
        raise NotFound(_("机构“%(id)s”不存在。") % {"id": ident})
    datasets = _published().filter(organisation=organisation)
    data = organization_dict(organisation, package_count=datasets.count())
    if _bool(params, "include_datasets"):
        rows = datasets.select_related("organisation", "spatial").prefetch_related("themes", "resources")
        data["packages"] = [package_dict(d, ctx.base) for d in rows.order_by("name")[:LIST_LIMIT]]
    return data


def _themes() -> Any:
    return Theme.objects.annotate(
        package_count=Count("datasets", filter=Q(datasets__status=DatasetStatus.PUBLISHED))
    )


def group_list(ctx: Context, params: dict[str, Any]) -> list[Any]:
    """主题（CKAN 的 group）列表；all_fields=true 返回完整信息。"""
    queryset = _themes().order_by(
        *_order(params, {"name": "name", "title": "title", "package_count": "package_count"})
    )
    offset = _int(params, "offset", 0) or 0
    limit = _int(params, "limit", LIST_LIMIT, high=LIST_LIMIT) or LIST_LIMIT
    rows = list(queryset[offset : offset + limit])
    if _bool(params, "all_fields"):
        return [group_dict(t, package_count=t.package_count) for t in rows]
    return [t.name for t in rows]


def group_show(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """按 id 或 name 返回一个主题；include_datasets=true 时附其已发布数据集。"""
    ident = _required(params, "id")
    lookup = Q(name=ident) | (Q(uid=ident) if len(ident) == 36 else Q(pk__in=[]))
    theme = _themes().filter(lookup).first()
    if theme is None:
        raise NotFound(_("主题“%(id)s”不存在。") % {"id": ident})
    data = group_dict(theme, package_count=theme.package_count)
    if _bool(params, "include_datasets"):
        rows = _published().filter(themes=theme).select_related("organisation", "spatial")
        rows = rows.prefetch_related("themes", "resources").order_by("name")[:LIST_LIMIT]
        data["packages"] = [package_dict(d, ctx.base) for d in rows]
    return data


def tag_list(ctx: Context, params: dict[str, Any]) -> list[Any]:
    """已发布数据集使用的标签；query 按前缀筛选；all_fields=true 返回 {id, name, count}。"""
    terms = DatasetTerm.objects.filter(field="tags")
    query = str(params.get("query") or "").strip()
    if query:
        terms = terms.filter(value__startswith=query)
    rows = terms.values("value").annotate(n=Count("id")).order_by("value")[:LIST_LIMIT]
    if _bool(params, "all_fields"):
        return [
            {"id": r["value"], "name": r["value"], "display_name": r["value"], "count": r["n"]} for r in rows
        ]
    return [r["value"] for r in rows]


def resource_show(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """按 id 返回一个数据资源。"""
    ident = _required(params, "id")
    resource = (
        Resource.objects.filter(uid=ident).select_related("dataset__organisation").first()
        if len(ident) == 36
        else None
    )
    if resource is None:
        raise NotFound(_("数据资源“%(id)s”不存在。") % {"id": ident})
    _dataset(ctx, resource.dataset.name)  # the dataset's visibility decides the resource's
    return resource_dict(resource, ctx.base)


def status_show(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """站点信息与接口版本。"""
    return {
        "site_title": getattr(settings, "YIWANG_SITE_NAME", "一网") + " · " + _("数据开放"),
        "site_url": ctx.base,
        "site_description": _("政务数据开放平台，接口与 CKAN Action API 兼容。"),
        "ckan_version": CKAN_VERSION,
        "api_version": 3,
        "locale_default": "zh_Hans_CN",
        "extensions": ["dcat", "yiwang"],
        "error_emails_to": None,
    }


def license_list(ctx: Context, params: dict[str, Any]) -> list[dict[str, Any]]:
    """可选的开放许可。"""
    return [
        {
            "id": lic.id,
            "title": str(lic.title),
            "url": lic.url,
            "od_conformance": lic.od_conformance,
            "status": "active",
        }
        for lic in licenses.LICENSES
    ]


def current_package_list_with_resources(ctx: Context, params: dict[str, Any]) -> list[dict[str, Any]]:
    """最近修改的已发布数据集（含资源），按修改时间倒序；limit（≤1000）与 offset。"""
    limit = _int(params, "limit", 10, high=LIST_LIMIT) or 10
    offset = _int(params, "offset", 0) or 0
    rows = _published().select_related("organisation", "spatial").prefetch_related("themes", "resources")
    return [package_dict(d, ctx.base) for d in rows.order_by("-modified_at", "-pk")[offset : offset + limit]]


def help_show(ctx: Context, params: dict[str, Any]) -> str:
    """某个接口的说明。"""
    name = _required(params, "name")
    action = ACTIONS.get(name)
    if action is None:
        raise NotFound(_("接口“%(name)s”不存在。") % {"name": name})
    return (action.__doc__ or "").strip()


Action = Callable[[Context, dict[str, Any]], Any]
ACTIONS: dict[str, Action] = {
    fn.__name__: fn
    for fn in (
        package_list,
        package_show,
        package_search,
        organization_list,
        organization_show,
        group_list,
        group_show,
        tag_list,
        resource_show,
        status_show,
        license_list,
        current_package_list_with_resources,
        help_show,
    )
}


# --- the view -------------------------------------------------------------------------------------


def _params(request: HttpRequest) -> dict[str, Any]:
    params: dict[str, Any] = {key: request.GET.get(key) for key in request.GET}
    if request.method == "POST":
        content_type = request.META.get("CONTENT_TYPE", "")
        if request.body and ("json" in content_type or request.body.lstrip()[:1] in (b"{",)):
            try:
                body = json.loads(request.body or b"{}")
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise ActionError(_("请求体不是有效的 JSON。")) from None
            if not isinstance(body, dict):
                raise ActionError(_("请求体应为 JSON 对象。"))
            params.update(body)
        else:
            params.update({key: request.POST.get(key) for key in request.POST})
    return params


def _throttle(request: HttpRequest, key: Any) -> None:
    if key is not None:
        decision = hit(
            "opendata-key", str(key.pk), limit=int(getattr(settings, "YIWANG_OPENDATA_KEY_RATE", 6000))
        )
    else:
        limit = int(getattr(settings, "YIWANG_OPENDATA_ANON_RATE", 300))
        decision = hit("opendata-anon", client_address(request), limit=limit)
    if not decision.allowed:
        error = RateLimited(
            _("请求过于频繁：每分钟最多 %(n)d 次，请在 %(s)d 秒后重试，或申请开放接口密钥以提高限额。")
            % {"n": decision.limit, "s": decision.retry_after}
        )
        error.retry_after = decision.retry_after  # type: ignore[attr-defined]
        raise error


def _envelope(request: HttpRequest, name: str, **body: Any) -> dict[str, Any]:
    return {"help": f"{site_url(request)}/api/3/action/help_show?name={name}", **body}


@csrf_exempt
def action_view(request: HttpRequest, action: str) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        response = JsonResponse(
            _envelope(
                request,
                action,
                success=False,
                error={"__type": "Bad Request", "message": _("只支持 GET 与 POST。")},
            ),
            status=405,
            json_dumps_params={"ensure_ascii": False},
        )
        response["Allow"] = "GET, POST"
        return response
    try:
        key = keys.from_request(request)
        _throttle(request, key)
        fn = ACTIONS.get(action)
        if fn is None:
            raise ActionError(f"Bad request - Action name not known: {action}")
        user = key.user if key is not None else request.user
        result = fn(Context(request, user), _params(request))
        if isinstance(result, RawJSON):
            head = json.dumps(_envelope(request, action, success=True), ensure_ascii=False)
            return HttpResponse(head[:-1] + ',"result":' + result + "}", content_type="application/json")
        return JsonResponse(
            _envelope(request, action, success=True, result=result),
            json_dumps_params={"ensure_ascii": False},
            safe=False,
        )
    except keys.InvalidKey as exc:
        error: ActionError = Forbidden(str(exc))
    except ActionError as exc:
        error = exc
    response = JsonResponse(
        _envelope(request, action, success=False, error=error.body()),
        status=error.status,
        json_dumps_params={"ensure_ascii": False},
    )
    if isinstance(error, RateLimited):
        response["Retry-After"] = str(getattr(error, "retry_after", 60))
    return response
