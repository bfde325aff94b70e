"""The licence as a PDF: title, holder, data fields, validity, issuer, identifier, a seal area and a QR code.

Chinese text uses reportlab's built-in CID font STSong-Light (as cases.documents does), so no font file is
needed and text extracts as Chinese. The QR code is drawn as vector squares from segno's matrix (crisp
at any zoom, no image library). Rendering is deterministic (reportlab's invariant mode, no print time), so
one licence with one disclosure choice always gives the same bytes; each distinct file's SM3 digest is
signed by the issuer and registered (LicenceFile), so an uploaded copy is recognised byte for byte and
any edit is detected. The PDF's Keywords carry the QR payload, so even an edited copy says which licence
it claims to be.
"""

from __future__ import annotations

import io
import math
import os
import textwrap
from typing import Any

import segno
from django.db import IntegrityError, transaction
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from yiwang.core import sm2
from yiwang.core.crypto import sm3_hex

from . import content, keys, selectors
from .models import Licence, LicenceFile, LicenceTemplate

FONT = "STSong-Light"
SEAL_RED = colors.Color(0.78, 0.08, 0.08)
_font_ready = False


def _font() -> str:
    global _font_ready
    if not _font_ready:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _font_ready = True
    return FONT


def public_base_url() -> str:
    """Where verification pages are reachable from a phone: YIWANG_PUBLIC_URL, else localhost."""
    return os.environ.get("YIWANG_PUBLIC_URL", "http://localhost:8000").rstrip("/")


def disclosures(licence: Licence) -> dict[str, list[Any]]:
    """The fields the holder lets anyone see, each with its salt, for the QR payload."""
    values = selectors.full_field_values(licence)
    return {
        name: [content.field_salt(licence.salt, name), values[name]]
        for name in licence.public_fields
        if name in values and name != content.HOLDER_ID
    }


def qr_payload(licence: Licence) -> str:
    signed = selectors.json_loads(licence.signed_content)
    return content.encode_payload(signed, licence.signature, disclosures(licence))


def verification_url(licence: Licence, base_url: str | None = None) -> str:
    return f"{base_url or public_base_url()}/licences/verify/?q={qr_payload(licence)}"


def _draw_qr(pdf: canvas.Canvas, data: str, x: float, y: float, size: float) -> None:
    qr = segno.make(data, error="m")
    matrix = qr.matrix
    count = len(matrix) + 8  # quiet zone of 4 modules each side
    module = size / count
    pdf.setFillColor(colors.white)
    pdf.rect(x, y, size, size, stroke=0, fill=1)
    pdf.setFillColor(colors.black)
    for row, line in enumerate(matrix):
        for col, dark in enumerate(line):
            if dark:
                pdf.rect(
                    x + (col + 4) * module, y + size - (row + 5) * module, module, module, stroke=0, fill=1
                )


def _draw_seal(pdf: canvas.Canvas, licence: Licence, cx: float, cy: float, radius: float) -> None:
    """The seal area: the issuer's name and the signing key's fingerprint in a red ring with a star."""
    font = _font()
    pdf.saveState()
    pdf.setStrokeColor(SEAL_RED)
    pdf.setFillColor(SEAL_RED)
    pdf.setLineWidth(2)
    pdf.circle(cx, cy, radius, stroke=1, fill=0)
    star = pdf.beginPath()
    for i in range(10):
        r = radius * (0.28 if i % 2 == 0 else 0.11)
        angle = math.pi / 2 + i * math.pi / 5
        point = (cx + r * math.cos(angle), cy + radius * 0.15 + r * math.sin(angle))
        if i == 0:
            star.moveTo(*point)
        else:
            star.lineTo(*point)
    star.close()
    pdf.drawPath(star, stroke=0, fill=1)
    name = licence.issuer.name
    size = min(9.0, (radius * 1.7) / max(len(name), 1) / 0.98)
    pdf.setFont(font, size)
    pdf.drawCentredString(cx, cy - radius * 0.42, name)
    pdf.setFont(font, 7)
    pdf.drawCentredString(cx, cy - radius * 0.68, f"电子印章 {licence.signing_key.fingerprint}")
    pdf.restoreState()


