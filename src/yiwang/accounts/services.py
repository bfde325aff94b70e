"""Identity services: registration, real-name levels, sign-in steps, password reset, sessions.

Views stay thin: they parse input, call one function here and render. Every state change runs in one
transaction and writes an audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import password_validation
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from yiwang.accounts import fieldcrypto, lockout, otp, registries
from yiwang.accounts.models import (
    OtpPurpose,
    PersonIdentity,
    RealNameLevel,
    User,
    UserSession,
)
from yiwang.core import audit
from yiwang.core.validators import mask_resident_id, validate_mobile, validate_resident_id


class RealNameLevelTooLow(PermissionDenied):
    """Raised by require_level; carries what is needed and where to raise the level."""

    def __init__(self, required: int, current: int, upgrade_path: str) -> None:
        self.required = required
        self.current = current
        self.upgrade_path = upgrade_path
        self.message = _("办理此事项需要%(required)s，您当前为%(current)s。请先提升实名等级：%(path)s") % {
            "required": RealNameLevel(required).label,
            "current": RealNameLevel(current).label,
            "path": upgrade_path,
        }
        super().__init__(self.message)


class SignInError(ValidationError):
    pass


def level_of(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return RealNameLevel.NONE
    identity = PersonIdentity.objects.filter(user=user).only("level").first()
    return identity.level if identity else RealNameLevel.NONE


def require_level(user: Any, level: int) -> None:
    """Raise RealNameLevelTooLow (with the upgrade page's path) unless `user` has at least `level`."""
    current = level_of(user)
    if current < level:
        raise RealNameLevelTooLow(level, current, reverse("accounts:level"))


def resident_id_of(user: User) -> str:
    """The decrypted resident ID number (for registry checks and the person's own data export only)."""
    identity = PersonIdentity.objects.get(user=user)
    return fieldcrypto.decrypt(identity.resident_id_ciphertext, context=registries.RESIDENT_ID_CONTEXT)


# --- Registration and levels ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    phone: str
    code: str
    name: str
    resident_id: str
    password: str


def validate_registration(data: Registration) -> dict[str, list[str]]:
    """Field-by-field problems (empty when fine), checked before the SMS code is consumed."""
    errors: dict[str, list[str]] = {}

    def check(field: str, fn: Any) -> None:
        try:
            fn()
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)

    check("phone", lambda: validate_mobile(data.phone))
    check("name", lambda: _require(data.name.strip(), _("请填写姓名（与身份证一致）。")))
    check("resident_id", lambda: validate_resident_id(data.resident_id))
    check("password", lambda: password_validation.validate_password(data.password, User(username=data.phone)))
    if "phone" not in errors and User.objects.filter(username=validate_mobile(data.phone)).exists():
        errors.setdefault("phone", []).append(_("该手机号码已注册，请直接登录；忘记密码可通过短信重置。"))
    if (
        "resident_id" not in errors
        and PersonIdentity.objects.filter(
            resident_id_index=registries.resident_id_index(data.resident_id)
        ).exists()
    ):
        errors.setdefault("resident_id", []).append(
            _("该身份证号码已注册过账户。如非本人注册，请携带身份证到政务服务大厅处理。")
        )
    return errors


def _require(value: str, message: str) -> None:
    if not value:
        raise ValidationError(message)


def register_person(data: Registration) -> User:
    """Create a person's account at L1 after checking the SMS code sent to the phone for registration."""
    errors = validate_registration(data)
    if errors:
        raise ValidationError(errors)
    phone = validate_mobile(data.phone)
    otp.verify_code(phone, OtpPurpose.REGISTER, data.code)
    number = validate_resident_id(data.resident_id)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=phone, password=data.password, phone=phone, display_name=data.name.strip()
            )
            PersonIdentity.objects.create(
                user=user,
                resident_id_ciphertext=fieldcrypto.encrypt(number, context=registries.RESIDENT_ID_CONTEXT),
                resident_id_index=registries.resident_id_index(number),
                resident_id_masked=mask_resident_id(number),
                level=RealNameLevel.L1,
                level_source="sms+id_format",
                level_verified_at=timezone.now(),
            )
            audit.record(
                actor=user,
                action="account.registered",
                object_type="accounts.User",
                object_id=user.pk,
                summary=f"注册账户 {phone[:3]}****{phone[-4:]}（实名一级）",
            )
    except IntegrityError:
        raise ValidationError(
            _("该手机号码或身份证号码刚刚已被注册，请直接登录。"), code="duplicate"
        ) from None
    return user


