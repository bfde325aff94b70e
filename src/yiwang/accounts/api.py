"""Identity API (/api/accounts/): the signed-in person's profile, the enterprises they may act for, and the
representative's agent authorisations. Thin: every rule lives in accounts.permissions and enterprises.

Two ways in, tried in this order:
- an OpenID Connect access token (`Authorization: Bearer …`, issued by /o/token/) validated by
  django-oauth-toolkit with our validator; what it may read depends on its scopes;
- the portal's session cookie (writes need the CSRF token, like the pages).
Staff whose session has not passed the second factor (TOTP) are refused, like on staff pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf
from oauth2_provider.oauth2_backends import get_oauthlib_core

from yiwang.accounts import enterprises, permissions
from yiwang.accounts.middleware import needs_second_factor
from yiwang.accounts.models import AgentAuthorisation, Enterprise, PersonIdentity, User
from yiwang.core.validators import validate_mobile
from yiwang.sso.models import TokenContext

# --- authentication ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """Who is calling and with what reach: a session may do all a person may; a token only its scopes."""

    user: User
    via: Literal["session", "bearer"]
    scopes: frozenset[str] | None  # None: a session, not limited by scopes
    acting_enterprise_id: int | None

    def has_scope(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes


def _unauthorised() -> HttpError:
    return HttpError(
        401,
        _("请先登录：使用门户登录后的会话，或在 Authorization 头中提供有效的访问令牌（Bearer）。"),
    )


class OidcBearer(HttpBearer):
    """An access token issued by the platform's OpenID Connect provider (django-oauth-toolkit)."""

    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=[])
        user = getattr(oauth_request, "user", None)
        if not valid or user is None or not user.is_active:
            raise HttpError(401, _("访问令牌无效、已过期或已被撤销，请重新登录以获取新的令牌。"))
        access_token = oauth_request.access_token
        context = TokenContext.objects.filter(access_token=access_token).first()
        enterprise_id = context.enterprise_id if context else None
        # Re-checked now: a revoked or expired agent authorisation ends the token's enterprise context.
        if enterprise_id and not permissions.enterprises_for(user).filter(pk=enterprise_id).exists():
            enterprise_id = None
        return Caller(user, "bearer", frozenset(access_token.scope.split()), enterprise_id)


