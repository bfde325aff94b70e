"""The power-list process flowchart: an accessible, escaped, deterministic SVG drawn from a guide's steps."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from catalog.factories import make_guide
from yiwang.catalog.flowchart import render_flowchart_svg, wrap_text
from yiwang.catalog.models import GuideVersion

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def _texts(root: ET.Element) -> list[str]:
    """The visible text lines in document order (one per tspan)."""
    return ["".join(span.itertext()) for span in root.iter(f"{SVG}tspan")]


def _render(guide: GuideVersion) -> tuple[str, ET.Element]:
    svg = render_flowchart_svg(GuideVersion.objects.get(pk=guide.pk))
    return svg, ET.fromstring(svg)  # noqa: S314 (our own output, not untrusted input)


def test_steps_appear_in_order_between_application_and_completion() -> None:
    guide = make_guide()
    _svg, root = _render(guide)
    lines = _texts(root)
    order = [lines.index(line) for line in ("申请", "1. 受理", "2. 审查", "3. 决定", "4. 制证送达", "办结")]
    assert order == sorted(order)
    assert "办理人员：窗口受理人员" in lines
    assert "时限：1个工作日" in lines
    assert "承诺办结时限：5个工作日" in lines


def test_svg_is_accessible_with_chinese_title_and_description() -> None:
    guide = make_guide()
    _svg, root = _render(guide)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None and title.text == "建筑工程施工许可证核发 办理流程图"
    assert desc is not None and desc.text is not None
    assert "1. 受理（窗口受理人员，1个工作日）" in desc.text
    assert "专家评审（10个工作日，不计入办结时限）" in desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    width, height = int(root.get("width", "0")), int(root.get("height", "0"))
    assert root.get("viewBox") == f"0 0 {width} {height}"


def test_special_procedures_are_a_side_note_saying_whether_they_count() -> None:
    guide = make_guide(
        special_procedures=[
            {
                "name": "专家评审",
                "time_limit": 10,
                "legal_basis": "行政许可法第四十五条",
                "counts_toward_limit": False,
            },
            {
                "name": "延长审批",
                "time_limit": 10,
                "legal_basis": "行政许可法第四十二条",
                "counts_toward_limit": True,
            },
        ]
    )
    _svg, root = _render(guide)
    lines = _texts(root)
    assert "特别程序" in lines
    assert lines.index("• 专家评审") < lines.index("• 延长审批")
    assert lines.count("是否计入时限：否") == 1
    assert lines.count("是否计入时限：是") == 1
    # The note sits beside the chain, in a dashed box.
    assert any(rect.get("stroke-dasharray") for rect in root.iter(f"{SVG}rect"))


def test_text_is_escaped() -> None:
    guide = make_guide(
        name="<b>事项</b>",
        steps=[{"name": "<script>alert(1)</script>", "role": 'A & B "科"', "time_limit": 1}],
    )
    svg, root = _render(guide)
    assert "<script" not in svg
    assert "<b>" not in svg
    assert "&lt;script&gt;" in svg
    assert root.find(f"{SVG}script") is None
    assert "1. <script>alert(1)</script>" in _texts(root)
    assert 'A & B "科"' in "".join(_texts(root))


def test_control_characters_do_not_break_the_xml() -> None:
    guide = make_guide(steps=[{"name": "审查\x01\x0b", "role": "审查人员\x1f", "time_limit": 2}])
    _svg, root = _render(guide)
    assert "1. 审查" in _texts(root)


def test_no_scripts_styles_external_references_or_small_text() -> None:
    svg, root = _render(make_guide())
    assert not re.search(r"<script|<style|style=|href|url\(|@import|<foreignObject", svg)
    sizes = [int(el.get("font-size", "16")) for el in root.iter() if el.get("font-size")]
    assert sizes and min(sizes) >= 16
    colours = {el.get(attr) for el in root.iter() for attr in ("fill", "stroke") if el.get(attr)}
    # Greys only: every colour has equal red, green and blue.
    assert all(c[1:3] == c[3:5] == c[5:7] for c in colours if c and c.startswith("#"))


def test_long_names_wrap_inside_the_box() -> None:
    long_name = (
        "对建设单位申请的建筑工程施工许可进行材料审查、现场核查、综合评审并提出审查意见，报分管负责人审核"
    )
    assert len(long_name) <= 64  # Step.name max_length
    guide = make_guide(steps=[{"name": long_name, "role": "审查人员", "time_limit": 3}])
    _svg, root = _render(guide)
    lines = _texts(root)
    first = next(i for i, line in enumerate(lines) if line.startswith("1. "))
    wrapped = [lines[first]]
    while "".join(wrapped) != f"1. {long_name}":
        wrapped.append(lines[first + len(wrapped)])
    assert len(wrapped) > 2
    assert all(len(line) <= 22 for line in wrapped)  # 18 px text in a 400 px box: at most ~20 characters


def test_wrap_text_keeps_words_and_hangs_closing_punctuation() -> None:
    lines = wrap_text("请登录https://service.example.org办理，谢谢。", 10)
    assert "".join(lines) == "请登录https://service.example.org办理，谢谢。"
    assert not any(line.startswith(("，", "。")) for line in lines)
    assert wrap_text("", 10) == [""]


def test_guide_without_steps_still_draws_application_and_completion() -> None:
    guide = make_guide(steps=[], special_procedures=[])
    _svg, root = _render(guide)
    assert _texts(root)[:2] == ["申请", "办结"]
    desc = root.find(f"{SVG}desc")
    assert desc is not None and "尚未填写办理环节" in (desc.text or "")


def test_output_is_deterministic_and_reads_prefetched_rows_without_queries(django_assert_num_queries) -> None:
    guide = make_guide()
    fresh = GuideVersion.objects.prefetch_related("steps", "special_procedures").get(pk=guide.pk)
    with django_assert_num_queries(0):
        first = render_flowchart_svg(fresh)
    assert first == render_flowchart_svg(GuideVersion.objects.get(pk=guide.pk))
    assert f'id="yw-flow-{guide.pk}-title"' in first