def upgrade_to_l2(user: User) -> None:
    """Check name + resident ID against the population registry; on success the person becomes L2."""
    identity = PersonIdentity.objects.filter(user=user).first()
    if identity is None:
        raise ValidationError(_("您的账户尚未登记身份证号码，无法核验。"), code="no_identity")
    if identity.level >= RealNameLevel.L2:
        return
    result = registries.population_registry().verify(user.display_name, resident_id_of(user))
    if not result.verified:
        audit.record(
            actor=user,
            action="identity.verify_failed",
            object_type="accounts.User",
            object_id=user.pk,
            summary="人口库核验未通过",
            data={"reason": result.reason},
        )
        raise ValidationError(result.reason, code="registry_mismatch")
    _set_level(user, RealNameLevel.L2, source="population_registry", actor=user)


def verify_in_person(person: User, *, actor: User) -> None:
    """A window clerk saw the person and their ID card at a hall: L3."""
    if actor is None or not (actor.is_staff or actor.memberships.exists()):
        raise PermissionDenied(_("只有政务服务大厅工作人员可以办理现场实名核验。"))
    _set_level(person, RealNameLevel.L3, source="in_person", actor=actor)


def _set_level(user: User, level: int, *, source: str, actor: Any) -> None:
    with transaction.atomic():
        identity = PersonIdentity.objects.select_for_update().get(user=user)
        before = {"level": identity.level}
        if identity.level >= level:
            return
        identity.level = level
        identity.level_source = source
        identity.level_verified_at = timezone.now()
        identity.save(update_fields=["level", "level_source", "level_verified_at"])
        audit.record(
            actor=actor,
            action="identity.level_raised",
            object_type="accounts.User",
            object_id=user.pk,
            before=before,
            after={"level": level},
            summary=f"实名等级提升为 L{level}（{source}）",
        )


# --- Sign-in ------------------------------------------------------------------------------------------


def _normalise_identifier(identifier: str) -> str:
    value = (identifier or "").strip()
    return value[3:] if value.startswith("+86") else value


