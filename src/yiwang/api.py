"""The JSON API, mounted at /api/ with OpenAPI docs at /api/docs. Each app contributes a router."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer

from yiwang.accounts.api import router as accounts_router
from yiwang.appointments.api import router as appointments_router
from yiwang.assessment.api import router as assessment_router
from yiwang.cases.api import router as cases_router
from yiwang.catalog.api import router as catalog_router
from yiwang.core.api import router as core_router
from yiwang.core.ratelimit import PublicApiThrottle, public_api_rate
from yiwang.exchange.api import router as exchange_router
from yiwang.federation.api import router as federation_router
from yiwang.interaction.api import router as interaction_router
from yiwang.licences.api import router as licences_router
from yiwang.opendata.api import router as opendata_router
from yiwang.payments.api import router as payments_router
from yiwang.reviews.api import router as reviews_router
from yiwang.search.api import router as search_router
from yiwang.supervision.api import router as supervision_router


class ChineseJSONRenderer(JSONRenderer):
    """UTF-8 JSON without \\u escapes: readable Chinese and a third smaller; compact separators."""

    json_dumps_params = {"ensure_ascii": False, "separators": (",", ":")}


api = NinjaAPI(
    title="一网 Yiwang API",
    version="1",
    description=(
        '一体化在线政务服务平台开放接口。字段含义以中文注明；错误以 `{"detail": …}` 返回，'
        "其中说明错在何处、如何更正。公开接口按客户端地址限流（每分钟请求数见部署配置），"
        "超出时返回 429 并以 Retry-After 头告知需等待的秒数。"
    ),
    urls_namespace="api",
    throttle=[PublicApiThrottle()],
    renderer=ChineseJSONRenderer(),
)


def _choices(expected: Any) -> str:
    """pydantic says "'person' or 'enterprise'"; say it the Chinese way: person、enterprise."""
    return "、".join(
        part.strip(" '\"") for part in str(expected).replace(" or ", ",").split(",") if part.strip()
    )


def _validation_message(error: dict[str, Any]) -> str:
    """One pydantic error in plain Chinese (pydantic's own messages are English)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    messages = {
        "missing": _("缺少此参数。"),
        "int_parsing": _("应为整数。"),
        "int_from_float": _("应为整数。"),
        "float_parsing": _("应为数字。"),
        "bool_parsing": _("应为 true 或 false。"),
        "string_type": _("应为字符串。"),
        "greater_than_equal": _("不能小于 %(v)s。") % {"v": ctx.get("ge")},
        "greater_than": _("必须大于 %(v)s。") % {"v": ctx.get("gt")},
        "less_than_equal": _("不能大于 %(v)s。") % {"v": ctx.get("le")},
        "less_than": _("必须小于 %(v)s。") % {"v": ctx.get("lt")},
        "string_too_long": _("长度不能超过 %(v)s 个字符。") % {"v": ctx.get("max_length")},
        "string_too_short": _("长度不能少于 %(v)s 个字符。") % {"v": ctx.get("min_length")},
        "literal_error": _("可选值为 %(v)s。") % {"v": _choices(ctx.get("expected"))},
        "enum": _("可选值为 %(v)s。") % {"v": _choices(ctx.get("expected"))},
        "json_invalid": _("不是有效的 JSON。"),
    }
    return messages.get(kind, error.get("msg", ""))


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    messages = []
    for error in exc.errors:
        where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body"))
        messages.append({"field": where, "message": _validation_message(error)})
    summary = "；".join(f"{m['field']}：{m['message']}" if m["field"] else m["message"] for m in messages)
    return api.create_response(
        request,
        {"detail": _("请求参数不正确，请按提示更正：%(s)s") % {"s": summary}, "errors": messages},
        status=400,
    )


@api.exception_handler(Throttled)
def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    wait = int(exc.wait or 60)
    response = api.create_response(
        request,
        {
            "detail": _("请求过于频繁：每个地址每分钟最多 %(rate)d 次请求，请在 %(wait)d 秒后重试。")
            % {"rate": public_api_rate(), "wait": wait},
            "retry_after": wait,
        },
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


@api.get("/noop", summary="空操作", tags=["运维"], include_in_schema=True)
def noop(request: HttpRequest) -> dict[str, bool]:
    """什么也不做，立即返回 `{"ok": true}`。与业务接口经过同样的中间件、路由和限流，
    供基准测试作为吞吐量的比较基线（见 docs/benchmarks.md），也可供监控探测接口层是否可用。"""
    return {"ok": True}


api.add_router("/core/", core_router)
api.add_router("/catalog/", catalog_router)
api.add_router("/cases/", cases_router)
api.add_router("/search/", search_router)
api.add_router("/accounts/", accounts_router)
api.add_router("/appointments/", appointments_router)
api.add_router("/payments/", payments_router)
api.add_router("/licences/", licences_router)
api.add_router("/exchange/", exchange_router)
api.add_router("/reviews/", reviews_router)
api.add_router("/interaction/", interaction_router)
api.add_router("/supervision/", supervision_router)
api.add_router("/assessment/", assessment_router)
api.add_router("/opendata/", opendata_router)
api.add_router("/federation/", federation_router)