class PortalSession(APIKeyCookie):
    """The portal's signed-in session; unsafe methods need the CSRF token (header X-CSRFToken)."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        key = request.COOKIES.get(self.param_name)
        if key and check_csrf(request):
            raise HttpError(
                403, _("缺少或错误的 CSRF 令牌：请在 X-CSRFToken 头中带上 csrftoken Cookie 的值。")
            )
        return key

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller:
        user = getattr(request, "user", AnonymousUser())
        if not key or not isinstance(user, User) or not user.is_authenticated:
            raise _unauthorised()
        if needs_second_factor(request):
            raise HttpError(401, _("工作人员须先完成动态口令验证（第二重认证），再使用本接口。"))
        acting = enterprises.acting_enterprise(request.session, user)
        return Caller(user, "session", None, acting.pk if acting else None)


router = Router(tags=["账户"], auth=[OidcBearer(), PortalSession()])


def _caller(request: HttpRequest) -> Caller:
    caller = request.auth  # type: ignore[attr-defined]
    assert isinstance(caller, Caller)
    return caller


def _require_scope(caller: Caller, scope: str) -> None:
    if not caller.has_scope(scope):
        raise HttpError(
            403,
            _("访问令牌没有“%(scope)s”权限范围。请在授权请求的 scope 中加入 %(scope)s 后重新登录。")
            % {"scope": scope},
        )


# --- schemas -----------------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str = Field(description="错在何处、如何更正（中文）")


class FieldErrorOut(Schema):
    field: str = Field(description="出错的字段；为空表示整体错误")
    message: str = Field(description="该字段的错误说明")


class ValidationErrorOut(Schema):
    detail: str = Field(description="错误概述")
    errors: list[FieldErrorOut] = Field(description="逐字段的错误说明")


class ActingEnterpriseOut(Schema):
    id: int = Field(description="企业在平台上的编号")
    uscc: str = Field(description="统一社会信用代码")
    name: str = Field(description="企业名称")
    role: Literal["representative", "agent"] = Field(
        description="身份：representative 法定代表人，agent 经办人"
    )
    item_codes: Literal["all"] | list[str] = Field(description="可办理的事项实施编码；all 表示全部事项")


class StaffRoleOut(Schema):
    organisation: str = Field(description="机构名称")
    region: str = Field(description="机构所在行政区划代码")
    role: str = Field(
        description="岗位角色代码（window、reviewer、approver、supervisor、admin、evaluator 等）"
    )
    role_label: str = Field(description="岗位角色名称")
    covers_region_subtree: bool = Field(description="是否覆盖本区划及下级区划的机构")


class MeOut(Schema):
    username: str = Field(description="账户名（个人为手机号码）")
    name: str | None = Field(description="姓名；令牌缺少 profile 范围时为空")
    phone_masked: str | None = Field(description="脱敏手机号码，如 139****5678；令牌缺少 profile 范围时为空")
    resident_id_masked: str | None = Field(
        description="脱敏身份证号码，如 110105********002X；无身份信息或令牌缺少 identity 范围时为空"
    )
    real_name_level: int | None = Field(
        description="实名等级：0 未实名，1 已注册，2 人口库核验，3 现场核验；令牌缺少 identity 范围时为空"
    )
    real_name_level_label: str | None = Field(description="实名等级的说明")
    acting_enterprise: ActingEnterpriseOut | None = Field(
        description="当前代表办事的企业；以个人身份办事或令牌缺少 enterprise 范围时为空"
    )
    staff_roles: list[StaffRoleOut] = Field(description="工作人员岗位；令牌缺少 staff 范围时为空列表")
    authenticated_via: Literal["session", "bearer"] = Field(
        description="认证方式：session 会话，bearer 访问令牌"
    )


class EnterpriseOut(ActingEnterpriseOut):
    acting: bool = Field(description="是否为当前代表办事的企业")
    valid_until: dt.datetime | None = Field(description="经办人授权的最晚有效期；法定代表人为空")


class AuthorisationOut(Schema):
    id: int = Field(description="授权编号")
    agent_name: str = Field(description="经办人姓名")
    agent_phone_masked: str = Field(description="经办人脱敏手机号码")
    all_items: bool = Field(description="是否授权办理全部事项")
    item_codes: list[str] = Field(description="授权的事项实施编码（全部事项时为空列表）")
    valid_until: dt.datetime = Field(description="有效期至")
    created_at: dt.datetime = Field(description="授权时间")
    revoked_at: dt.datetime | None = Field(description="撤销时间；未撤销为空")
    status: Literal["active", "expired", "revoked"] = Field(
        description="状态：active 有效，expired 已过期，revoked 已撤销"
    )


class AuthorisationIn(Schema):
    agent_phone: str = Field(description="经办人的手机号码（须已注册）", examples=["13900001111"])
    all_items: bool = Field(False, description="授权办理全部事项")
    item_codes: list[str] = Field(
        default_factory=list, description="授权的事项实施编码；all_items 为 true 时可省略"
    )
    valid_until: dt.date = Field(description="有效期至（含当天），格式 2026-12-31", examples=["2026-12-31"])


# --- helpers -----------------------------------------------------------------------------------------


def _mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def _enterprise_row(user: User, enterprise: Enterprise) -> dict[str, Any]:
    codes = permissions.authorised_item_codes(user, enterprise)
    return {
        "id": enterprise.pk,
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "role": "representative" if enterprise.representative_id == user.pk else "agent",
        "item_codes": "all" if codes is None else sorted(codes),
    }


def _authorisation_row(grant: AgentAuthorisation, now: dt.datetime) -> dict[str, Any]:
    status = "revoked" if grant.revoked_at else ("expired" if grant.valid_until <= now else "active")
    return {
        "id": grant.pk,
        "agent_name": grant.agent.display_name or _mask_phone(grant.agent.username),
        "agent_phone_masked": _mask_phone(grant.agent.phone or grant.agent.username),
        "all_items": grant.all_items,
        "item_codes": list(grant.item_codes),
        "valid_until": grant.valid_until,
        "created_at": grant.created_at,
        "revoked_at": grant.revoked_at,
        "status": status,
    }


def _represented(caller: Caller, enterprise_id: int) -> Enterprise:
    """The enterprise, only if the caller is its legal representative. The same 404 whether it does not
    exist or belongs to someone else, so the answer never reveals other people's enterprises."""
    _require_scope(caller, "enterprise")
    enterprise = Enterprise.objects.filter(pk=enterprise_id, representative=caller.user).first()
    if enterprise is None:
        raise HttpError(404, _("没有找到该企业，或您不是它的法定代表人。只有法定代表人可以管理经办人授权。"))
    return enterprise


