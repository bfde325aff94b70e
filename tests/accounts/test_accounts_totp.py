from __future__ import annotations

import pyotp
import pytest
from django.core.exceptions import ValidationError

from accounts.identity_factories import make_staff
from catalog.factories import make_organisation
from yiwang.accounts import totp
from yiwang.accounts.models import Role, TotpDevice

pytestmark = pytest.mark.django_db


def current_code(user: object) -> str:
    device = TotpDevice.objects.get(user=user)
    return pyotp.TOTP(totp.secret_of(device)).now()


def test_enrolment_confirmation_and_replay_refusal() -> None:
    staff = make_staff(make_organisation(), Role.WINDOW)
    device = totp.start_enrolment(staff)
    assert "<svg" in totp.qr_svg(device) and "<script" not in totp.qr_svg(device)
    assert totp.secret_of(device) not in device.secret_ciphertext
    assert not totp.is_enrolled(staff)
    code = current_code(staff)
    totp.confirm_enrolment(staff, code)
    assert totp.is_enrolled(staff)
    with pytest.raises(ValidationError) as replay:
        totp.verify(staff, code)  # the same code, in the same 30 s step, is not accepted twice
    assert replay.value.code == "totp_wrong"


def test_wrong_code_and_unenrolled_staff_are_refused() -> None:
    staff = make_staff(make_organisation(), Role.REVIEWER)
    with pytest.raises(ValidationError) as not_enrolled:
        totp.verify(staff, "123456")
    assert not_enrolled.value.code == "totp_not_enrolled"
    totp.start_enrolment(staff)
    with pytest.raises(ValidationError) as wrong:
        totp.confirm_enrolment(staff, "abcdef")
    assert wrong.value.code == "totp_wrong"
