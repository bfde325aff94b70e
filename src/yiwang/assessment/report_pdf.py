"""The PDF report (reportlab): summary, ranking, grades, indicator means, then per region a vector radar
of the five dimensions (region against the round's average and best) and the leaf drill-down with weight,
score and an evidence summary — the same content as the HTML report pages and the XLSX export.

Chinese text uses reportlab's built-in CID font STSong-Light (as cases/documents.py), so no font file is
shipped; the radar is drawn with reportlab.graphics shapes (PDF path operators), not as an image.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from yiwang.assessment.exports import evidence_summary
from yiwang.assessment.models import LeafResult, SubjectResult
from yiwang.assessment.selectors import Report

FONT = "STSong-Light"
SOURCE_LABELS = {"platform": "平台数据", "crawl": "门户抓取", "questionnaire": "问卷", "import": "导入得分"}
REGION_COLOUR = colors.Color(0, 82 / 255, 155 / 255)  # #00529b, as the HTML radar
AVERAGE_COLOUR = colors.Color(0.45, 0.48, 0.52)
BEST_COLOUR = colors.Color(0.85, 0.45, 0.05)
GRID_COLOUR = colors.Color(0.79, 0.81, 0.84)


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float]
    colour: colors.Color
    fill: bool = False
    dash: tuple[float, ...] | None = None


def radar_drawing(names: Sequence[str], series: Sequence[Series], *, size: float = 62 * mm) -> Drawing:
    """A radar of 0–100 values on len(names) axes, as vector shapes, with a legend under it; each axis
    label carries the first series' value, as the HTML radar does."""
    n = len(names)
    legend_height = 14
    drawing = Drawing(size * 2.2, size + legend_height)
    centre_x, centre_y = size * 1.1, legend_height + size / 2
    radius = size / 2 - 14

    def point(index: int, value: float) -> tuple[float, float]:
        angle = math.pi / 2 - 2 * math.pi * index / n  # first axis straight up, clockwise
        r = radius * max(0.0, min(value, 100.0)) / 100
        return centre_x + r * math.cos(angle), centre_y + r * math.sin(angle)

    def flat(values: Sequence[float]) -> list[float]:
        return [c for i, v in enumerate(values) for c in point(i, v)]

    for level in (25, 50, 75, 100):
        drawing.add(Polygon(flat([level] * n), fillColor=None, strokeColor=GRID_COLOUR, strokeWidth=0.5))
    for i, name in enumerate(names):
        x, y = point(i, 100)
        drawing.add(Line(centre_x, centre_y, x, y, strokeColor=GRID_COLOUR, strokeWidth=0.5))
        lx, ly = point(i, 116)
        anchor = "middle" if abs(lx - centre_x) < 3 else ("start" if lx > centre_x else "end")
        label = f"{name} {series[0].values[i]:.1f}" if series else name
        drawing.add(String(lx, ly - 3, label, fontName=FONT, fontSize=8, textAnchor=anchor))
    for s in series:
        drawing.add(
            Polygon(
                flat(s.values),
                fillColor=colors.Color(s.colour.red, s.colour.green, s.colour.blue, alpha=0.25)
                if s.fill
                else None,
                strokeColor=s.colour,
                strokeWidth=1.6 if s.fill else 1.0,
                strokeDashArray=list(s.dash) if s.dash else None,
            )
        )
    widths = [18 + pdfmetrics.stringWidth(s.label, FONT, 7.5) for s in series]
    x = centre_x - sum(widths) / 2
    for s, width in zip(series, widths, strict=True):
        drawing.add(Rect(x, 3, 10, 6, fillColor=s.colour, strokeColor=s.colour))
        drawing.add(String(x + 13, 3, s.label, fontName=FONT, fontSize=7.5))
        x += width
    return drawing


def region_radar(report: Report, result: SubjectResult) -> Drawing:
    return radar_drawing(
        [d.name for d in report.dimensions],
        [
            Series(result.name, [v for _, v in report.radar_values(result)], REGION_COLOUR, fill=True),
            Series("本轮平均", report.dimension_means(), AVERAGE_COLOUR, dash=(3, 2)),
            Series("本轮最高", report.dimension_best(), BEST_COLOUR, dash=(1, 1.5)),
        ],
    )


def _fmt(value: Any, places: int = 2) -> str:
    return "—" if value is None else f"{Decimal(value):.{places}f}"


class _Styles:
    def __init__(self) -> None:
        if FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        self.body = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=16, wordWrap="CJK")
        self.heading = ParagraphStyle("heading", parent=self.body, fontSize=16, leading=22, spaceAfter=6)
        self.sub = ParagraphStyle(
            "sub", parent=self.body, fontSize=12.5, leading=18, spaceBefore=8, spaceAfter=4
        )
        self.region = ParagraphStyle("region", parent=self.sub, fontSize=14, leading=20, spaceBefore=0)
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=7.5, leading=9.5)
        self.table = TableStyle([
            ("FONT", (0, 0), (-1, -1), FONT, 9),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.93, 0.97)),
        ])  # fmt: skip
        self.leaves = TableStyle([
            ("FONT", (0, 0), (-1, -1), FONT, 7.5),
            ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.93, 0.97)),
            ("ALIGN", (2, 1), (2, -1), "RIGHT"),
            ("ALIGN", (4, 1), (5, -1), "RIGHT"),
        ])  # fmt: skip


