"""Validators for Chinese identifiers, with messages that say what is wrong and how to fix it.

Checks come from python-stdnum (cn.ric = GB 11643, cn.uscc = GB 32100); we only add the wording.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

REGION_CODE_RE = re.compile(r"^[1-9]\d{5}$")
# Mainland mobile numbers: 11 digits starting 13–19; landlines: area code 0xx/0xxx, 7–8 digits, optional extension.
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
SERVICE_NUMBER_RE = re.compile(
    r"^(12345|12315|12333|12329|12328|12320|12348|12366|12369|95\d{3,6}|400-?\d{3}-?\d{4})$"
)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def normalise_resident_id(value: str) -> str:
    return re.sub(r"\s", "", value or "").upper()


def validate_resident_id(value: str) -> str:
    """Check a 公民身份号码 (GB 11643-1999): length, characters, birth date and check digit."""
    number = normalise_resident_id(value)
    if len(number) != 18:
        raise ValidationError(
            _("公民身份号码应为18位，您输入了%(n)d位。") % {"n": len(number)}, code="resident_id_length"
        )
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise ValidationError(_("公民身份号码前17位须为数字，最后一位为数字或X。"), code="resident_id_chars")
    if not REGION_CODE_RE.match(number[:6]):
        raise ValidationError(_("公民身份号码前6位不是有效的行政区划代码。"), code="resident_id_region")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            _("公民身份号码中的出生日期（第7–14位）不是有效日期。"), code="resident_id_birth"
        ) from None
    if birth > dt.date.today() or birth.year < 1880:
        raise ValidationError(_("公民身份号码中的出生日期不在合理范围内。"), code="resident_id_birth")
    # Only stdnum's check digit: its ric.validate() also looks the birth place up in a historical county
    # list, which rejects (or crashes on) real numbers whose county code postdates the birth year.
    if ric.calc_check_digit(number) != number[-1]:
        raise ValidationError(
            _("公民身份号码校验位不正确，请核对最后一位（含X）是否输错。"), code="resident_id_checksum"
        )
    return number


def mask_resident_id(value: str) -> str:
    """Show only the first 3 and last 4 characters on screen (e.g. 110***********002X)."""
    number = normalise_resident_id(value)
    if len(number) < 8:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


@dataclass(frozen=True)
class UsccCheck:
    code: str
    warning: str  # empty when the check digit is right


def check_uscc(value: str) -> UsccCheck:
    """Check a 统一社会信用代码 (GB 32100-2015).

    Wrong length or characters are errors. A wrong check digit is only a warning: some early pilot codes
    fail the checksum yet are legally registered (domain.md §4.2), so registry data must not be rejected.
    """
    code = re.sub(r"\s", "", value or "").upper()
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为18位，您输入了%(n)d位。") % {"n": len(code)}, code="uscc_length"
        )
    bad = sorted({c for c in code if c not in USCC_ALPHABET})
    if bad:
        raise ValidationError(
            _("统一社会信用代码含有不允许的字符：%(chars)s（不使用I、O、Z、S、V）。")
            % {"chars": "、".join(bad)},
            code="uscc_chars",
        )
    if not REGION_CODE_RE.match(code[2:8]):
        raise ValidationError(
            _("统一社会信用代码第3–8位应为登记管理机关的行政区划代码。"), code="uscc_region"
        )
    try:
        uscc.validate(code)
    except stdnum_errors.InvalidChecksum:
        return UsccCheck(code, _("统一社会信用代码校验位不符（可能为早期试点代码），请核实。"))
    except stdnum_errors.ValidationError:
        raise ValidationError(_("统一社会信用代码格式不正确。"), code="uscc_invalid") from None
    return UsccCheck(code, "")


def validate_uscc(value: str) -> str:
    """Strict form for new registrations: a wrong check digit is rejected."""
    result = check_uscc(value)
    if result.warning:
        raise ValidationError(_("统一社会信用代码校验位不正确，请核对后重新输入。"), code="uscc_checksum")
    return result.code


def region_code_validator(value: str) -> None:
    """Model-field form of validate_region_code."""
    validate_region_code(value)


def validate_region_code(value: str) -> str:
    code = (value or "").strip()
    if not REGION_CODE_RE.match(code):
        raise ValidationError(
            _("行政区划代码应为6位数字，且首位不为0（如 330100）。"), code="region_code_format"
        )
    return code


def validate_phone(value: str) -> str:
    """A mobile number, a landline with area code (0571-87654321) or a government service number (12345)."""
    number = re.sub(r"[\s()（）]", "", value or "")
    if number.startswith("+86"):
        number = number[3:]
    if MOBILE_RE.match(number) or LANDLINE_RE.match(number) or SERVICE_NUMBER_RE.match(number):
        return number
    raise ValidationError(
        _("电话号码格式不正确：请填写11位手机号、带区号的固定电话（如 0571-87654321）或政务服务热线。"),
        code="phone_format",
    )


def validate_mobile(value: str) -> str:
    number = re.sub(r"\s", "", value or "")
    if number.startswith("+86"):
        number = number[3:]
    if not MOBILE_RE.match(number):
        raise ValidationError(_("手机号码应为以1开头的11位数字。"), code="mobile_format")
    return number
