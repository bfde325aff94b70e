"""The two fixed command-line forms: `assess import ROUND FILE.csv` and `assess report ROUND --format json`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from yiwang.assessment.models import LeafInput, Round, Run

pytestmark = pytest.mark.django_db

CSV = """region,name,total
110000,北京市,95.00
120000,天津市,90.00
130000,河北省,85.50
140000,山西省,85.50
150000,内蒙古自治区,70.00
210000,辽宁省,60.00
"""


def _report(round_name: str) -> dict:
    out = io.StringIO()
    call_command("assess", "report", round_name, "--format", "json", stdout=out)
    text = out.getvalue().strip()
    assert text.count("\n") == 0, "exactly one JSON object on one line"
    return json.loads(text)


def test_import_creates_the_round_and_report_prints_one_json_object(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    path.write_text(CSV, encoding="utf-8")
    call_command("assess", "import", "2025 省级", str(path))
    assert Round.objects.get(name="2025 省级").subjects.count() == 6
    report = _report("2025 省级")
    assert report["mean"] == 81.0
    assert report["above_mean"] == {"count": 4, "share": 66.67}
    assert report["grades"] == {
        "非常高": {"count": 2, "share": 33.33},
        "高": {"count": 2, "share": 33.33},
        "中": {"count": 1, "share": 16.67},
        "低": {"count": 1, "share": 16.67},
    }
    assert report["ranking"][:4] == [
        {"region": "110000", "name": "北京市", "total": 95.0, "grade": "非常高", "rank": 1},
        {"region": "120000", "name": "天津市", "total": 90.0, "grade": "非常高", "rank": 2},
        {"region": "130000", "name": "河北省", "total": 85.5, "grade": "高", "rank": 3},
        {"region": "140000", "name": "山西省", "total": 85.5, "grade": "高", "rank": 3},
    ]
    assert report["ranking"][-1]["rank"] == 6
    # a second report reuses the run; a new import makes the next report a new run
    _report("2025 省级")
    assert Run.objects.filter(round__name="2025 省级").count() == 1
    path.write_text("region,name,total\n210000,辽宁省,66.00\n", encoding="utf-8")
    call_command("assess", "import", "2025 省级", str(path))
    assert _report("2025 省级")["ranking"][-1]["grade"] == "中"
    assert Run.objects.filter(round__name="2025 省级").count() == 2


def test_import_with_indicator_columns_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "dims.csv"
    path.write_bytes("\ufeffregion,name,total,A,B,C,D,E\n330000,浙江省,,90,80,70,60,50\n".encode())
    call_command("assess", "import", "维度导入", str(path))
    assert LeafInput.objects.filter(subject__round__name="维度导入").count() == 5
    # total = (15·90 + 20·80 + 20·70 + 25·60 + 20·50)/100 = 68.50
    assert _report("维度导入")["ranking"] == [
        {"region": "330000", "name": "浙江省", "total": 68.5, "grade": "中", "rank": 1}
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("region,name\n110000,北京\n", "表头前三列应为 region,name,total"),
        ("region,name,total\n11000,北京,90\n", "第2行：region“11000”应为6位行政区划代码"),
        ("region,name,total\n110000,北京,101\n", "第2行 total 列：得分 101 超出 0–100"),
        ("region,name,total,Z9\n110000,北京,90,1\n", "列“Z9”不是指标体系"),
        ("region,name,total\n110000,北京,九十\n", "“九十”不是数字"),
    ],
)
def test_import_errors_are_specific_and_nothing_is_written(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("assess", "import", "坏文件", str(path))
    assert not Round.objects.filter(name="坏文件").exists()


def test_report_of_an_unknown_round_says_how_to_create_it() -> None:
    with pytest.raises(CommandError, match="没有名为“无此轮”的轮次"):
        call_command("assess", "report", "无此轮", "--format", "json")


def test_crawl_and_run_from_the_command_line(tmp_path: Path) -> None:
    from assessment.assessment_portal import PROFILE, serve_portal

    call_command("assess", "create", "门户轮", stderr=io.StringIO())
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps({**PROFILE, "axe_pages": 1}, ensure_ascii=False), encoding="utf-8")
    with serve_portal() as portal:
        call_command(
            "assess",
            "subject",
            "门户轮",
            "330000",
            "--name",
            "浙江省",
            "--portal",
            portal.url,
            "--profile",
            str(profile),
            stderr=io.StringIO(),
        )
        err = io.StringIO()
        call_command("assess", "crawl", "门户轮", "--interval", "0", stderr=err)
    assert "抓取门户" in err.getvalue()  # the progress bar
    round_ = Round.objects.get(name="门户轮")
    stored = {i.indicator: i for i in LeafInput.objects.filter(subject__round=round_, source="crawl")}
    assert stored["B2.2"].raw == 1 and stored["C4.3"].evidence["total"] == 3
    call_command("assess", "run", "门户轮", stderr=io.StringIO())
    leaf = Run.objects.get(round=round_).results.get().leaves.get(indicator="A1.1")
    assert (leaf.source, leaf.score) == ("crawl", 100)


def test_subject_profile_must_be_a_json_object(tmp_path: Path) -> None:
    call_command("assess", "create", "配置轮", stderr=io.StringIO())
    profile = tmp_path / "profile.json"
    profile.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(CommandError, match="抓取配置应为 JSON 对象"):
        call_command("assess", "subject", "配置轮", "330000", "--name", "浙江省", "--profile", str(profile))
    with pytest.raises(CommandError, match="门户网址“ftp://x”应以 http:// 或 https:// 开头"):
        call_command("assess", "subject", "配置轮", "330000", "--name", "浙江省", "--portal", "ftp://x")
