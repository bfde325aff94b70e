"""Report exports: XLSX (openpyxl) and PDF (report_pdf.py), the radar chart of the five dimensions as
inline SVG (no JavaScript, no chart library), and the one-line evidence summary both exports print.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import gettext_lazy

from yiwang.assessment.selectors import Report

SUMMARY_SAMPLES = 3


def evidence_summary(evidence: dict[str, Any], *, limit: int = 220) -> str:
    """A leaf's evidence in one line: the rule, the counts, then the first failing items or samples."""
    from yiwang.assessment.templatetags.assessment import EVIDENCE_LABELS, evidence_value

    parts: list[str] = []
    rest = dict(evidence or {})
    if rest.get("rule"):
        parts.append(f"规则：{rest.pop('rule')}")
    passed, failed_count, total = (
        rest.pop("passed", None),
        rest.pop("failed_count", None),
        rest.pop("total", None),
    )
    if passed is not None and total is not None:
        parts.append(f"通过 {passed}/{total}")
    elif failed_count is not None and total is not None:
        parts.append(f"未通过 {failed_count}/{total}")
    elif total is not None:
        parts.append(f"总数 {total}")
    failed = rest.pop("failed", None) or []
    samples = rest.pop("samples", None) or []
    for key, value in rest.items():
        if isinstance(value, (dict, list)) or value in (None, ""):
            continue
        parts.append(f"{EVIDENCE_LABELS.get(key, key)}：{evidence_value(value)}")
    if failed:
        shown = [
            str(f.get("code") or f.get("url") or "")
            + (f"（{f.get('name') or f.get('problem')}）" if f.get("name") or f.get("problem") else "")
            for f in failed[:SUMMARY_SAMPLES]
            if isinstance(f, dict)
        ]
        parts.append("未通过样本：" + "、".join(shown) + ("…" if len(failed) > SUMMARY_SAMPLES else ""))
    elif samples:
        shown = [
            f"{f.get('name') or f.get('code') or f.get('url')} {f.get('value', '')}".strip()
            for f in samples[:SUMMARY_SAMPLES]
            if isinstance(f, dict)
        ]
        parts.append("样本：" + "、".join(shown) + ("…" if len(samples) > SUMMARY_SAMPLES else ""))
    text = "；".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


RADAR_REFERENCES = (
    (gettext_lazy("本轮平均"), "#6b7280", "4 3"),
    (gettext_lazy("本轮最高"), "#b45309", "1.5 2"),
)


def radar_svg(
    values: Sequence[tuple[str, float]],
    *,
    size: int = 240,
    title: str = "",
    references: Sequence[Sequence[float]] = (),
) -> str:
    """A radar (spider) chart of 0–100 values as an accessible SVG string; `references` are the round's
    average and best per axis (RADAR_REFERENCES), drawn dashed under the region's shape with a legend."""
    n = len(values)
    if n < 3:
        return ""
    centre = size / 2
    radius = size / 2 - 46
    pad = 80  # room for the axis labels (seven characters and a score) left and right of the chart

    def point(index: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * index / n
        r = radius * max(0.0, min(value, 100.0)) / 100
        return centre + r * math.cos(angle), centre + r * math.sin(angle)

    def points(series: Sequence[float]) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, v) for i, v in enumerate(series)))

    rings = [
        f'<polygon points="{points([level] * n)}" fill="none" stroke="#c9ced6" stroke-width="1"/>'
        for level in (25, 50, 75, 100)
    ]
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
    shown = list(zip(RADAR_REFERENCES, references, strict=False))
    lines, keys = [], []
    key_y = size - 12  # below the lowest axis labels
    if shown:
        keys.append(
            f'<rect x="{centre - 140}" y="{key_y - 5}" width="18" height="10" fill="rgba(0,82,155,0.25)" '
            f'stroke="#00529b" stroke-width="2"/><text x="{centre - 118}" y="{key_y + 4}" font-size="11" '
            f'fill="#1f2933">{escape(title or str(gettext_lazy("本地区")))}</text>'
        )
    for index, ((label, colour, dash), series) in enumerate(shown):
        lines.append(
            f'<polygon points="{points(series)}" fill="none" stroke="{colour}" stroke-width="1.5" '
            f'stroke-dasharray="{dash}"/>'
        )
        x = centre - 40 + index * 90
        keys.append(
            f'<line x1="{x}" y1="{key_y}" x2="{x + 18}" y2="{key_y}" stroke="{colour}" stroke-width="2" '
            f'stroke-dasharray="{dash}"/><text x="{x + 22}" y="{key_y + 4}" font-size="11" fill="#1f2933">'
            f"{escape(str(label))}</text>"
        )
    desc = "；".join(f"{name} {value:.2f}" for name, value in values)
    for (label, _, _), series in shown:
        desc += f"。{label}：" + "；".join(
            f"{name} {v:.2f}" for (name, _), v in zip(values, series, strict=False)
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{-pad} 0 {size + 2 * pad} {size}" '
        f'width="{size + 2 * pad}" height="{size}" role="img" '
        f'aria-label="{escape(title or "五个一级指标得分雷达图")}：{escape(desc)}">'
        + "".join(rings)
        + "".join(axes)
        + "".join(lines)
        + f'<polygon points="{points([v for _, v in values])}" fill="rgba(0,82,155,0.25)" stroke="#00529b" stroke-width="2"/>'
        + "".join(labels)
        + "".join(keys)
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
    leaves.append(
        ["行政区划代码", "名称", "指标", "指标名称", "来源", "原始值", "得分", "未测原因", "权重", "证据摘要"]
    )
    from yiwang.assessment.models import LeafResult

    nodes = {node.id: node for node in report.tree.leaves()}
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
                nodes[leaf.indicator].name if leaf.indicator in nodes else "",
                leaf.source,
                leaf.raw,
                float(leaf.score) if leaf.score is not None else None,
                leaf.reason,
                float(nodes[leaf.indicator].weight) if leaf.indicator in nodes else None,
                evidence_summary(leaf.evidence, limit=1000),
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
    """The PDF report with per-region radars and the leaf drill-down (report_pdf.py)."""
    from yiwang.assessment.report_pdf import build

    return build(report)
