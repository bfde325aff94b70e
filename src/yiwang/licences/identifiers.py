"""The licence identifier of GB/T 36904 (证照标识) and its ISO 7064 MOD 37,36 check character.

    1.2.156.3005.2 . 证照类型代码 . 颁发机构代码 . 流水号 . 版本号 . 校验位

- 证照类型代码: the defining body's USCC (18) + a 3-digit sequence, e.g. 11100000000013338W011;
- 颁发机构代码: the issuing organisation's USCC (18); a 6-digit region code is tolerated (seen in practice);
- 流水号: free alphanumeric, at most 20 characters (year + number here);
- 版本号: 3 digits, 001 on first issue, +1 on every renewal or change;
- 校验位: ISO 7064 MOD 37,36 (hybrid, alphabet 0-9A-Z) over the four parts concatenated without dots.
See domain.md §5 and its appendix; python-stdnum implements the check (stdnum.iso7064.mod_37_36).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.iso7064 import mod_37_36

ROOT = "1.2.156.3005.2"
TYPE_CODE_RE = re.compile(r"^[0-9A-Z]{18}\d{3}$")
ISSUER_RE = re.compile(r"^(?:[0-9A-Z]{18}|\d{6})$")
SERIAL_RE = re.compile(r"^[0-9A-Z]{1,20}$")
VERSION_RE = re.compile(r"^\d{3}$")
MAX_VERSION = 999


class IdentifierError(ValueError):
    """A licence identifier that is not well formed or whose check character is wrong."""


@dataclass(frozen=True)
class LicenceIdentifier:
    type_code: str
    issuer_code: str
    serial: str
    version: int

    @property
    def check(self) -> str:
        return check_character(self.type_code, self.issuer_code, self.serial, self.version)

    def __str__(self) -> str:
        return ".".join(
            [ROOT, self.type_code, self.issuer_code, self.serial, f"{self.version:03d}", self.check]
        )

    def next_version(self) -> LicenceIdentifier:
        if self.version >= MAX_VERSION:
            raise IdentifierError(_("证照版本号已达上限 999，不能再换发新版本。"))
        return LicenceIdentifier(self.type_code, self.issuer_code, self.serial, self.version + 1)


def check_character(type_code: str, issuer_code: str, serial: str, version: int) -> str:
    return str(mod_37_36.calc_check_digit(f"{type_code}{issuer_code}{serial}{version:03d}"))


def build(type_code: str, issuer_code: str, serial: str, version: int = 1) -> LicenceIdentifier:
    """A checked identifier from its parts (upper-cased); raises IdentifierError saying which part is wrong."""
    type_code, issuer_code, serial = type_code.upper(), issuer_code.upper(), serial.upper()
    if not TYPE_CODE_RE.match(type_code):
        raise IdentifierError(
            _("证照类型代码应为定义机构的统一社会信用代码（18位）加3位数字序号，共21位：%(v)s")
            % {"v": type_code}
        )
    if not ISSUER_RE.match(issuer_code):
        raise IdentifierError(_("颁发机构代码应为18位统一社会信用代码：%(v)s") % {"v": issuer_code})
    if not SERIAL_RE.match(serial):
        raise IdentifierError(_("流水号应为1至20位数字或大写字母：%(v)s") % {"v": serial})
    if not 1 <= version <= MAX_VERSION:
        raise IdentifierError(_("版本号应在 001 至 999 之间。"))
    return LicenceIdentifier(type_code, issuer_code, serial, version)


def normalise(text: str) -> str:
    """Trim, drop inner spaces, upper-case: people copy identifiers from PDFs and phones."""
    return re.sub(r"\s+", "", text or "").upper()


def parse(text: str) -> LicenceIdentifier:
    """Parse and check an identifier; the message says what is wrong, for the person who typed it."""
    value = normalise(text)
    if not value:
        raise IdentifierError(_("请输入证照标识。"))
    if not value.startswith(ROOT + "."):
        raise IdentifierError(_("证照标识应以电子证照根代码 1.2.156.3005.2 开头。"))
    parts = value[len(ROOT) + 1 :].split(".")
    if len(parts) != 5:
        raise IdentifierError(
            _("证照标识应由根代码和“类型代码.颁发机构代码.流水号.版本号.校验位”五段组成，以点分隔。")
        )
    type_code, issuer_code, serial, version, check = parts
    if not VERSION_RE.match(version):
        raise IdentifierError(_("版本号应为3位数字，例如 001。"))
    identifier = build(type_code, issuer_code, serial, int(version))
    try:
        mod_37_36.validate(f"{type_code}{issuer_code}{serial}{version}{check}")
    except StdnumError:
        raise IdentifierError(
            _("证照标识的校验位不正确（应为 %(c)s），请核对是否输错或被篡改。") % {"c": identifier.check}
        ) from None
    return identifier


def is_valid(text: str) -> bool:
    try:
        parse(text)
    except IdentifierError:
        return False
    return True