def render_pdf(licence: Licence, base_url: str | None = None) -> bytes:
    font = _font()
    licence_type = licence.licence_type
    pagesize = landscape(A4) if licence_type.template == LicenceTemplate.CERTIFICATE else A4
    width, height = pagesize
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=pagesize, pageCompression=1, invariant=1)
    pdf.setTitle(f"{licence_type.name} {licence.identifier}")
    pdf.setAuthor(licence.issuer.name)
    pdf.setSubject(licence.identifier)
    pdf.setCreator("一网 电子证照")
    payload = qr_payload(licence)
    pdf.setKeywords(payload)

    # Border
    pdf.setStrokeColor(colors.Color(0.55, 0.1, 0.1))
    pdf.setLineWidth(3)
    pdf.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm)
    pdf.setLineWidth(0.8)
    pdf.rect(13 * mm, 13 * mm, width - 26 * mm, height - 26 * mm)

    y = height - 32 * mm
    pdf.setFillColor(colors.black)
    pdf.setFont(font, 26)
    pdf.drawCentredString(width / 2, y, licence_type.name)
    y -= 9 * mm
    pdf.setFont(font, 11)
    pdf.drawCentredString(width / 2, y, "（电子证照）")
    y -= 14 * mm

    labels = licence_type.field_labels()
    rows: list[tuple[str, str]] = [
        ("持证主体", licence.holder_name),
        ("证件号码", licence.holder_id_masked),
        *[(labels.get(name, name), str(value)) for name, value in licence.data.items()],
        (
            "有效期限",
            f"{licence.valid_from:%Y年%m月%d日} 至 "
            + (f"{licence.valid_until:%Y年%m月%d日}" if licence.valid_until else "长期"),
        ),
        ("颁发机构", licence.issuer.name),
        ("签发日期", f"{timezone.localtime(licence.issued_at):%Y年%m月%d日}"),
        (
            "版本",
            f"第 {licence.version:03d} 版"
            + (f"（上一版本 {licence.previous.identifier}）" if licence.previous else ""),
        ),
    ]
    left = 28 * mm
    qr_size = 52 * mm
    text_width_chars = int((width - left - 26 * mm - 30 * mm) / 12)  # 12 pt CJK glyphs are 12 pt wide
    for label, value in rows:
        pdf.setFont(font, 12)
        pdf.drawString(left, y, f"{label}：")
        lines = textwrap.wrap(value, text_width_chars) or [""]
        for line in lines:
            pdf.drawString(left + 26 * mm, y, line)
            y -= 7.5 * mm
        y -= 1.5 * mm

    # Identifier (Latin font: monospace digits read better) and the QR code with its caption.
    pdf.setFont(font, 9)
    pdf.drawString(left, 22 * mm, "证照标识：")
    pdf.setFont("Courier", 9)
    pdf.drawString(left + 17 * mm, 22 * mm, licence.identifier)
    qr_x, qr_y = width - 24 * mm - qr_size, 30 * mm
    _draw_qr(pdf, f"{base_url or public_base_url()}/licences/verify/?q={payload}", qr_x, qr_y, qr_size)
    pdf.setFont(font, 8)
    pdf.drawCentredString(qr_x + qr_size / 2, qr_y - 4 * mm, "扫码核验真伪、状态与有效期")
    _draw_seal(pdf, licence, qr_x - 30 * mm, qr_y + 22 * mm, 21 * mm)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def file_message(identifier: str, digest: str) -> bytes:
    return f"yiwang-licence-file:{identifier}:{digest}".encode()


def register_file(licence: Licence, data: bytes) -> LicenceFile:
    """Sign the file's SM3 digest with the issuer's active key and remember it (idempotent)."""
    digest = sm3_hex(data)
    existing = LicenceFile.objects.filter(sm3=digest).first()
    if existing is not None:
        return existing
    key = keys.ensure_key(licence.issuer)
    signature = sm2.sign(
        keys.private_key_of(key), file_message(licence.identifier, digest), public_hex=key.public_hex
    )
    try:
        with transaction.atomic():
            return LicenceFile.objects.create(
                licence=licence, sm3=digest, signature=signature, signing_key=key
            )
    except IntegrityError:
        return LicenceFile.objects.get(sm3=digest)


def pdf_for_download(licence: Licence, base_url: str | None = None) -> bytes:
    data = render_pdf(licence, base_url)
    register_file(licence, data)
    return data
