from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.identity_factories import make_phone
from yiwang.accounts import otp, sms
from yiwang.accounts.models import OneTimeCode, OtpPurpose

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone() -> str:
    return make_phone()


def send(phone: str, purpose: str, capture: object) -> str:
    with capture(execute=True):  # type: ignore[operator]
        otp.send_code(phone, purpose)
    code = sms.latest_code(phone)
    assert code is not None
    return code


def error_code(exc: pytest.ExceptionInfo[ValidationError]) -> str | None:
    return exc.value.code


def test_code_is_hashed_sent_through_the_file_gateway_and_single_use(
    phone: str, django_capture_on_commit_callbacks: object
) -> None:
    code = send(phone, OtpPurpose.LOGIN, django_capture_on_commit_callbacks)
    row = OneTimeCode.objects.get(phone=phone)
    assert code not in row.code_hash and len(row.code_hash) == 64
    otp.verify_code(phone, OtpPurpose.LOGIN, code)
    with pytest.raises(ValidationError) as replay:
        otp.verify_code(phone, OtpPurpose.LOGIN, code)
    assert error_code(replay) == "otp_replayed" and "已经使用过" in replay.value.messages[0]


def test_code_is_bound_to_its_purpose_and_phone(
    phone: str, django_capture_on_commit_callbacks: object
) -> None:
    code = send(phone, OtpPurpose.REGISTER, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as other_purpose:
        otp.verify_code(phone, OtpPurpose.RESET, code)
    assert error_code(other_purpose) == "otp_wrong"
    with pytest.raises(ValidationError):
        otp.verify_code(make_phone(), OtpPurpose.REGISTER, code)
    otp.verify_code(phone, OtpPurpose.REGISTER, code)


def test_expired_code_is_refused_with_its_reason(
    phone: str, django_capture_on_commit_callbacks: object
) -> None:
    code = send(phone, OtpPurpose.LOGIN, django_capture_on_commit_callbacks)
    OneTimeCode.objects.filter(phone=phone).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(ValidationError) as expired:
        otp.verify_code(phone, OtpPurpose.LOGIN, code)
    assert error_code(expired) == "otp_expired" and "过期" in expired.value.messages[0]


def test_sending_is_rate_limited_and_a_new_code_supersedes_the_old(
    phone: str, django_capture_on_commit_callbacks: object
) -> None:
    first = send(phone, OtpPurpose.LOGIN, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as too_soon:
        otp.send_code(phone, OtpPurpose.LOGIN)
    assert error_code(too_soon) == "otp_rate_minute"
    from yiwang.accounts import lockout

    lockout.reset(lockout.SMS_PER_MINUTE, f"{phone}:{OtpPurpose.LOGIN}")
    second = send(phone, OtpPurpose.LOGIN, django_capture_on_commit_callbacks)
    if first != second:
        with pytest.raises(ValidationError) as superseded:
            otp.verify_code(phone, OtpPurpose.LOGIN, first)
        assert error_code(superseded) == "otp_superseded"
    otp.verify_code(phone, OtpPurpose.LOGIN, second)


def test_repeated_wrong_codes_lock_the_phone(phone: str, django_capture_on_commit_callbacks: object) -> None:
    code = send(phone, OtpPurpose.LOGIN, django_capture_on_commit_callbacks)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        with pytest.raises(ValidationError) as attempt:
            otp.verify_code(phone, OtpPurpose.LOGIN, wrong)
        assert error_code(attempt) == "otp_wrong"
    with pytest.raises(ValidationError) as locked:
        otp.verify_code(phone, OtpPurpose.LOGIN, code)
    assert error_code(locked) == "otp_locked"
    assert OneTimeCode.objects.get(phone=phone).failed_attempts == 5


def test_malformed_code_is_explained(phone: str) -> None:
    with pytest.raises(ValidationError) as malformed:
        otp.verify_code(phone, OtpPurpose.LOGIN, "12ab")
    assert error_code(malformed) == "otp_format"
