"""Report exports: XLSX (openpyxl) and PDF (reportlab, built-in CID font STSong-Light as cases/documents.py),
and the radar chart of the five dimensions as inline SVG (no JavaScript, no chart library).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

from yiwang.assessment.selectors import Report


def radar_svg(values: Sequence[tuple[str, float]], *, size: int = 240, title: str = "") -> str:
    """A radar (spider) chart of 0–100 values as an accessible SVG string."""
    n = len(values)
    if n < 3:
        return ""
    centre = size / 2
    radius = size / 2 - 46

    def point(index: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * index / n
        r = radius * max(0.0, min(value, 100.0)) / 100
        return centre + r * math.cos(angle), centre + r * math.sin(angle)

    rings = []
    for level in (25, 50, 75, 100):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, level) for i in range(n)))
        rings.append(f'<polygon points="{pts}" fill="none" stroke="#c9ced6" stroke-width="1"/>')
    axes, labels = [], []
    for i, (name, value) in enumerate(values):
        x, y = point(i, 100)
        axes.append(f'<line x1="{centre}" y1="{centre}" x2="{x:.1f}" y2="{y:.1f}" stroke="#c9ced6"/>')
        lx, ly = point(i, 128)
        anchor = "middle" if abs(lx - centre) < 5 else ("start" if lx > centre else "end")
        labels.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="11" text-anchor="{anchor}" fill="#1f2933">'
            f"{escape(name)} {value:.1f}</text>"
        )
    shape = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, v) for i, (_, v) in enumerate(values)))
    desc = "；".join(f"{name} {value:.2f}" for name, value in values)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size}" height="{size}" '
        f'role="img" aria-label="{escape(title or "五个一级指标得分雷达图")}：{escape(desc)}">'
        + "".join(rings)
        + "".join(axes)
        + f'<polygon points="{shape}" fill="rgba(0,82,155,0.25)" stroke="#00529b" stroke-width="2"/>'
        + "".join(labels)
        + "</svg>"
    )


def xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "排名"
    bold = Font(bold=True)
    dims = report.dimensions
    header = [
        "排名",
        "行政区划代码",
        "名称",
        "指数",
        "等级",
        "测得权重占比(%)",
        *[f"{d.id} {d.name}" for d in dims],
    ]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = bold
    for r in report.results:
        sheet.append(
            [
                r.rank,
                r.region_code,
                r.name,
                float(r.total),
                r.grade,
                float(r.coverage),
                *[float(r.nodes[d.id]) if r.nodes.get(d.id) is not None else None for d in dims],
            ]
        )
    stats = report.stats
    summary = book.create_sheet("统计")
    summary.append(["平均指数", float(stats["mean"])])
    summary.append(["超过平均值的数量", stats["above_mean"]["count"]])
    summary.append(["超过平均值的占比(%)", float(stats["above_mean"]["share"])])
    summary.append([])
    summary.append(["等级", "数量", "占比(%)"])
    for name, entry in stats["grades"].items():
        summary.append([name, entry["count"], float(entry["share"])])
    summary.append([])
    summary.append(["说明"])
    for paragraph in report.narrative:
        summary.append([paragraph])
    indicators = book.create_sheet("指标平均")
    indicators.append(
        [
            "指标",
            "名称",
            "层级",
            "权重",
            "平均得分",
            "超过平均数",
            "超过平均占比(%)",
            *[f"{g}数量" for g in stats["grades"]],
        ]
    )
    for entry in stats["indicators"].values():
        indicators.append(
            [
                entry["id"],
                entry["name"],
                entry["depth"],
                float(entry["weight"]),
                float(entry["mean"]),
                entry["above_mean"]["count"],
                float(entry["above_mean"]["share"]),
                *[g["count"] for g in entry["grades"].values()],
            ]
        )
    leaves = book.create_sheet("末级指标")
    leaves.append(["行政区划代码", "名称", "指标", "指标名称", "来源", "原始值", "得分", "未测原因"])
    from yiwang.assessment.models import LeafResult

    names = {node.id: node.name for node in report.tree.leaves()}
    for leaf in (
        LeafResult.objects.filter(result__run=report.run)
        .select_related("result")
        .order_by("result__rank", "result__region_code", "indicator")
    ):
        leaves.append(
            [
                leaf.result.region_code,
                leaf.result.name,
                leaf.indicator,
                names.get(leaf.indicator, ""),
                leaf.source,
                leaf.raw,
                float(leaf.score) if leaf.score is not None else None,
                leaf.reason,
            ]
        )
    meta = book.create_sheet("说明")
    meta.append(["轮次", report.round.name])
    meta.append(["运行", report.run.number])
    meta.append(["指标体系", f"{report.tree.name} v{report.tree.version}"])
    meta.append(["指标体系摘要(SHA-256)", report.tree.digest])
    meta.append(["输入摘要(SHA-256)", report.run.inputs_digest])
    meta.append(["结果摘要(SHA-256)", report.run.results_digest])
    if report.round.is_sample:
        meta.append(["注意", "示例数据，仅供演示，不是官方评估结果"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pdf(report: Report) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    heading = ParagraphStyle("heading", parent=body, fontSize=16, leading=22, spaceAfter=6)
    sub = ParagraphStyle("sub", parent=body, fontSize=12.5, leading=18, spaceBefore=8, spaceAfter=4)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        title=f"{report.round.name} 评估报告",
        author="一网 能力评估",
    )
    story: list[object] = [Paragraph(escape(f"{report.round.name} 网上政务服务能力评估报告"), heading)]
    if report.round.is_sample:
        story.append(Paragraph("【示例数据】本报告数据仅供演示，不是官方评估结果。", body))
    story.append(
        Paragraph(
            escape(
                f"指标体系：{report.tree.name} v{report.tree.version}；运行 #{report.run.number}；输入摘要 {report.run.inputs_digest[:16]}…"
            ),
            body,
        )
    )
    story.append(Paragraph("总体情况", sub))
    story.extend(Paragraph(escape(p), body) for p in report.narrative)
    style = TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 9),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.93, 0.97)),
    ])  # fmt: skip
    story.append(Paragraph("排名", sub))
    rows = [["排名", "代码", "名称", "指数", "等级", *[d.id for d in report.dimensions]]]
    for r in report.results:
        rows.append(
            [
                str(r.rank),
                r.region_code,
                r.name,
                str(r.total),
                r.grade,
                *[
                    f"{float(r.nodes[d.id]):.2f}" if r.nodes.get(d.id) is not None else "—"
                    for d in report.dimensions
                ],
            ]
        )
    story.append(Table(rows, repeatRows=1, style=style))
    story.append(Paragraph("等级分布", sub))
    grade_rows = [["等级", "数量", "占比(%)"]] + [
        [name, str(e["count"]), str(e["share"])] for name, e in report.stats["grades"].items()
    ]
    story.append(Table(grade_rows, style=style))
    story.append(Paragraph("各级指标平均得分", sub))
    ind_rows = [["指标", "名称", "平均得分", "超过平均"]]
    for entry in report.stats["indicators"].values():
        ind_rows.append(
            [
                entry["id"],
                entry["name"],
                str(entry["mean"]),
                f"{entry['above_mean']['count']}（{entry['above_mean']['share']}%）",
            ]
        )
    story.append(Table(ind_rows, repeatRows=1, style=style))
    story.append(Spacer(1, 6 * mm))
    doc.build(story)
    return out.getvalue()
