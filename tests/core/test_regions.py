"""Loading the 行政区划 dataset and reading the region tree."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from yiwang.core import selectors, services
from yiwang.core.models import AuditEntry, Region, RegionLevel

pytestmark = pytest.mark.django_db


def test_load_is_idempotent_and_audited_once(regions: int) -> None:
    assert regions == 466
    assert Region.objects.count() == 466
    assert AuditEntry.objects.filter(action="regions.load").count() == 1
    again = services.import_regions()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 466)
    assert Region.objects.count() == 466
    assert AuditEntry.objects.filter(action="regions.load").count() == 1


def test_dataset_shape(regions: int) -> None:
    assert Region.objects.filter(level=RegionLevel.PROVINCE).count() == 34
    assert Region.objects.get(code="330000").name == "浙江省"
    assert Region.objects.get(code="330106").parent_id == "330100"
    assert Region.objects.get(code="820000").parent_id is None
    assert not Region.objects.filter(level=RegionLevel.PROVINCE).exclude(parent=None).exists()
    assert not Region.objects.exclude(level=RegionLevel.PROVINCE).filter(parent=None).exists()


def test_reload_updates_changed_rows_and_keeps_missing_ones(regions: int, tmp_path: Path) -> None:
    Region.objects.filter(code="330106").update(name="旧名")
    small = tmp_path / "regions.csv"
    small.write_text(
        "code,name,level,parent_code\n330000,浙江省,province,\n330100,杭州市,prefecture,330000\n"
        "330106,西湖区,county,330100\n339999,新设区,county,330100\n",
        encoding="utf-8",
    )
    result = services.import_regions(small)
    assert (result.created, result.updated, result.unchanged) == (1, 1, 2)
    assert Region.objects.get(code="330106").name == "西湖区"
    assert Region.objects.get(code="339999").parent_id == "330100"
    assert Region.objects.count() == 467  # nothing deleted


def test_bad_file_lists_every_problem_in_chinese(db: None, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,name,level,parent_code\n33000,浙江,province,\n330100,,prefecture,330000\n"
        "330101,某区,town,330100\n330102,某区,county,\n",
        encoding="utf-8",
    )
    with pytest.raises(services.RegionFileError) as caught:
        services.load_regions(bad)
    message = str(caught.value)
    for fragment in ("第 2 行", "第 3 行：名称为空", "第 4 行：级别“town”", "第 5 行：只有省级", "330000"):
        assert fragment in message
    assert Region.objects.count() == 0


def test_bad_header_is_reported(db: None, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("代码,名称\n330000,浙江省\n", encoding="utf-8")
    with pytest.raises(services.RegionFileError, match="表头应为"):
        services.load_regions(bad)


def test_command_prints_counts(db: None) -> None:
    out = StringIO()
    call_command("regions", "load", stdout=out)
    assert "共 466 条（省级 34、地级 342、县级 90）；新增 466" in out.getvalue()
    out = StringIO()
    call_command("regions", "load", stdout=out)
    assert "新增 0，更新 0，未变 466" in out.getvalue()


def test_command_reports_a_missing_file(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="无法读取"):
        call_command("regions", "load", "--file", str(tmp_path / "none.csv"), stdout=StringIO())


def test_subtree_of_a_province_a_prefecture_and_a_county(regions: int) -> None:
    zhejiang = Region.objects.get(code="330000")
    codes = set(selectors.region_subtree(zhejiang).values_list("code", flat=True))
    assert "330000" in codes and "330100" in codes and "330106" in codes
    assert all(code.startswith("33") for code in codes)
    assert len(codes) == 1 + 11 + 90
    hangzhou = Region.objects.get(code="330100")
    below = list(selectors.region_subtree(hangzhou, include_self=False).values_list("code", flat=True))
    assert "330100" not in below and "330106" in below and all(c.startswith("3301") for c in below)
    xihu = Region.objects.get(code="330106")
    assert list(selectors.region_subtree(xihu).values_list("code", flat=True)) == ["330106"]


def test_children_and_ancestors(regions: int, django_assert_max_num_queries: object) -> None:
    assert selectors.region_children("330000").count() == 11
    assert list(selectors.region_children(Region.objects.get(code="330106"))) == []
    xihu = Region.objects.get(code="330106")
    with django_assert_max_num_queries(1):  # type: ignore[operator]
        ancestors = selectors.region_ancestors(xihu)
    assert [r.code for r in ancestors] == ["330000", "330100"]
    assert selectors.region_ancestors(Region.objects.get(code="330000")) == []
    assert [r.code for r in selectors.region_ancestors(Region.objects.get(code="330100"))] == ["330000"]
