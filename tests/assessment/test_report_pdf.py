"""The PDF export carries what the HTML report and the XLSX carry: a vector radar of the five dimensions per
region (region against the round's average and best) and the leaf drill-down with weight, score and an
evidence summary. Read back with pypdf: extracted text and the page content streams' path operators."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from yiwang.assessment import exports, selectors, services
from yiwang.assessment.exports import evidence_summary
from yiwang.assessment.models import Run

pytestmark = pytest.mark.django_db

DIMENSIONS = ("服务方式完备度", "服务事项覆盖度", "办事指南准确度", "在线办理成熟度", "在线服务成效度")


@pytest.fixture
def run() -> Run:
    round_ = services.create_round("PDF 轮", actor=None)
    services.set_subject(round_, "110000", "北京市", actor=None)
    services.set_subject(round_, "310000", "上海市", actor=None)
    services.import_scores(
        "PDF 轮",
        [
            ["region", "name", "total", "B2.1", "C1.1"],
            ["110000", "北京市", "", "82.5", "40"],
            ["310000", "上海市", "", "95", "70"],
        ],
        actor=None,
    )
    services.import_questionnaire(
        round_,
        [
            ["region", "respondent", "indicator", "item", "answer"],
            ["110000", "专家1", "A2.4", "我的办件", "是"],
            ["110000", "专家2", "A2.4", "我的证照", "否"],
        ],
        actor=None,
    )
    return services.run_round(round_, actor=None)


def _pages(data: bytes) -> list[tuple[str, bytes]]:
    reader = PdfReader(io.BytesIO(data))
    out = []
    for page in reader.pages:
        contents = page.get_contents()
        out.append((page.extract_text() or "", contents.get_data() if contents is not None else b""))
    return out


def test_pdf_has_a_radar_and_the_leaf_drill_down_per_region(run: Run) -> None:
    report = selectors.report(run)
    tree = report.tree
    assert [d.name for d in report.dimensions] == list(DIMENSIONS)
    pages = _pages(exports.pdf(report))
    text = "\n".join(t for t, _ in pages)
    assert "各地区得分与末级指标明细" in text
    for result in report.results:
        # the region's section starts on a page that also carries its radar: labels, legend and shapes
        start = next(i for i, (t, _) in enumerate(pages) if f"{result.name}（{result.region_code}）" in t)
        page_text, stream = pages[start]
        assert "五个一级指标雷达图" in page_text
        for label in (*DIMENSIONS, "本轮平均", "本轮最高"):
            assert label in page_text, label
        # vector paths: 4 grid rings + 3 series polygons, each a moveto, 4 linetos and a closepath
        polygons = re.findall(rb"[\d.]+ [\d.]+ m(?: [\d.]+ [\d.]+ l){4} h", stream)
        assert len(polygons) >= 7
        assert b"0 .321569 .607843 RG" in stream  # the region's outline colour (#00529b)
        assert re.search(rb"\[3 2\] 0 d", stream)  # the dashed average polygon
        assert re.search(rb"\[1 1.5\] 0 d", stream)  # the dotted best polygon
        # the drill-down lists every leaf of the tree for the region, with its weight and score
        section = "\n".join(t for t, _ in pages[start:])
        nxt = [
            r
            for r in report.results
            if r.rank > result.rank or (r.rank == result.rank and r.region_code > result.region_code)
        ]
        if nxt:
            section = section.split(f"{nxt[0].name}（{nxt[0].region_code}）")[0]
        for leaf in tree.leaves():
            assert leaf.id in section, (result.region_code, leaf.id)
        assert "证据摘要" in section and "权重" in section
    beijing = next(r for r in report.results if r.region_code == "110000")
    b21 = beijing.leaves.get(indicator="B2.1")
    a24 = beijing.leaves.get(indicator="A2.4")
    assert (b21.score, a24.score) == (pytest.approx(82.5), 50)
    flat = re.sub(r"\s+", "", text)
    assert "B2.1" in flat and "82.50" in flat and "95.00" in flat
    assert "答卷人数：2" in flat  # A2.4's questionnaire evidence, summarised
    weight = str(tree.by_id["B2.1"].weight)
    assert re.search(rf"B2\.1.{{0,40}}{re.escape(weight)}", flat)


def test_unmeasured_leaves_show_their_reason_in_the_pdf(run: Run) -> None:
    report = selectors.report(run)
    shanghai = next(r for r in report.results if r.region_code == "310000")
    unmeasured = shanghai.leaves.filter(score__isnull=True).exclude(reason="").order_by("indicator").first()
    assert unmeasured is not None
    flat = re.sub(r"\s+", "", "".join(t for t, _ in _pages(exports.pdf(report))))
    assert "未测原因：" + re.sub(r"\s+", "", unmeasured.reason)[:12] in flat


def test_evidence_summary_reads_counts_and_failing_samples() -> None:
    summary = evidence_summary(
        {
            "rule": "指南要素完整",
            "passed": 7,
            "total": 10,
            "failed": [{"code": f"11{i}", "name": f"事项{i}"} for i in range(5)],
            "mean": "0.7",
        }
    )
    assert (
        summary
        == "规则：指南要素完整；通过 7/10；平均值：0.7；未通过样本：110（事项0）、111（事项1）、112（事项2）…"
    )
    assert (
        evidence_summary({"rule": "x" * 300}).endswith("…")
        and len(evidence_summary({"rule": "x" * 300})) == 220
    )
    assert evidence_summary({}) == ""


def test_xlsx_leaf_sheet_has_weight_and_evidence(run: Run) -> None:
    report = selectors.report(run)
    book = load_workbook(io.BytesIO(exports.xlsx(report)))
    rows = list(book["末级指标"].iter_rows(values_only=True))
    assert rows[0][-2:] == ("权重", "证据摘要")
    a24 = next(r for r in rows if r[0] == "110000" and r[2] == "A2.4")
    assert a24[-2] == float(report.tree.by_id["A2.4"].weight) and "答卷人数：2" in a24[-1]


def test_html_radars_show_the_same_average_and_best_lines(run: Run) -> None:
    from django.test import Client
    from django.urls import reverse

    services.publish_round(run.round, actor=None)
    report = selectors.report(run)
    means = report.dimension_means()
    best = report.dimension_best()
    assert best == [max(float(r.nodes.get(d.id) or 0) for r in report.results) for d in report.dimensions]
    page = Client().get(reverse("assessment:region", args=[run.round.pk, "110000"])).content.decode()
    assert "本轮平均" in page and "本轮最高" in page
    assert page.count('stroke-dasharray="4 3"') == 2  # the average polygon and its legend key
    summary = "本轮平均：" + "；".join(
        f"{d.name} {m:.2f}" for d, m in zip(report.dimensions, means, strict=True)
    )
    assert summary in page  # the chart's accessible name carries the numbers too
    overview = Client().get(reverse("assessment:report", args=[run.round.pk])).content.decode()
    assert overview.count("本轮最高：") == len(report.results)