def _summary(report: Report, st: _Styles) -> list[Any]:
    story: list[Any] = [Paragraph(escape(f"{report.round.name} 网上政务服务能力评估报告"), st.heading)]
    if report.round.is_sample:
        story.append(Paragraph("【示例数据】本报告数据仅供演示，不是官方评估结果。", st.body))
    story.append(
        Paragraph(
            escape(
                f"指标体系：{report.tree.name} v{report.tree.version}；运行 #{report.run.number}；"
                f"输入摘要 {report.run.inputs_digest[:16]}…"
            ),
            st.body,
        )
    )
    story.append(Paragraph("总体情况", st.sub))
    story.extend(Paragraph(escape(p), st.body) for p in report.narrative)
    story.append(Paragraph("排名", st.sub))
    rows = [["排名", "代码", "名称", "指数", "等级", *[d.id for d in report.dimensions]]]
    for r in report.results:
        rows.append(
            [str(r.rank), r.region_code, r.name, str(r.total), r.grade]
            + [_fmt(r.nodes.get(d.id)) for d in report.dimensions]
        )
    story.append(Table(rows, repeatRows=1, style=st.table))
    story.append(Paragraph("等级分布", st.sub))
    grade_rows = [["等级", "数量", "占比(%)"]] + [
        [name, str(e["count"]), str(e["share"])] for name, e in report.stats["grades"].items()
    ]
    story.append(Table(grade_rows, style=st.table))
    story.append(Paragraph("各级指标平均得分", st.sub))
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
    story.append(Table(ind_rows, repeatRows=1, style=st.table))
    return story


def _region(report: Report, result: SubjectResult, leaves: dict[str, LeafResult], st: _Styles) -> list[Any]:
    """One region: its facts, its radar, and every leaf grouped by second-level indicator."""
    head = Paragraph(
        escape(
            f"{result.name}（{result.region_code}）　指数 {result.total}　等级 {result.grade}　"
            f"排名 {result.rank}　测得权重占比 {result.coverage}%"
        ),
        st.region,
    )
    story: list[Any] = [
        KeepTogether([head, Paragraph("五个一级指标雷达图", st.cell), region_radar(report, result)])
    ]
    widths = [13 * mm, 44 * mm, 11 * mm, 15 * mm, 18 * mm, 13 * mm, 60 * mm]
    for dim in report.dimensions:
        story.append(
            Paragraph(
                escape(f"{dim.id} {dim.name}（权重 {dim.weight}）：{_fmt(result.nodes.get(dim.id))}"), st.sub
            )
        )
        rows: list[list[Any]] = [["指标", "名称", "权重", "来源", "原始值", "得分", "证据摘要"]]
        for second in dim.children:
            if not second.is_leaf:  # a leaf straight under the dimension has no subtotal row
                score = _fmt(result.nodes.get(second.id))
                rows.append([second.id, f"{second.name}（小计）", str(second.weight), "", "", score, ""])
            for node in second.leaves():
                leaf = leaves.get(node.id)
                rows.append(
                    [
                        node.id,
                        Paragraph(escape(node.name), st.cell),
                        str(node.weight),
                        SOURCE_LABELS.get(leaf.source, leaf.source) if leaf else "",
                        Paragraph(escape(leaf.raw or "—"), st.cell) if leaf else "—",
                        _fmt(leaf.score) if leaf and leaf.score is not None else "未测",
                        Paragraph(escape(_leaf_summary(leaf)), st.cell),
                    ]
                )
        subtotal_rows = [i for i, row in enumerate(rows) if str(row[1]).endswith("（小计）")]
        style = TableStyle(
            list(st.leaves.getCommands())
            + [("BACKGROUND", (0, i), (-1, i), colors.Color(0.96, 0.96, 0.96)) for i in subtotal_rows]
        )
        story.append(Table(rows, colWidths=widths, repeatRows=1, style=style))
    return story


def _leaf_summary(leaf: LeafResult | None) -> str:
    if leaf is None:
        return "本次运行没有该指标的结果"
    text = evidence_summary(leaf.evidence)
    if leaf.reason:
        text = f"未测原因：{leaf.reason}" + (f"；{text}" if text else "")
    return text or "没有记录证据"


def build(report: Report) -> bytes:
    st = _Styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        title=f"{report.round.name} 评估报告",
        author="一网 能力评估",
    )
    story = _summary(report, st)
    story.append(Spacer(1, 6 * mm))
    by_result: dict[int, dict[str, LeafResult]] = {r.pk: {} for r in report.results}
    for leaf in LeafResult.objects.filter(result__run=report.run).order_by("result_id", "indicator"):
        by_result.setdefault(leaf.result_id, {})[leaf.indicator] = leaf
    story.append(PageBreak())
    story.append(Paragraph("各地区得分与末级指标明细", st.heading))
    for result in report.results:
        story.append(CondPageBreak(90 * mm))
        story.extend(_region(report, result, by_result.get(result.pk, {}), st))
        story.append(Spacer(1, 8 * mm))
    doc.build(story)
    return out.getvalue()
