"""Upload checks by content: the bytes decide the type, and the declared type and extension must agree.

Accepted: PDF (starts with %PDF-), JPEG (FF D8 FF), PNG (89 50 4E 47 0D 0A 1A 0A), OFD (GB/T 33190: a ZIP
package with OFD.xml at its root). Size limit: YIWANG_CASE_UPLOAD_MAX_BYTES (default 10 MB).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.utils.translation import gettext as _

from yiwang.core.crypto import sm3_hex

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
OFD = "application/ofd"

LABELS = {PDF: "PDF", JPEG: "JPEG 图片", PNG: "PNG 图片", OFD: "OFD 版式文件"}
EXTENSIONS = {PDF: {".pdf"}, JPEG: {".jpg", ".jpeg"}, PNG: {".png"}, OFD: {".ofd"}}
# Declared types browsers and clients send for the same formats.
DECLARED_ALIASES = {
    "image/jpg": JPEG,
    "image/pjpeg": JPEG,
    "application/x-pdf": PDF,
    "application/octet-stream": "",
}


class UploadRejected(ValueError):
    """The file cannot be accepted; the message says why and what to do."""


@dataclass(frozen=True)
class InspectedFile:
    content_type: str
    size: int
    sm3: str


def max_bytes() -> int:
    return int(getattr(settings, "YIWANG_CASE_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def _is_ofd(data: bytes) -> bool:
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return "OFD.xml" in package.namelist()
    except zipfile.BadZipFile:
        return False


def detect_type(data: bytes) -> str | None:
    """The content type the bytes really are, or None when it is none of the accepted formats."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if _is_ofd(data):
        return OFD
    return None


def inspect_upload(name: str, declared_type: str, data: bytes) -> InspectedFile:
    """Check one upload; raise UploadRejected with a Chinese message, or return its type, size and SM3."""
    limit = max_bytes()
    if len(data) > limit:
        raise UploadRejected(
            _("文件“%(name)s”大小为 %(size).1f MB，超过 %(limit).0f MB 的上限，请压缩或分成几份后再上传。")
            % {"name": name, "size": len(data) / 1048576, "limit": limit / 1048576}
        )
    if not data:
        raise UploadRejected(_("文件“%(name)s”是空文件，请重新选择。") % {"name": name})
    detected = detect_type(data)
    if detected is None:
        raise UploadRejected(
            _(
                "文件“%(name)s”不是可接受的格式。请上传 PDF、JPEG、PNG 或 OFD 文件（按文件内容判断，不看扩展名）。"
            )
            % {"name": name}
        )
    declared = (declared_type or "").split(";")[0].strip().lower()
    declared = DECLARED_ALIASES.get(declared, declared)
    if declared and declared != detected:
        raise UploadRejected(
            _(
                "文件“%(name)s”声明为 %(declared)s，但内容实际是 %(actual)s，两者不符。请上传真实的文件，不要修改扩展名。"
            )
            % {"name": name, "declared": LABELS.get(declared, declared), "actual": LABELS[detected]}
        )
    extension = PurePath(name).suffix.lower()
    if extension and extension not in EXTENSIONS[detected]:
        raise UploadRejected(
            _("文件“%(name)s”的扩展名 %(ext)s 与内容（%(actual)s）不符。请上传真实的文件，不要修改扩展名。")
            % {"name": name, "ext": extension, "actual": LABELS[detected]}
        )
    return InspectedFile(content_type=detected, size=len(data), sm3=sm3_hex(data))
