"""Notices and decisions as PDF (受理通知书, 不予受理通知书, 一次性告知书/补正通知书, 决定书).

reportlab's built-in CID font STSong-Light (Adobe-GB1) renders Chinese without any font file. Each
document is stored through Django storage with its SM3 digest and linked to the event that issued it.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from yiwang.core.crypto import sm3_hex

from .models import Case, CaseDocument, CaseEvent

FONT = "STSong-Light"
_font_registered = False


def _font() -> str:
    global _font_registered
    if not _font_registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _font_registered = True
    return FONT


@dataclass(frozen=True)
class Notice:
    title: str
    lines: Sequence[str]
    issuer: str


def render_pdf(notice: Notice) -> bytes:
    """One A4 page (more when long): title, body lines wrapped at 36 characters, issuer and date."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=0)
    pdf.setTitle(notice.title)
    pdf.setAuthor(notice.issuer)
    font = _font()
    width, height = A4
    y = height - 30 * mm

    def newline(step: float) -> None:
        nonlocal y
        y -= step
        if y < 25 * mm:
            pdf.showPage()
            y = height - 25 * mm

    pdf.setFont(font, 20)
    pdf.drawCentredString(width / 2, y, notice.title)
    newline(16 * mm)
    pdf.setFont(font, 12)
    for line in notice.lines:
        for part in textwrap.wrap(line, 36) or [""]:
            pdf.setFont(font, 12)
            pdf.drawString(25 * mm, y, part)
            newline(8 * mm)
    newline(10 * mm)
    pdf.setFont(font, 12)
    pdf.drawRightString(width - 25 * mm, y, notice.issuer)
    newline(8 * mm)
    pdf.drawRightString(width - 25 * mm, y, timezone.localdate().strftime("%Y年%m月%d日"))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _applicant(case: Case) -> str:
    name = case.form_data.get("applicant_name") or str(case.applicant)
    if case.enterprise_id:
        name = case.enterprise.name if case.enterprise else name
    return str(name)


def _header(case: Case) -> list[str]:
    return [
        f"{_applicant(case)}：",
        f"办件编号：{case.number}",
        f"申请事项：{case.guide.name}",
    ]


def acceptance_notice(case: Case) -> Notice:
    lines = [
        *_header(case),
        f"你（单位）于{case.submitted_on:%Y年%m月%d日}提出的申请，申请材料齐全、符合法定形式，"
        f"根据《中华人民共和国行政许可法》第三十二条的规定，决定予以受理。",
    ]
    if case.deemed_accepted:
        lines.append("本机关未在法定期限内告知补正，依法自收到申请材料之日起视为受理。")
    if case.decision_due:
        lines.append(f"本机关将在{case.decision_due:%Y年%m月%d日}前作出决定（期限按工作日计算）。")
    deferred = [m.name for m in case.materials.all() if m.status == "deferred"]
    if deferred:
        lines.append("容缺受理，须按承诺期限补交：" + "、".join(deferred) + "。补交前不发放办理结果。")
    return Notice("受理通知书", lines, case.organisation.name)


def non_acceptance_notice(case: Case) -> Notice:
    lines = [
        *_header(case),
        f"你（单位）提出的申请，经审查决定不予受理。理由：{case.not_accepted_reason}",
    ]
    if case.competent_body:
        lines.append(f"请向有权机关申请：{case.competent_body}。")
    lines.append("如不服本决定，可依法申请行政复议或者提起行政诉讼。")
    return Notice("不予受理通知书", lines, case.organisation.name)


def supplement_notice(case: Case, items: Sequence[dict[str, str]], deadline: object) -> Notice:
    lines = [*_header(case), "经审查，你（单位）的申请材料需补正以下全部内容（一次性告知）："]
    lines += [f"{i}. {item['material']}：{item['problem']}" for i, item in enumerate(items, start=1)]
    lines.append(f"请于{deadline:%Y年%m月%d日}前一次补正全部内容。逾期未补正的，视为放弃申请。")
    return Notice("一次性告知书（补正材料通知书）", lines, case.organisation.name)


def decision_notice(case: Case) -> Notice:
    approved = case.status == "approved"
    lines = [*_header(case)]
    if approved:
        lines.append("经审查，你（单位）的申请符合法定条件、标准，决定准予。")
        if case.guide.result_name:
            lines.append(f"办理结果：{case.guide.result_name}。")
    else:
        lines.append("经审查，你（单位）的申请不符合法定条件、标准，决定不予准予。")
        lines.append("如不服本决定，可依法申请行政复议或者提起行政诉讼。")
    if case.decision_reason:
        lines.append(f"理由：{case.decision_reason}")
    if case.auto_decided:
        lines.append("本决定由系统按已公布的秒批规则自动作出。")
    title = "准予行政许可决定书" if approved else "不予行政许可决定书"
    return Notice(title, lines, case.organisation.name)


def issue(case: Case, event: CaseEvent, kind: str, notice: Notice) -> CaseDocument:
    """Render, store and link one document to the event that issued it."""
    data = render_pdf(notice)
    document = CaseDocument(case=case, event=event, kind=kind, title=notice.title, sm3=sm3_hex(data))
    document.file.save(f"{case.number or case.pk}-{kind}-{event.pk}.pdf", ContentFile(data), save=False)
    document.save()
    return document
