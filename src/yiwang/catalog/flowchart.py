"""The process flowchart (权力运行流程图) of a guide, drawn as a self-contained, accessible SVG.

`render_flowchart_svg(guide)` draws a vertical chain 申请 → each step (name, role, time limit in 工作日)
→ 办结, and lists special procedures (特别程序) in a side note that says whether each counts toward the
time limit. The drawing:

- is built with ElementTree, so every text is XML-escaped; characters XML 1.0 forbids are dropped;
- has role="img" with a Chinese <title> and <desc> (the whole process in words) for screen readers;
- uses only presentation attributes (no <style>, no style="", no script, no web font), so it passes a
  `default-src 'self'` CSP when inlined or served, and local fonts render it;
- is black, white and grey, with ≥ 16 px text, and distinguishes kinds of box by shape and dash, not by
  colour, so it reads in greyscale and in print;
- is deterministic: the same guide gives the same bytes (ids derive from the guide's primary key).

Pure: reads the guide's steps and special procedures (prefetch them to save queries), writes nothing.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from django.utils.translation import gettext as _

from yiwang.catalog import codes
from yiwang.catalog.models import GuideVersion, SpecialProcedure, Step
from yiwang.catalog.quality import format_duration

SVG_NS = "http://www.w3.org/2000/svg"
FONT_FAMILY = "'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', 'Source Han Sans SC', sans-serif"

TEXT_SIZE = 16
HEADING_SIZE = 18
LINE_HEIGHT = 24
HEADING_LINE_HEIGHT = 26
PADDING = 14
MARGIN = 24
MAIN_WIDTH = 400
ARROW_GAP = 40
SIDE_GAP = 32
SIDE_WIDTH = 260
INK = "#1a1a1a"
PAPER = "#ffffff"
SHADE = "#e6e6e6"

# Characters that must not begin a line in Chinese typesetting (禁则): they stay with the previous line.
_NO_LINE_START = set("，。、；：！？）》」』】〕,.;:!?)]}%")
# A Latin word, number or URL-ish run is kept together when it fits on a line.
_TOKEN = re.compile(r"[A-Za-z0-9_.\-/:@#%+]+|\s+|.", re.DOTALL)
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    """Text safe for XML 1.0: forbidden control characters dropped, whitespace runs collapsed."""
    return re.sub(r"[ \t\r\f\v]+", " ", _XML_FORBIDDEN.sub("", text or "")).strip()


def _char_em(char: str) -> float:
    """Approximate advance width in em: CJK and full-width characters are square, the rest narrower."""
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F") else 0.6


def _text_em(text: str) -> float:
    return sum(_char_em(c) for c in text)


def wrap_text(text: str, max_em: float) -> list[str]:
    """Break text into lines no wider than max_em (Chinese may break between any two characters)."""
    lines: list[str] = []
    for paragraph in _clean(text).split("\n"):
        line = ""
        for raw in _TOKEN.findall(paragraph.strip()):
            piece = " " if raw.isspace() else raw
            if piece == " " and not line:
                continue
            if _text_em(line + piece) <= max_em:
                line += piece
                continue
            if line and piece[0] in _NO_LINE_START and _text_em(line + piece) <= max_em + 1:
                line += piece  # hang closing punctuation rather than start a line with it
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = ""
            if piece == " ":
                continue
            for char in piece:  # a run wider than a line breaks anywhere
                if line and _text_em(line + char) > max_em:
                    lines.append(line)
                    line = ""
                line += char
        if line.strip():
            lines.append(line.rstrip())
    return lines or [""]


def _step_limit(step: Step) -> str:
    return (
        _("即时办理")
        if step.time_limit == 0
        else format_duration(step.time_limit, codes.TimeUnit.WORKING_DAY)
    )


def _promised_limit(guide: GuideVersion) -> str:
    if guide.promised_limit_unit == codes.TimeUnit.IMMEDIATE or guide.promised_limit == 0:
        return _("即办")
    if guide.promised_limit is None:
        return ""
    return format_duration(guide.promised_limit, guide.promised_limit_unit)


def _counts_label(procedure: SpecialProcedure) -> str:
    return _("是") if procedure.counts_toward_limit else _("否")


@dataclass(frozen=True)
class _Line:
    text: str
    size: int
    bold: bool = False

    @property
    def height(self) -> int:
        return HEADING_LINE_HEIGHT if self.size >= HEADING_SIZE else LINE_HEIGHT


def _lines(text: str, width: int, size: int = TEXT_SIZE, *, bold: bool = False) -> list[_Line]:
    max_em = (width - 2 * PADDING) / size
    return [_Line(line, size, bold) for line in wrap_text(text, max_em)]


class _Canvas:
    def __init__(self, root: ET.Element) -> None:
        self.root = root

    def box(self, x: int, y: int, width: int, lines: list[_Line], *, kind: str) -> int:
        """Draw a box holding lines; return its height. kind: terminal (rounded, shaded), step, note (dashed)."""
        height = 2 * PADDING + sum(line.height for line in lines)
        attrs = {
            "x": str(x),
            "y": str(y),
            "width": str(width),
            "height": str(height),
            "fill": SHADE if kind == "terminal" else PAPER,
            "stroke": INK,
            "stroke-width": "2",
            "rx": str(height // 2 if kind == "terminal" else 6),
        }
        if kind == "note":
            attrs["stroke-dasharray"] = "8 5"
        ET.SubElement(self.root, "rect", attrs)
        centred = kind == "terminal"
        text = ET.SubElement(
            self.root,
            "text",
            {"x": str(x + width // 2 if centred else x + PADDING), "fill": INK}
            | ({"text-anchor": "middle"} if centred else {}),
        )
        baseline = y + PADDING
        for line in lines:
            baseline += line.height
            span = ET.SubElement(
                text,
                "tspan",
                {
                    "x": text.get("x", ""),
                    "y": str(baseline - (line.height - line.size) // 2 - 3),
                    "font-size": str(line.size),
                }
                | ({"font-weight": "bold"} if line.bold else {}),
            )
            span.text = line.text
        return height

    def arrow(self, x: int, top: int, bottom: int) -> None:
        ET.SubElement(
            self.root,
            "line",
            {
                "x1": str(x),
                "y1": str(top),
                "x2": str(x),
                "y2": str(bottom - 10),
                "stroke": INK,
                "stroke-width": "2",
            },
        )
        ET.SubElement(
            self.root,
            "polygon",
            {"points": f"{x - 7},{bottom - 12} {x + 7},{bottom - 12} {x},{bottom}", "fill": INK},
        )


def _description(guide: GuideVersion, steps: list[Step], procedures: list[SpecialProcedure]) -> str:
    parts = [_("申请")]
    for index, step in enumerate(steps, start=1):
        parts.append(
            _("%(n)d. %(name)s（%(role)s，%(limit)s）")
            % {"n": index, "name": _clean(step.name), "role": _clean(step.role), "limit": _step_limit(step)}
        )
    parts.append(_("办结"))
    text = _("办理流程：") + " → ".join(parts) + _("。")
    if not steps:
        text += _("尚未填写办理环节。")
    promised = _promised_limit(guide)
    if promised:
        text += _("承诺办结时限：%(limit)s。") % {"limit": promised}
    if procedures:
        items = [
            _("%(name)s（%(limit)s，%(counts)s计入办结时限）")
            % {
                "name": _clean(p.name),
                "limit": format_duration(p.time_limit, p.time_limit_unit),
                "counts": "" if p.counts_toward_limit else _("不"),
            }
            for p in procedures
        ]
        text += _("特别程序：") + "；".join(items) + _("。")
    return text


def render_flowchart_svg(guide: GuideVersion) -> str:
    """The guide's process as an inline-ready SVG document string (no XML declaration)."""
    steps = list(guide.steps.all()) if guide.pk else []
    procedures = list(guide.special_procedures.all()) if guide.pk else []
    ident = f"yw-flow-{guide.pk or 'new'}"
    total_width = MARGIN * 2 + MAIN_WIDTH + ((SIDE_GAP + SIDE_WIDTH) if procedures else 0)

    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "version": "1.1",
            "role": "img",
            "aria-labelledby": f"{ident}-title {ident}-desc",
            "lang": "zh-Hans",
            "font-family": FONT_FAMILY,
        },
    )
    title = ET.SubElement(root, "title", {"id": f"{ident}-title"})
    title.text = _("%(name)s 办理流程图") % {"name": _clean(guide.name) or _("未命名事项")}
    desc = ET.SubElement(root, "desc", {"id": f"{ident}-desc"})
    desc.text = _description(guide, steps, procedures)
    background = ET.SubElement(root, "rect", {"x": "0", "y": "0", "width": str(total_width), "fill": PAPER})
    canvas = _Canvas(root)

    centre = MARGIN + MAIN_WIDTH // 2
    y = MARGIN
    y += canvas.box(
        MARGIN, y, MAIN_WIDTH, _lines(_("申请"), MAIN_WIDTH, HEADING_SIZE, bold=True), kind="terminal"
    )
    for index, step in enumerate(steps, start=1):
        canvas.arrow(centre, y, y + ARROW_GAP)
        y += ARROW_GAP
        lines = [
            *_lines(f"{index}. {step.name}", MAIN_WIDTH, HEADING_SIZE, bold=True),
            *_lines(_("办理人员：%(role)s") % {"role": _clean(step.role) or _("未填写")}, MAIN_WIDTH),
            *_lines(_("时限：%(limit)s") % {"limit": _step_limit(step)}, MAIN_WIDTH),
        ]
        y += canvas.box(MARGIN, y, MAIN_WIDTH, lines, kind="step")
    canvas.arrow(centre, y, y + ARROW_GAP)
    y += ARROW_GAP
    end_lines = _lines(_("办结"), MAIN_WIDTH, HEADING_SIZE, bold=True)
    promised = _promised_limit(guide)
    if promised:
        end_lines += _lines(_("承诺办结时限：%(limit)s") % {"limit": promised}, MAIN_WIDTH)
    y += canvas.box(MARGIN, y, MAIN_WIDTH, end_lines, kind="terminal")
    bottom = y

    if procedures:
        side_x = MARGIN + MAIN_WIDTH + SIDE_GAP
        note = _lines(_("特别程序"), SIDE_WIDTH, HEADING_SIZE, bold=True)
        for procedure in procedures:
            note += _lines(f"• {procedure.name}", SIDE_WIDTH, bold=True)
            note += _lines(
                _("所需时限：%(limit)s")
                % {"limit": format_duration(procedure.time_limit, procedure.time_limit_unit)},
                SIDE_WIDTH,
            )
            note += _lines(_("是否计入时限：%(yes_no)s") % {"yes_no": _counts_label(procedure)}, SIDE_WIDTH)
        bottom = max(bottom, MARGIN + canvas.box(side_x, MARGIN, SIDE_WIDTH, note, kind="note"))

    total_height = bottom + MARGIN
    background.set("height", str(total_height))
    root.set("width", str(total_width))
    root.set("height", str(total_height))
    root.set("viewBox", f"0 0 {total_width} {total_height}")
    return ET.tostring(root, encoding="unicode")
