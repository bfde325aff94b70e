"""Staff second factor: TOTP (RFC 6238) with pyotp; enrolment shows a QR code as inline SVG (segno).

A code is accepted once: the time step of the last accepted code is stored, so a code seen over a
shoulder or replayed from a log cannot be used again.
"""

from __future__ import annotations

import io

import pyotp
import segno
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts import fieldcrypto, lockout
from yiwang.accounts.models import TotpDevice, User
from yiwang.core import audit

ISSUER = "一网政务服务"
SECRET_CONTEXT = "totp_secret"  # noqa: S105 - a label, not a secret
SESSION_FLAG = "yiwang_second_factor_at"


class TotpError(ValidationError):
    pass


def device_for(user: User) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user).first()


def is_enrolled(user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def secret_of(device: TotpDevice) -> str:
    return fieldcrypto.decrypt(device.secret_ciphertext, context=SECRET_CONTEXT)


def start_enrolment(user: User) -> TotpDevice:
    """A new unconfirmed secret (replacing an unconfirmed one); a confirmed device is kept as it is."""
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is not None and device.confirmed_at is not None:
            return device
        secret = fieldcrypto.encrypt(pyotp.random_base32(), context=SECRET_CONTEXT)
        if device is None:
            device = TotpDevice.objects.create(user=user, secret_ciphertext=secret)
        else:
            device.secret_ciphertext = secret
            device.save(update_fields=["secret_ciphertext"])
    return device


def provisioning_uri(device: TotpDevice) -> str:
    return pyotp.TOTP(secret_of(device)).provisioning_uri(name=device.user.get_username(), issuer_name=ISSUER)


def qr_svg(device: TotpDevice) -> str:
    """The enrolment QR code as an SVG fragment (no script, no external image: fits the CSP)."""
    buffer = io.BytesIO()
    segno.make(provisioning_uri(device), error="m").save(
        buffer, kind="svg", scale=5, xmldecl=False, svgns=True, title=_("动态口令绑定二维码"), border=2
    )
    return buffer.getvalue().decode("utf-8")


def _accept(device: TotpDevice, code: str) -> bool:
    """True when `code` is valid now (±1 step) and newer than the last accepted one (no replay)."""
    totp = pyotp.TOTP(secret_of(device))
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return False
    now = timezone.now()
    for offset in (0, -1, 1):
        moment = now.timestamp() + offset * totp.interval
        step = int(moment // totp.interval)
        if step <= device.last_used_step:
            continue
        if totp.verify(code, for_time=int(moment)):
            # Guarded update: two requests racing with the same code cannot both pass.
            return bool(
                TotpDevice.objects.filter(pk=device.pk, last_used_step__lt=step).update(last_used_step=step)
            )
    return False


def confirm_enrolment(user: User, code: str) -> None:
    device = device_for(user)
    if device is None:
        raise TotpError(_("请先扫描二维码绑定动态口令。"), code="totp_not_started")
    if not _accept(device, code):
        raise TotpError(
            _("动态口令不正确：请输入验证器应用中当前显示的6位数字，并确认手机时间准确。"), code="totp_wrong"
        )
    with transaction.atomic():
        TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
        audit.record(
            actor=user,
            action="auth.totp_enrolled",
            object_type="accounts.User",
            object_id=user.pk,
            summary="绑定动态口令（TOTP）",
        )


def verify(user: User, code: str) -> None:
    subject = f"user:{user.username.lower()}"
    if lockout.exceeded(lockout.ACCOUNT_FAILURES, subject):
        raise TotpError(_("验证失败次数过多，账户已临时锁定，请稍后再试。"), code="locked")
    device = device_for(user)
    if device is None or device.confirmed_at is None:
        raise TotpError(_("您还没有绑定动态口令，请先完成绑定。"), code="totp_not_enrolled")
    if not _accept(device, code):
        raise TotpError(
            _("动态口令不正确或已使用过：请输入验证器应用中当前显示的6位数字。"), code="totp_wrong"
        )


def reset_device(user: User, *, actor: User) -> None:
    """An administrator removes a lost authenticator; the staff member enrols again at next sign-in."""
    with transaction.atomic():
        TotpDevice.objects.filter(user=user).delete()
        audit.record(
            actor=actor,
            action="auth.totp_reset",
            object_type="accounts.User",
            object_id=user.pk,
            summary="重置动态口令",
        )
