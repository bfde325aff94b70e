"""Public verification (核验): by identifier, by the QR payload (what an offline verifier checks, here
checked online too), or by an uploaded PDF. Each answer says whether the issuer's signature holds, the
licence's status right now, whether today is within its validity, and only the fields the holder allows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import sm2
from yiwang.core.crypto import sm3_hex

from . import content, identifiers, rendering, selectors
from .models import Licence, LicenceFile, LicenceStatus, SigningKey

PAYLOAD_IN_FILE = re.compile(rb"YWLIC1\.[A-Za-z0-9_-]+")


@dataclass
class Verification:
    identifier: str = ""
    found: bool = False
    signature_ok: bool = False
    status: str = ""
    status_label: str = ""
    status_reason: str = ""
    in_validity: bool = False
    type_name: str = ""
    issuer_name: str = ""
    issuer_code: str = ""
    holder_id_masked: str = ""
    valid_from: str = ""
    valid_until: str = ""
    version: int = 0
    successor: str = ""
    key_fingerprint: str = ""
    key_retired: bool = False
    fields: list[tuple[str, str, Any]] = field(default_factory=list)  # (name, label, value)
    problems: list[str] = field(default_factory=list)
    file_matched: bool | None = None

    @property
    def valid(self) -> bool:
        """Genuine, in force, within validity — and, for a file, byte-identical to the issued one."""
        return (
            self.found
            and self.signature_ok
            and self.status == LicenceStatus.VALID
            and self.in_validity
            and self.file_matched is not False
            and not self.problems
        )

    @property
    def verdict(self) -> str:
        if not self.found:
            return _("未找到该证照")
        if not self.signature_ok or self.file_matched is False or self.problems:
            return _("验证不通过：证照内容与签发机关的签名不符")
        if self.status != LicenceStatus.VALID:
            return _("证照真实，但当前状态为“%(s)s”，不能作为有效证照使用") % {"s": self.status_label}
        if not self.in_validity:
            return _("证照真实，但不在有效期内")
        return _("证照真实有效")

    def as_dict(self) -> dict[str, Any]:
        return {
            "identifier": self.identifier,
            "found": self.found,
            "valid": self.valid,
            "verdict": self.verdict,
            "signature_ok": self.signature_ok,
            "status": self.status,
            "status_label": self.status_label,
            "status_reason": self.status_reason,
            "in_validity": self.in_validity,
            "type_name": self.type_name,
            "issuer_name": self.issuer_name,
            "issuer_code": self.issuer_code,
            "holder_id_masked": self.holder_id_masked,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "version": self.version,
            "successor": self.successor,
            "key_fingerprint": self.key_fingerprint,
            "key_retired": self.key_retired,
            "fields": [{"name": n, "label": label, "value": v} for n, label, v in self.fields],
            "problems": self.problems,
            "file_matched": self.file_matched,
        }


def _labels(licence: Licence) -> dict[str, str]:
    return {content.HOLDER_NAME: _("持证主体名称"), **licence.licence_type.field_labels()}


def _describe(licence: Licence, result: Verification) -> Verification:
    today = timezone.localdate()
    result.found = True
    result.identifier = licence.identifier
    result.signature_ok = selectors.signature_ok(licence)
    result.status = licence.status
    result.status_label = str(LicenceStatus(licence.status).label)
    result.status_reason = licence.status_reason if licence.status != LicenceStatus.VALID else ""
    result.in_validity = licence.valid_from <= today and (
        licence.valid_until is None or licence.valid_until >= today
    )
    result.type_name = licence.licence_type.name
    result.issuer_name = licence.issuer.name
    result.issuer_code = licence.issuer.uscc
    result.holder_id_masked = licence.holder_id_masked
    result.valid_from = licence.valid_from.isoformat()
    result.valid_until = licence.valid_until.isoformat() if licence.valid_until else ""
    result.version = licence.version
    successor = Licence.objects.filter(previous=licence).values_list("identifier", flat=True).first()
    result.successor = successor or ""
    result.key_fingerprint = licence.signing_key.fingerprint
    result.key_retired = licence.signing_key.retired_at is not None
    return result


def _public_fields(licence: Licence) -> list[tuple[str, str, Any]]:
    labels = _labels(licence)
    values = {content.HOLDER_NAME: licence.holder_name, **licence.data}
    return [(n, labels.get(n, n), values[n]) for n in licence.public_fields if n in values]


def by_identifier(text: str) -> Verification:
    """Look the licence up by its identifier; a malformed one is reported with the reason."""
    try:
        parsed = identifiers.parse(text)
    except identifiers.IdentifierError as exc:
        return Verification(identifier=identifiers.normalise(text), problems=[str(exc)])
    licence = selectors.licence_by_identifier(str(parsed))
    if licence is None:
        return Verification(identifier=str(parsed))
    result = _describe(licence, Verification())
    result.fields = _public_fields(licence)
    return result


def by_payload(text: str) -> Verification:
    """Check a QR payload exactly as an offline verifier would (signature with the published key named in
    it, disclosed fields against their commitments), then add the live status from the registry."""
    try:
        signed, signature, disclosed = content.decode_payload(text)
    except content.PayloadError:
        return Verification(problems=[_("二维码内容无法识别，不是本平台签发的电子证照。")])
    identifier = str(signed.get("id", ""))
    key = (
        SigningKey.objects.select_related("organisation")
        .filter(fingerprint=str(signed.get("key", "")))
        .first()
    )
    licence = selectors.licence_by_identifier(identifier)
    result = _describe(licence, Verification()) if licence else Verification(identifier=identifier)
    if key is None:
        result.signature_ok = False
        result.problems.append(_("二维码所称的签名密钥未公布，无法验证签名。"))
        return result
    checked = content.check(key.public_hex, signed, signature, disclosed)
    if not checked.signature_ok:
        result.signature_ok = False
        result.problems.append(_("二维码中的证照内容与签发机关的签名不符（可能被篡改）。"))
    if checked.bad_fields:
        result.problems.append(_("以下公开信息与签名不符：%(f)s") % {"f": "、".join(checked.bad_fields)})
    if licence is not None and licence.signed_content != content.canonical_json(signed):
        result.problems.append(_("二维码中的证照内容与登记的证照不一致。"))
    labels = _labels(licence) if licence else {}
    result.fields = [(n, labels.get(n, n), v) for n, v in checked.disclosed.items()]
    if licence is None:  # offline-style answer only: signature known, status unknown here
        result.type_name = str(signed.get("type", {}).get("name", ""))
        result.issuer_name = key.organisation.name
        result.problems.append(_("证照未在本平台登记，无法确认当前状态。"))
    return result


def by_file(data: bytes) -> Verification:
    """An uploaded PDF: byte-identical to a file the issuer signed, or else reported as altered."""
    digest = sm3_hex(data)
    registered = LicenceFile.objects.select_related("licence", "signing_key").filter(sm3=digest).first()
    if registered is not None:
        licence = selectors.licence_by_identifier(registered.licence.identifier)
        assert licence is not None
        result = _describe(licence, Verification())
        result.fields = _public_fields(licence)
        result.file_matched = sm2.verify(
            registered.signing_key.public_hex,
            rendering.file_message(licence.identifier, digest),
            registered.signature,
        )
        if not result.file_matched:
            result.problems.append(_("文件签名验证不通过。"))
        return result
    match = PAYLOAD_IN_FILE.search(data)
    result = by_payload(match.group(0).decode("ascii")) if match else Verification()
    result.file_matched = False
    result.problems.append(
        _("文件与签发机关出具的任何文件都不一致：内容可能被改动，请以证照标识或二维码核验。")
        if match
        else _("文件中没有电子证照信息，不是本平台出具的电子证照文件。")
    )
    return result
