"""The JSON API, mounted at /api/ with OpenAPI docs at /api/docs. Each app contributes a router."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError

from yiwang.catalog.api import router as catalog_router
from yiwang.core.api import router as core_router

api = NinjaAPI(
    title="一网 Yiwang API",
    version="1",
    description=(
        '一体化在线政务服务平台开放接口。字段含义以中文注明；错误以 `{"detail": …}` 返回，'
        "其中说明错在何处、如何更正。"
    ),
    urls_namespace="api",
)


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    messages = []
    for error in exc.errors:
        where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body"))
        messages.append({"field": where, "message": error.get("msg", "")})
    return api.create_response(
        request, {"detail": "请求参数不正确，请按提示更正。", "errors": messages}, status=400
    )


api.add_router("/core/", core_router)
api.add_router("/catalog/", catalog_router)
