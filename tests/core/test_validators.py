"""Validators of Chinese identifiers: right answers, and specific Chinese messages for wrong input."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError

from yiwang.core import validators

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def error_of(func, value: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        func(value)
    message = caught.value.messages[0]
    assert CHINESE.search(message), f"message is not Chinese: {message}"
    return caught.value


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014", "34052419800101001X"])
def test_valid_resident_ids(number: str) -> None:
    assert validators.validate_resident_id(number) == number


def test_resident_id_normalises_lowercase_x_and_spaces() -> None:
    assert validators.validate_resident_id(" 11010519491231002x ") == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "code", "fragment"),
    [
        ("340524198001010013", "resident_id_checksum", "校验位"),
        ("3405241980010100", "resident_id_length", "18位"),
        ("34052419800101001Y", "resident_id_chars", "数字或X"),
        ("34052419801301001X", "resident_id_birth", "出生日期"),
        ("34052429800101001X", "resident_id_birth", "出生日期"),
        ("04052419800101001X", "resident_id_region", "行政区划"),
    ],
)
def test_invalid_resident_ids(number: str, code: str, fragment: str) -> None:
    error = error_of(validators.validate_resident_id, number)
    assert error.code == code
    assert fragment in error.messages[0]


def test_resident_id_length_message_counts_characters() -> None:
    assert "16位" in error_of(validators.validate_resident_id, "3405241980010100").messages[0]


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_mask_resident_id_keeps_first_three_and_last_four(number: str) -> None:
    masked = validators.mask_resident_id(number)
    assert masked == number[:3] + "*" * 11 + number[-4:]
    assert len(masked) == 18


def test_mask_short_values_hides_everything() -> None:
    assert validators.mask_resident_id("1234") == "****"


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",
        "11100000000013338W",
        "11430000006122244L",
        "11330105002500287C",
        "113700000045046442",
        "11100000000013661B",
        "12441500196720244T",
        "11370800MB28559184",
        "11511301008778183N",
        "115113010833722043",
    ],
)
def test_valid_usccs(code: str) -> None:
    result = validators.check_uscc(code)
    assert result.code == code
    assert result.warning == ""
    assert validators.validate_uscc(code) == code


def test_pilot_uscc_with_failing_check_digit_is_a_warning_not_an_error() -> None:
    result = validators.check_uscc("91350100M0001TGQXM")
    assert result.code == "91350100M0001TGQXM"
    assert "校验位" in result.warning
    # The strict form (new registrations typed by hand) rejects it with its own message.
    error = error_of(validators.validate_uscc, "91350100M0001TGQXM")
    assert error.code == "uscc_checksum"


@pytest.mark.parametrize(
    ("code", "error_code", "fragment"),
    [
        ("91350100M000100Y4", "uscc_length", "18位"),
        ("91350100M000100Y433", "uscc_length", "19位"),
        ("91350100M000100O43", "uscc_chars", "O"),
        ("9135010IM000100Y43", "uscc_chars", "I"),
        ("91050100M000100Y43", "uscc_region", "行政区划"),
    ],
)
def test_invalid_usccs(code: str, error_code: str, fragment: str) -> None:
    error = error_of(validators.check_uscc, code)
    assert error.code == error_code
    assert fragment in error.messages[0]


def test_uscc_is_normalised_to_upper_case() -> None:
    assert validators.check_uscc("91350100m000100y43").code == "91350100M000100Y43"


@pytest.mark.parametrize("code", ["110000", "330100", "330106", "820000"])
def test_valid_region_codes(code: str) -> None:
    assert validators.validate_region_code(code) == code


@pytest.mark.parametrize("code", ["", "33010", "3301000", "033010", "33O100", "abcdef"])
def test_invalid_region_codes(code: str) -> None:
    error = error_of(validators.validate_region_code, code)
    assert error.code == "region_code_format"
    assert "6位" in error.messages[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13912345678", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
        ("0571-87654321", "0571-87654321"),
        ("(0571)87654321", "057187654321"),
        ("010-12345678-123", "010-12345678-123"),
        ("12345", "12345"),
        ("400-123-4567", "400-123-4567"),
    ],
)
def test_valid_phones(value: str, expected: str) -> None:
    assert validators.validate_phone(value) == expected


@pytest.mark.parametrize("value", ["12912345678", "1391234567", "87654321", "hello", ""])
def test_invalid_phones(value: str) -> None:
    error = error_of(validators.validate_phone, value)
    assert error.code == "phone_format"
    assert "手机号" in error.messages[0]


def test_mobile_only_validator() -> None:
    assert validators.validate_mobile("+8613912345678") == "13912345678"
    error = error_of(validators.validate_mobile, "0571-87654321")
    assert "11位" in error.messages[0]