def check_password(identifier: str, password: str, *, client_ip: str = "") -> User:
    """First sign-in step: the account (by phone or user name) and its password, with lockout."""
    from django.contrib.auth import authenticate

    username = _normalise_identifier(identifier)
    subject = f"user:{username.lower()}"
    if lockout.exceeded(lockout.ACCOUNT_FAILURES, subject):
        raise SignInError(
            _("该账户连续登录失败次数过多，已临时锁定，请%(m)d分钟后再试，或通过短信重置密码。")
            % {"m": lockout.seconds_left(lockout.ACCOUNT_FAILURES) // 60 + 1},
            code="locked",
        )
    if client_ip and lockout.exceeded(lockout.ADDRESS_FAILURES, client_ip):
        raise SignInError(_("当前网络登录失败次数过多，请稍后再试。"), code="address_locked")
    user = authenticate(username=username, password=password)
    if user is None:
        lockout.hit(lockout.ACCOUNT_FAILURES, subject)
        if client_ip:
            lockout.hit(lockout.ADDRESS_FAILURES, client_ip)
        known = User.objects.filter(username=username).first()
        audit.record(
            actor=None,
            action="auth.sign_in_failed",
            object_type="accounts.User",
            object_id=known.pk if known else "",
            summary="登录失败：账户或密码错误",
            data={"ip": client_ip, "step": "password"},
        )
        raise SignInError(_("手机号码（账户名）或密码不正确，请重新输入。"), code="bad_credentials")
    lockout.reset(lockout.ACCOUNT_FAILURES, subject)
    return user


def record_second_factor_failure(user: User, *, step: str, client_ip: str = "") -> None:
    lockout.hit(lockout.ACCOUNT_FAILURES, f"user:{user.username.lower()}")
    audit.record(
        actor=None,
        action="auth.sign_in_failed",
        object_type="accounts.User",
        object_id=user.pk,
        summary=f"登录失败：{step} 验证未通过",
        data={"ip": client_ip, "step": step},
    )


# --- Password reset -------------------------------------------------------------------------------------


def send_password_reset_code(phone: str, *, client_ip: str = "") -> None:
    """Send a reset code to a registered, active account's phone. For any other number do nothing and say
    nothing: the caller answers the same either way, so the page cannot be used to find who is registered."""
    if User.objects.filter(username=phone, is_active=True).exists():
        otp.send_code(phone, OtpPurpose.RESET, client_ip=client_ip)


def reset_password(phone: str, code: str, new_password: str) -> User:
    phone = validate_mobile(phone)
    user = User.objects.filter(username=phone, is_active=True).first()
    if user is None:
        # Same answer as a wrong code, so the form does not reveal which numbers are registered.
        otp.verify_code(phone, OtpPurpose.RESET, code)
        raise ValidationError(_("验证码不正确，请核对短信中的6位数字。"), code="otp_wrong")
    password_validation.validate_password(new_password, user)
    otp.verify_code(phone, OtpPurpose.RESET, code)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        audit.record(
            actor=user,
            action="account.password_reset",
            object_type="accounts.User",
            object_id=user.pk,
            summary="通过短信验证码重置密码",
        )
    end_all_sessions(user, actor=user)
    lockout.reset(lockout.ACCOUNT_FAILURES, f"user:{phone}")
    return user


# --- Sessions -------------------------------------------------------------------------------------------


def _session_store() -> type[SessionBase]:
    from django.conf import settings

    return import_string(f"{settings.SESSION_ENGINE}.SessionStore")


def track_session(
    user: User, session_key: str, *, ip: str | None, user_agent: str, method: str
) -> UserSession:
    session, _created = UserSession.objects.update_or_create(
        session_key=session_key,
        defaults={"user": user, "ip_address": ip or None, "user_agent": user_agent[:200], "method": method},
    )
    return session


def active_sessions(user: User) -> list[UserSession]:
    return list(UserSession.objects.filter(user=user, ended_at__isnull=True).order_by("-created_at"))


def end_all_sessions(user: User, *, actor: Any, keep: str | None = None) -> int:
    """Sign out everywhere: delete every tracked session of `user` (except `keep`) from the session store."""
    store = _session_store()
    ended = 0
    with transaction.atomic():
        sessions = list(
            UserSession.objects.select_for_update()
            .filter(user=user, ended_at__isnull=True)
            .exclude(session_key=keep or "")
        )
        for session in sessions:
            store(session_key=session.session_key).delete()
            ended += 1
        UserSession.objects.filter(pk__in=[s.pk for s in sessions]).update(ended_at=timezone.now())
        audit.record(
            actor=actor,
            action="auth.signed_out_everywhere",
            object_type="accounts.User",
            object_id=user.pk,
            summary=f"退出全部登录（{ended} 个会话）",
        )
    _revoke_sso_tokens(user)
    return ended


def _revoke_sso_tokens(user: User) -> None:
    """Sign-out everywhere also ends single sign-on: refresh and access tokens stop working."""
    from django.apps import apps

    if not apps.is_installed("oauth2_provider"):
        return
    from oauth2_provider.models import get_access_token_model, get_refresh_token_model

    for refresh in get_refresh_token_model().objects.filter(user=user, revoked__isnull=True):
        refresh.revoke()
    get_access_token_model().objects.filter(user=user).delete()


# --- What the platform holds about a person ---------------------------------------------------------


def access_log(user: User, limit: int = 200) -> list[dict[str, Any]]:
    """Who did or read what about this account (audit rows about the user), newest first."""
    from yiwang.core.models import AuditEntry

    rows = AuditEntry.objects.filter(object_type="accounts.User", object_id=str(user.pk)).order_by("-seq")[
        :limit
    ]
    return [
        {
            "at": row.occurred_at.isoformat(),
            "actor": row.actor_label,
            "action": row.action,
            "summary": row.summary,
        }
        for row in rows
    ]


def personal_data(user: User) -> dict[str, Any]:
    """Everything the identity layer holds about `user`, for the person's own download (audited)."""
    from yiwang.accounts.models import AgentAuthorisation, Enterprise, Membership

    identity = PersonIdentity.objects.filter(user=user).first()
    data: dict[str, Any] = {
        "account": {
            "username": user.get_username(),
            "name": user.display_name,
            "phone": user.phone,
            "joined": user.date_joined.isoformat(),
        },
        "identity": None,
        "sessions": [
            {
                "signed_in": s.created_at.isoformat(),
                "method": s.method,
                "ip": s.ip_address,
                "browser": s.user_agent,
            }
            for s in UserSession.objects.filter(user=user).order_by("-created_at")
        ],
        "enterprises_represented": [
            {"uscc": e.uscc, "name": e.name} for e in Enterprise.objects.filter(representative=user)
        ],
        "agent_authorisations": [
            {
                "enterprise": a.enterprise.name,
                "all_items": a.all_items,
                "item_codes": a.item_codes,
                "valid_until": a.valid_until.isoformat(),
                "revoked_at": a.revoked_at.isoformat() if a.revoked_at else None,
            }
            for a in AgentAuthorisation.objects.filter(agent=user).select_related("enterprise")
        ],
        "staff_memberships": [
            {
                "organisation": m.organisation.name,
                "role": m.role,
                "covers_region_subtree": m.covers_region_subtree,
            }
            for m in Membership.objects.filter(user=user).select_related("organisation")
        ],
    }
    if identity is not None:
        data["identity"] = {
            "resident_id": resident_id_of(user),
            "real_name_level": identity.level,
            "verified_by": identity.level_source,
            "verified_at": identity.level_verified_at.isoformat() if identity.level_verified_at else None,
        }
    audit.record(
        actor=user,
        action="identity.exported",
        object_type="accounts.User",
        object_id=user.pk,
        summary="本人下载个人数据",
    )
    data["access_log"] = access_log(user)
    return data
