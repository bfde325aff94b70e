"""The exchange app's JSON API, mounted at /api/exchange/.

- POST /gateway/query — the exchange gateway for department systems. Signed with the organisation's SM2 key
  (see exchange.signing for the headers); answers 200 with the granted fields, 401 for a bad signature or a
  replay, 403 when the grant does not allow the read, 404 when the registry has no such record, 429 over
  the rate, 502 when the data source fails. Every call is logged and audited.
- GET /resources, /resources/{code} — the resource catalogue (metadata only, no data).
- GET /reduced-materials — per service item, materials applicants no longer submit (减材料).
- GET /me/reads — for the signed-in person: who read their data, and why.
- GET /cases/{id}/prefill — for the applicant: which materials were obtained for their case.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import django_auth

from yiwang.core.ratelimit import PublicApiThrottle

from . import gateway, selectors, signing
from .models import CallResult, SharingType

router = Router(tags=["数据共享"])

_STATUS = {
    CallResult.OK: 200,
    CallResult.NOT_FOUND: 404,
    CallResult.DENIED: 403,
    CallResult.RATE_LIMITED: 429,
    CallResult.ERROR: 502,
}


class QueryIn(Schema):
    resource: str = Field(description="资源代码，如 330000-GA-0001", max_length=40)
    fields: list[str] = Field(description="要读取的信息项代码（须在授权范围内）", min_length=1, max_length=50)
    subject: str = Field(description="查询对象：公民身份号码或统一社会信用代码", max_length=40)
    purpose: str = Field(description="本次读取的用途，如“办理某事项”", max_length=300)
    case_number: str = Field("", description="办件编号（如为办件读取）", max_length=50)
    options: dict[str, str] = Field(
        default_factory=dict, description="资源特有的查询条件，如证照类型代码 type_code"
    )


class QueryOut(Schema):
    result: str = Field(
        description="ok 已提供 · not_found 无此记录 · denied 未授权 · rate_limited 超频 · error 数据源故障"
    )
    data: dict[str, Any] = Field(description="授权范围内所请求的信息项")
    reason: str = Field(description="未提供数据时的原因（中文）")
    call_id: int = Field(description="调用记录编号")
    audit_seq: int = Field(description="防篡改审计日志的记录编号（AuditEntry id）")


class ErrorOut(Schema):
    detail: str


@router.post(
    "/gateway/query",
    response={200: QueryOut, 401: ErrorOut, 403: QueryOut, 404: QueryOut, 429: QueryOut, 502: QueryOut},
    summary="交换网关：读取共享数据（SM2 签名请求）",
)
def gateway_query(request: HttpRequest, payload: QueryIn) -> Status:
    try:
        caller = signing.verify_request(
            method=request.method or "POST",
            path=request.get_full_path(),
            body=request.body,
            headers=request.headers,
        )
    except signing.SignatureRefused as refused:
        return Status(401, {"detail": refused.message})
    reply = gateway.query(
        caller.credential.organisation,
        gateway.Query(
            resource_code=payload.resource,
            fields=payload.fields,
            subject=payload.subject,
            purpose=payload.purpose,
            case_number=payload.case_number,
            options=payload.options,
        ),
        key_id=caller.credential.key_id,
    )
    body = {
        "result": reply.result,
        "data": reply.data,
        "reason": reply.reason,
        "call_id": reply.call_id,
        "audit_seq": reply.audit_seq,
    }
    return Status(_STATUS.get(CallResult(reply.result), 200), body)


class FieldOut(Schema):
    code: str
    name: str
    data_type: str
    is_sensitive: bool


class ResourceOut(Schema):
    code: str = Field(description="资源代码")
    name: str = Field(description="资源名称")
    provider: str = Field(description="提供单位")
    provider_uscc: str = Field(description="提供单位统一社会信用代码")
    sharing_type: str = Field(
        description="unconditional 无条件共享 · conditional 有条件共享 · not_shared 不予共享"
    )
    sharing_type_label: str
    sharing_basis: str = Field(description="有条件共享、不予共享的依据")
    sharing_conditions: str
    open_type: str
    update_cycle: str
    connected: bool = Field(description="是否已接入交换网关")
    fields: list[FieldOut]


def _resource_out(resource: Any) -> dict[str, Any]:
    return {
        "code": resource.code,
        "name": resource.name,
        "provider": resource.provider.name,
        "provider_uscc": resource.provider.uscc,
        "sharing_type": resource.sharing_type,
        "sharing_type_label": str(SharingType(resource.sharing_type).label),
        "sharing_basis": resource.sharing_basis,
        "sharing_conditions": resource.sharing_conditions,
        "open_type": resource.open_type,
        "update_cycle": resource.update_cycle,
        "connected": bool(resource.adapter),
        "fields": [
            {"code": f.code, "name": f.name, "data_type": f.data_type, "is_sensitive": f.is_sensitive}
            for f in selectors.fields_of(resource)
        ],
    }


@router.get(
    "/resources", response=list[ResourceOut], throttle=[PublicApiThrottle()], summary="政务信息资源目录"
)
def resource_list(request: HttpRequest, q: str = "", sharing_type: str = "") -> list[dict[str, Any]]:
    return [_resource_out(r) for r in selectors.catalogue(text=q, sharing_type=sharing_type)[:500]]


@router.get("/resources/{code}", response=ResourceOut, throttle=[PublicApiThrottle()], summary="资源目录条目")
def resource_detail(request: HttpRequest, code: str) -> dict[str, Any]:
    resource = selectors.resource_by_code(code)
    if resource is None or not resource.is_active:
        raise HttpError(404, _("资源代码“%(c)s”不存在。") % {"c": code[:40]})
    return _resource_out(resource)


class ReducedOut(Schema):
    implementation_code: str = Field(description="实施编码")
    name: str = Field(description="事项名称")
    organisation: str = Field(description="实施机构")
    materials: int = Field(description="通过数据共享免于提交的材料种数")
    obtained: int = Field(description="免于提交的材料份数（累计）")
    failed: int = Field(description="共享获取失败、改由申请人提交的份数")


@router.get(
    "/reduced-materials",
    response=list[ReducedOut],
    throttle=[PublicApiThrottle()],
    summary="减材料统计：各事项通过数据共享免提交的材料",
)
def reduced_materials(request: HttpRequest) -> list[Any]:
    return list(selectors.reduced_materials())


class ReadOut(Schema):
    at: dt.datetime = Field(description="时间")
    consumer: str = Field(description="读取单位")
    provider: str = Field(description="数据提供单位")
    resource: str = Field(description="数据资源")
    fields: list[str] = Field(description="读取的信息项")
    purpose: str = Field(description="用途")
    case_number: str = Field(description="办件编号")
    result: str = Field(description="结果")
    audit_seq: int = Field(description="防篡改审计日志的记录编号（AuditEntry id）")


@router.get("/me/reads", response=list[ReadOut], auth=django_auth, summary="谁查看了我的数据")
def my_reads(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "at": call.occurred_at,
            "consumer": call.consumer.name,
            "provider": call.provider.name if call.provider else "",
            "resource": call.resource.name if call.resource else call.resource_code,
            "fields": call.fields,
            "purpose": call.purpose,
            "case_number": getattr(call, "shown_case_number", call.case_number),
            "result": str(CallResult(call.result).label),
            "audit_seq": call.audit_seq,
        }
        for call in selectors.reads_of(request.user)
    ]


class PrefillOut(Schema):
    material: str = Field(description="材料名称")
    outcome: str = Field(description="obtained 已共享获取 · failed 未能获取")
    message: str = Field(description="给申请人的说明")
    provider: str = Field(description="数据提供单位")
    trust_level: str = Field(description="可信等级（A：政府部门出具，可直接使用）")
    document_sm3: str = Field(description="所获数据的 SM3 摘要")


@router.get(
    "/cases/{case_id}/prefill", response=list[PrefillOut], auth=django_auth, summary="我的办件：免提交材料"
)
def case_prefill(request: HttpRequest, case_id: int) -> list[dict[str, Any]]:
    case = selectors.applicant_case(request.user, case_id)
    if case is None:
        raise HttpError(404, _("没有找到该办件。"))
    return [selectors.prefill_row(row) for row in selectors.prefilled_for_case(case.pk)]