def _validation_response(exc: ValidationError) -> Status[dict[str, Any]]:
    if hasattr(exc, "error_dict"):
        errors = [
            {"field": field if field != "__all__" else "", "message": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [{"field": "", "message": message} for message in exc.messages]
    summary = "；".join(e["message"] for e in errors)
    return Status(400, {"detail": _("请求未被接受：%(s)s") % {"s": summary}, "errors": errors})


# --- endpoints ---------------------------------------------------------------------------------------


@router.get("/me", response={200: MeOut, 401: ErrorOut}, summary="我的账户")
def me(request: HttpRequest) -> dict[str, Any]:
    """当前登录者本人的账户信息。身份证号码只给脱敏形式。

    使用访问令牌时按令牌的 scope 返回：profile 给姓名和手机号码，identity 给实名等级和脱敏身份证号码，
    enterprise 给当前代表的企业，staff 给工作人员岗位；缺少的部分为空。"""
    caller = _caller(request)
    user = caller.user
    identity = PersonIdentity.objects.filter(user=user).first()
    acting = None
    if caller.acting_enterprise_id and caller.has_scope("enterprise"):
        enterprise = Enterprise.objects.filter(pk=caller.acting_enterprise_id).first()
        acting = _enterprise_row(user, enterprise) if enterprise else None
    show_profile = caller.has_scope("profile")
    show_identity = caller.has_scope("identity")
    return {
        "username": user.get_username(),
        "name": (user.display_name or user.get_username()) if show_profile else None,
        "phone_masked": _mask_phone(user.phone) if show_profile and user.phone else None,
        "resident_id_masked": identity.resident_id_masked if identity and show_identity else None,
        "real_name_level": (identity.level if identity else 0) if show_identity else None,
        "real_name_level_label": (
            str(identity.get_level_display() if identity else _("未实名")) if show_identity else None
        ),
        "acting_enterprise": acting,
        "staff_roles": [
            {
                "organisation": m.organisation.name,
                "region": m.organisation.region_id,
                "role": m.role,
                "role_label": str(m.get_role_display()),
                "covers_region_subtree": m.covers_region_subtree,
            }
            for m in permissions.memberships(user)
        ]
        if caller.has_scope("staff")
        else [],
        "authenticated_via": caller.via,
    }


@router.get(
    "/me/enterprises",
    response={200: list[EnterpriseOut], 401: ErrorOut, 403: ErrorOut},
    summary="我可代表办事的企业",
)
def my_enterprises(request: HttpRequest) -> list[dict[str, Any]]:
    """本人担任法定代表人的企业，以及授权本人为经办人且授权有效（未过期、未撤销）的企业。
    访问令牌需要 enterprise 范围。"""
    caller = _caller(request)
    _require_scope(caller, "enterprise")
    user = caller.user
    rows = []
    for enterprise in permissions.enterprises_for(user):
        row = _enterprise_row(user, enterprise)
        row["acting"] = enterprise.pk == caller.acting_enterprise_id
        grants = permissions.active_authorisations(user, enterprise)
        row["valid_until"] = (
            None if row["role"] == "representative" else max((g.valid_until for g in grants), default=None)
        )
        rows.append(row)
    return rows


@router.get(
    "/enterprises/{enterprise_id}/agents",
    response={200: list[AuthorisationOut], 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="经办人授权列表",
)
def list_authorisations(request: HttpRequest, enterprise_id: int) -> list[dict[str, Any]]:
    """企业的全部经办人授权（含已过期、已撤销的），新授权在前。仅限该企业的法定代表人；
    访问令牌需要 enterprise 范围。"""
    enterprise = _represented(_caller(request), enterprise_id)
    now = timezone.now()
    grants = (
        AgentAuthorisation.objects.filter(enterprise=enterprise)
        .select_related("agent")
        .order_by("-created_at")
    )
    return [_authorisation_row(grant, now) for grant in grants]


@router.post(
    "/enterprises/{enterprise_id}/agents",
    response={201: AuthorisationOut, 400: ValidationErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="授权经办人",
)
def create_authorisation(
    request: HttpRequest, enterprise_id: int, payload: AuthorisationIn
) -> Status[dict[str, Any]]:
    """法定代表人授权一位已注册的人作为经办人，办理全部事项或指定事项，至有效期当天结束。
    仅限该企业的法定代表人；访问令牌需要 enterprise 范围。"""
    caller = _caller(request)
    enterprise = _represented(caller, enterprise_id)
    try:
        validate_mobile(payload.agent_phone)
    except ValidationError as exc:
        return _validation_response(ValidationError({"agent_phone": exc.messages}))
    end_of_day = timezone.make_aware(dt.datetime.combine(payload.valid_until, dt.time(23, 59, 59)))
    try:
        grant = enterprises.authorise_agent(
            enterprise=enterprise,
            actor=caller.user,
            agent_phone=payload.agent_phone,
            valid_until=end_of_day,
            all_items=payload.all_items,
            item_codes=payload.item_codes,
        )
    except ValidationError as exc:
        return _validation_response(exc)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from exc
    return Status(201, _authorisation_row(grant, timezone.now()))


@router.delete(
    "/enterprises/{enterprise_id}/agents/{authorisation_id}",
    response={200: AuthorisationOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="撤销经办人授权",
)
def revoke_authorisation(request: HttpRequest, enterprise_id: int, authorisation_id: int) -> dict[str, Any]:
    """立即撤销一项授权：经办人随即不能再代表企业办事，已签发令牌中的企业身份也随之失效。
    仅限该企业的法定代表人；访问令牌需要 enterprise 范围。"""
    caller = _caller(request)
    enterprise = _represented(caller, enterprise_id)
    grant = (
        AgentAuthorisation.objects.filter(pk=authorisation_id, enterprise=enterprise)
        .select_related("agent", "enterprise")
        .first()
    )
    if grant is None:
        raise HttpError(404, _("该企业没有编号为 %(id)s 的经办人授权。") % {"id": authorisation_id})
    try:
        enterprises.revoke_authorisation(grant, actor=caller.user)
    except ValidationError as exc:
        raise HttpError(409, " ".join(exc.messages)) from exc
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from exc
    grant.refresh_from_db()
    return _authorisation_row(grant, timezone.now())
