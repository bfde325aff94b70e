"""权力清单 (administrative powers only) and 一件事 pages (items and one merged material list)."""

from __future__ import annotations

import re
from typing import Any

from web.portal_data import PortalCatalog


def table_codes(html: str) -> list[str]:
    return re.findall(r'<a href="/items/([^"/]+)" lang', html)


def test_power_list_has_only_administrative_powers_with_their_columns(
    client: Any, portal: PortalCatalog
) -> None:
    html = client.get("/power-list").content.decode()
    assert set(table_codes(html)) == {portal.permit.implementation_code, portal.id_card.implementation_code}
    assert portal.library_card.implementation_code not in html  # 公共服务 is not a power
    assert "共 2 项行政权力" in html
    for value in (
        "行政许可",
        "行政确认",
        "《中华人民共和国建筑法》第七条",
        "杭州市住房和城乡建设局",
        "0571-87009999",
    ):
        assert value in html
    assert f'href="/power-list/{portal.permit.implementation_code}"' in html


def test_power_list_by_organisation_and_type(client: Any, portal: PortalCatalog) -> None:
    by_org = client.get(f"/power-list?organisation={portal.district_police.pk}").content.decode()
    assert table_codes(by_org) == [portal.id_card.implementation_code]
    by_type = client.get("/power-list?item_type=01").content.decode()
    assert table_codes(by_type) == [portal.permit.implementation_code]


def test_power_item_shows_flowchart_and_basis(client: Any, portal: PortalCatalog) -> None:
    html = client.get(f"/power-list/{portal.permit.implementation_code}").content.decode()
    assert "<svg" in html and "受理" in html and "制证送达" in html
    assert "《中华人民共和国建筑法》第七条" in html and "0571-87009999" in html
    assert client.get(f"/power-list/{portal.library_card.implementation_code}").status_code == 404


def test_bundle_list_and_page_with_merged_materials(client: Any, portal: PortalCatalog) -> None:
    listing = client.get("/bundles").content.decode()
    assert "新建住宅开工一件事" in listing and "包含 2 个事项" in listing and "共 1 件事" in listing
    html = client.get(f"/bundles/{portal.bundle.code}").content.decode()
    assert f'href="/items/{portal.permit.implementation_code}"' in html
    assert f'href="/items/{portal.id_card.implementation_code}"' in html
    materials = re.search(r'id="merged-h".*?</section>', html, re.S)
    assert materials is not None
    names = re.findall(r'<strong lang="zh-Hans">([^<]+)</strong>', materials.group(0))
    assert names == ["建筑工程施工许可申请表", "营业执照", "施工合同", "原居民身份证", "户口簿"]
    assert "以下 5 项材料已合并去重" in html


def test_bundle_marks_a_member_that_was_withdrawn(client: Any, portal: PortalCatalog) -> None:
    from yiwang.catalog import services

    services.withdraw(portal.id_card, reason="测试：调整为其他事项")
    html = client.get(f"/bundles/{portal.bundle.code}").content.decode()
    assert "该事项已停止办理" in html
    assert f'href="/items/{portal.id_card.implementation_code}"' not in html
