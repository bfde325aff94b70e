"""SMS one-time codes: 6 digits, hashed at rest (HMAC-SM3), 5-minute expiry, single use, bound to
phone + purpose; rate-limited sending; five wrong tries end a code."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts import fieldcrypto, lockout, sms
from yiwang.accounts.models import OneTimeCode, OtpPurpose

CODE_TTL = timedelta(minutes=5)
MAX_TRIES_PER_CODE = 5

PURPOSE_TEXT = {
    OtpPurpose.REGISTER: "注册",
    OtpPurpose.LOGIN: "登录",
    OtpPurpose.RESET: "重置密码",
}


class OtpError(ValidationError):
    pass


def _digest(phone: str, purpose: str, code: str) -> str:
    return fieldcrypto.keyed_digest(f"{phone}:{purpose}:{code}", context="otp")


def send_code(phone: str, purpose: str, *, client_ip: str = "") -> OneTimeCode:
    """Send a fresh code (earlier unused codes for the same phone and purpose stop working)."""
    # One code a minute per phone and purpose (signing in right after registering is fine).
    minute_subject = f"{phone}:{purpose}"
    if lockout.exceeded(lockout.SMS_PER_MINUTE, minute_subject):
        raise OtpError(
            _("验证码发送过于频繁，请%(s)d秒后再试。") % {"s": lockout.seconds_left(lockout.SMS_PER_MINUTE)},
            code="otp_rate_minute",
        )
    if lockout.exceeded(lockout.SMS_PER_DAY, phone):
        raise OtpError(_("该手机号码今天接收验证码的次数已达上限，请明天再试。"), code="otp_rate_day")
    if client_ip and lockout.exceeded(lockout.SMS_PER_ADDRESS, client_ip):
        raise OtpError(_("当前网络发送验证码次数过多，请稍后再试。"), code="otp_rate_address")
    lockout.hit(lockout.SMS_PER_MINUTE, minute_subject)
    lockout.hit(lockout.SMS_PER_DAY, phone)
    if client_ip:
        lockout.hit(lockout.SMS_PER_ADDRESS, client_ip)

    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        OneTimeCode.objects.filter(
            phone=phone, purpose=purpose, used_at__isnull=True, superseded=False
        ).update(superseded=True)
        otp = OneTimeCode.objects.create(
            phone=phone,
            purpose=purpose,
            code_hash=_digest(phone, purpose, code),
            created_at=now,
            expires_at=now + CODE_TTL,
        )
        message = f"【一网】您的{PURPOSE_TEXT.get(OtpPurpose(purpose), '')}验证码是 {code}，5分钟内有效。请勿告诉他人。"
        transaction.on_commit(lambda: sms.send(phone, message))
    return otp


def verify_code(phone: str, purpose: str, code: str) -> None:
    """Consume the code or raise OtpError saying exactly why not (wrong, expired, already used…)."""
    code = (code or "").strip()
    if lockout.exceeded(lockout.ACCOUNT_FAILURES, f"otp:{phone}"):
        raise OtpError(
            _("验证码错误次数过多，请%(m)d分钟后重新获取。")
            % {"m": lockout.seconds_left(lockout.ACCOUNT_FAILURES) // 60 + 1},
            code="otp_locked",
        )
    if not code.isdigit() or len(code) != 6:
        raise OtpError(_("验证码应为6位数字。"), code="otp_format")
    now = timezone.now()
    error: OtpError | None = None
    with transaction.atomic():
        match = (
            OneTimeCode.objects.select_for_update()
            .filter(phone=phone, purpose=purpose, code_hash=_digest(phone, purpose, code))
            .order_by("-created_at")
            .first()
        )
        if match is None:
            _record_wrong_code(phone, purpose)
            error = OtpError(_("验证码不正确，请核对短信中的6位数字。"), code="otp_wrong")
        elif match.used_at is not None:
            error = OtpError(_("该验证码已经使用过，不能重复使用，请重新获取验证码。"), code="otp_replayed")
        elif match.superseded:
            error = OtpError(
                _("该验证码已被更新的验证码取代，请使用最近收到的验证码。"), code="otp_superseded"
            )
        elif match.failed_attempts >= MAX_TRIES_PER_CODE:
            error = OtpError(_("该验证码输错次数过多已失效，请重新获取。"), code="otp_too_many")
        elif match.expires_at <= now:
            error = OtpError(_("验证码已过期（有效期5分钟），请重新获取。"), code="otp_expired")
        # Guarded update: of two simultaneous submissions of the same code, only one succeeds.
        elif not OneTimeCode.objects.filter(pk=match.pk, used_at__isnull=True).update(used_at=now):
            error = OtpError(_("该验证码已经使用过，不能重复使用，请重新获取验证码。"), code="otp_replayed")
    if error is not None:
        raise error
    lockout.reset(lockout.ACCOUNT_FAILURES, f"otp:{phone}")


def _record_wrong_code(phone: str, purpose: str) -> None:
    lockout.hit(lockout.ACCOUNT_FAILURES, f"otp:{phone}")
    latest = (
        OneTimeCode.objects.filter(phone=phone, purpose=purpose, used_at__isnull=True, superseded=False)
        .order_by("-created_at")
        .first()
    )
    if latest is not None:
        OneTimeCode.objects.filter(pk=latest.pk).update(failed_attempts=latest.failed_attempts + 1)
