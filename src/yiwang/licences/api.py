"""The licences app's JSON API, mounted at /api/licences/.

Public (no sign-in): published SM2 public keys of issuing organisations (offline verification), licence
types, and verification by identifier, QR payload or PDF file. Signed-in: the holder's wallet; for staff,
manual issuance, lifecycle actions, key rotation, and reading a licence the holder shared for a case.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.responses import Status
from ninja.security import django_auth

from yiwang.accounts import permissions
from yiwang.accounts.models import Role
from yiwang.core.models import Organisation

from . import holders, keys, selectors, services, verification
from .errors import LicenceError, NotPermitted
from .models import Licence, LicenceStatus, LicenceType, SigningKey

router = Router(tags=["电子证照"])
MAX_UPLOAD = 5 * 1024 * 1024


class PublicKeyOut(Schema):
    organisation_code: str = Field(description="机构统一社会信用代码")
    organisation_name: str = Field(description="机构名称")
    fingerprint: str = Field(description="公钥指纹（公钥 SM3 摘要前16位），即签名原文中的 key")
    public_key: str = Field(description="SM2 公钥：128位十六进制（非压缩点 x‖y，不含 04 前缀）")
    algorithm: str = Field(description="签名算法：SM2 签名，SM3 杂凑，默认用户标识 1234567812345678")
    created_at: dt.datetime
    retired_at: dt.datetime | None = Field(description="停用时间；停用的公钥仍可验证其停用前的签名")


class FieldOut(Schema):
    name: str
    label: str
    value: Any


class VerificationOut(Schema):
    identifier: str = Field(description="证照标识")
    found: bool
    valid: bool = Field(description="总结论：签名真实、状态有效、在有效期内")
    verdict: str = Field(description="结论（中文）")
    signature_ok: bool
    status: str = Field(description="状态：valid/suspended/revoked/cancelled/expired/superseded")
    status_label: str
    status_reason: str
    in_validity: bool
    type_name: str
    issuer_name: str
    issuer_code: str
    holder_id_masked: str
    valid_from: str
    valid_until: str = Field(description="为空表示长期有效")
    version: int
    successor: str = Field(description="已换发时，新版本的证照标识")
    key_fingerprint: str
    key_retired: bool
    fields: list[FieldOut] = Field(description="持证人允许公开的照面信息")
    problems: list[str]
    file_matched: bool | None = Field(description="按文件核验时：是否与签发的文件逐字节一致")


class PayloadIn(Schema):
    payload: str = Field(description="二维码内容（YWLIC1. 开头，或含 q= 的核验网址）", max_length=20000)


class TypeOut(Schema):
    code: str
    name: str
    holder_kind: str
    validity_months: int | None
    fields: list[dict[str, Any]]
    issuers: list[str] = Field(description="颁发机构统一社会信用代码")

    @staticmethod
    def resolve_issuers(obj: LicenceType) -> list[str]:
        return [o.uscc for o in obj.issuers.all()]


class LicenceOut(Schema):
    identifier: str
    type_code: str
    type_name: str
    issuer_code: str
    issuer_name: str
    holder_kind: str
    holder_name: str
    holder_id_masked: str
    valid_from: str
    valid_until: str
    version: int
    status: str
    status_label: str
    data: dict[str, Any]


def _licence_out(licence: Licence) -> dict[str, Any]:
    return {
        **selectors.licence_summary(licence),
        "status_label": str(LicenceStatus(licence.status).label),
        "data": selectors.licence_payload(licence),
    }


class IssueIn(Schema):
    type_code: str = Field(description="证照类型代码（21位）")
    issuer_code: str = Field(description="颁发机构统一社会信用代码")
    holder_kind: str = Field(description="person 或 enterprise")
    holder_identifier: str = Field(description="公民身份号码或统一社会信用代码")
    holder_name: str
    data: dict[str, Any] = Field(default_factory=dict, description="照面信息，按字段名")
    valid_from: dt.date | None = None
    previous: str = Field("", description="延续或变更时，上一版本的证照标识")


class ActionIn(Schema):
    action: str = Field(description="suspend 暂扣 / reinstate 暂扣发还 / revoke 撤销 / cancel 注销")
    reason: str = Field(description="原因（必填）", max_length=300)


class ReasonIn(Schema):
    reason: str = Field(max_length=200)


def _refuse(exc: Exception) -> HttpError:
    if isinstance(exc, NotPermitted):
        return HttpError(403, str(exc))
    message = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    return HttpError(400, message)


# --- public -------------------------------------------------------------------------------------------


@router.get("/keys", response=list[PublicKeyOut], summary="公布的签名公钥（离线核验用）")
def public_keys(request: HttpRequest) -> list[dict[str, Any]]:
    """所有颁发机构的 SM2 公钥，含已停用的（用于验证停用前签发的证照）。"""
    rows = SigningKey.objects.select_related("organisation").order_by("organisation__uscc", "created_at")
    return [
        {
            "organisation_code": k.organisation.uscc,
            "organisation_name": k.organisation.name,
            "fingerprint": k.fingerprint,
            "public_key": k.public_hex,
            "algorithm": "SM2-with-SM3",
            "created_at": k.created_at,
            "retired_at": k.retired_at,
        }
        for k in rows
    ]


@router.get("/types", response=list[TypeOut], summary="证照类型")
def licence_types(request: HttpRequest) -> Any:
    return LicenceType.objects.filter(is_active=True).prefetch_related("issuers")


@router.get("/verify", response=VerificationOut, summary="按证照标识核验")
def verify_identifier(request: HttpRequest, identifier: str) -> dict[str, Any]:
    """核验签名、当前状态与有效期；只返回持证人允许公开的信息。"""
    return verification.by_identifier(identifier).as_dict()


@router.post("/verify/payload", response=VerificationOut, summary="按二维码内容核验")
def verify_payload(request: HttpRequest, body: PayloadIn) -> dict[str, Any]:
    return verification.by_payload(body.payload).as_dict()


@router.post("/verify/file", response=VerificationOut, summary="按证照文件（PDF）核验")
def verify_file(request: HttpRequest, file: UploadedFile = File(...)) -> dict[str, Any]:  # noqa: B008
    if (file.size or 0) > MAX_UPLOAD:
        raise HttpError(400, _("文件过大：电子证照文件不超过 5 MB。"))
    return verification.by_file(file.read()).as_dict()


# --- signed in ----------------------------------------------------------------------------------------


@router.get("/mine", response=list[LicenceOut], auth=django_auth, summary="我的证照")
def my_licences(request: HttpRequest) -> list[dict[str, Any]]:
    return [_licence_out(lic) for lic in selectors.wallet(request.user)]


@router.post("/issue", response={201: LicenceOut}, auth=django_auth, summary="签发证照（工作人员）")
def issue_licence(request: HttpRequest, body: IssueIn) -> Status:
    licence_type = LicenceType.objects.filter(code=body.type_code.strip().upper()).first()
    if licence_type is None:
        raise HttpError(400, _("没有证照类型 %(c)s。") % {"c": body.type_code})
    issuer = Organisation.objects.filter(uscc=body.issuer_code.strip().upper()).first()
    if issuer is None:
        raise HttpError(400, _("没有统一社会信用代码为 %(c)s 的机构。") % {"c": body.issuer_code})
    previous = None
    if body.previous.strip():
        previous = selectors.licence_by_identifier(body.previous)
        if previous is None:
            raise HttpError(400, _("没有找到上一版本的证照 %(i)s。") % {"i": body.previous})
    try:
        holder = holders.make_holder(body.holder_kind, body.holder_identifier, body.holder_name)
        licence = services.issue(
            licence_type,
            issuer=issuer,
            holder=holder,
            data=body.data,
            actor=request.user,
            valid_from=body.valid_from,
            previous=previous,
        )
    except (LicenceError, ValidationError) as exc:
        raise _refuse(exc) from None
    return Status(201, _licence_out(licence))


@router.post(
    "/licence/{identifier}/status", response=LicenceOut, auth=django_auth, summary="暂扣、发还、撤销、注销"
)
def change_status(request: HttpRequest, identifier: str, body: ActionIn) -> dict[str, Any]:
    licence = selectors.licence_by_identifier(identifier)
    if licence is None:
        raise HttpError(404, _("没有找到证照 %(i)s。") % {"i": identifier})
    try:
        licence = services.change_status(licence, body.action, actor=request.user, reason=body.reason)
    except LicenceError as exc:
        raise _refuse(exc) from None
    return _licence_out(licence)


@router.post(
    "/keys/{organisation_code}/rotate", response=PublicKeyOut, auth=django_auth, summary="更换签名密钥"
)
def rotate_key(request: HttpRequest, organisation_code: str, body: ReasonIn) -> dict[str, Any]:
    organisation = get_object_or_404(Organisation, uscc=organisation_code.strip().upper())
    if not permissions.has_role(request.user, keys.KEY_ADMIN_ROLES, organisation):
        raise HttpError(403, _("您无权管理“%(o)s”的签名密钥。") % {"o": organisation.name})
    try:
        key = keys.rotate(organisation, actor=request.user, reason=body.reason)
    except LicenceError as exc:
        raise _refuse(exc) from None
    return {
        "organisation_code": organisation.uscc,
        "organisation_name": organisation.name,
        "fingerprint": key.fingerprint,
        "public_key": key.public_hex,
        "algorithm": "SM2-with-SM3",
        "created_at": key.created_at,
        "retired_at": key.retired_at,
    }


CASE_STAFF_ROLES = (Role.WINDOW, Role.REVIEWER, Role.APPROVER)


@router.get(
    "/shared/{case_number}", response=list[LicenceOut], auth=django_auth, summary="办件中持证人授权使用的证照"
)
def shared_for_case(request: HttpRequest, case_number: str) -> list[dict[str, Any]]:
    """办理该办件的部门工作人员读取持证人为本办件授权的证照（每次读取计数并审计）。"""
    from yiwang.cases.models import Case

    case = Case.objects.select_related("organisation").filter(number=case_number).first()
    if case is None or not permissions.has_role(request.user, CASE_STAFF_ROLES, case.organisation):
        raise HttpError(404, _("没有找到您可办理的办件 %(n)s。") % {"n": case_number})
    out = []
    for grant in case.licence_grants.filter(organisation=case.organisation).select_related("licence"):
        licence = selectors.licence_by_identifier(grant.licence.identifier)
        if licence and services.record_read(
            licence, organisation_id=case.organisation_id, case_id=case.pk, actor=request.user
        ):
            out.append(_licence_out(licence))
    return out
