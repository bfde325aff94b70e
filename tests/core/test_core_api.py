"""The core read API: regions and organisations, with Chinese errors for bad input."""

from __future__ import annotations

import pytest
from django.test import Client

from yiwang.core import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def orgs(regions: int) -> dict[str, int]:
    def add(name: str, uscc: str, region: str, **extra: object) -> int:
        return services.register_organisation(actor=None, name=name, uscc=uscc, region=region, **extra).pk  # type: ignore[arg-type]

    return {
        "city": add("杭州市市场监督管理局", "11330105002500287C", "330100"),
        "hall": add("西湖区行政服务中心", "12441500196720244T", "330106", kind="hall"),
        "pilot": add("试点企业服务中心", "91350100M0001TGQXM", "330106", kind="other"),
        "ningbo": add("宁波市某局", "11430000006122244L", "330200"),
    }


def test_region_list_filters_by_parent_and_level(client: Client, regions: int) -> None:
    body = client.get("/api/core/regions", {"parent": "330000"}).json()
    assert body["count"] == 11
    assert body["items"][0] == {
        "code": "330100",
        "name": "杭州市",
        "level": "prefecture",
        "level_label": "地级",
        "parent_code": "330000",
    }
    provinces = client.get("/api/core/regions", {"level": "province"}).json()
    assert provinces["count"] == 34 and len(provinces["items"]) == 34


def test_region_list_is_paginated_at_most_100(client: Client, regions: int) -> None:
    body = client.get("/api/core/regions", {"page_size": 500}).json()
    assert body["count"] == 466 and len(body["items"]) == 100
    page5 = client.get("/api/core/regions", {"page": 5}).json()
    assert len(page5["items"]) == 66


def test_region_list_errors(client: Client, regions: int) -> None:
    bad = client.get("/api/core/regions", {"parent": "33"})
    assert bad.status_code == 400 and "6位数字" in bad.json()["detail"]
    unknown = client.get("/api/core/regions", {"parent": "339900"})
    assert unknown.status_code == 404 and "339900 不存在" in unknown.json()["detail"]
    level = client.get("/api/core/regions", {"level": "town"})
    assert level.status_code == 400 and "级别" in level.json()["detail"]


def test_region_detail_and_children(client: Client, regions: int) -> None:
    body = client.get("/api/core/regions/330106").json()
    assert body["name"] == "西湖区" and body["children_count"] == 0
    assert [a["code"] for a in body["ancestors"]] == ["330000", "330100"]
    children = client.get("/api/core/regions/330100/children").json()
    assert len(children) == 13 and children[0]["code"] == "330102"
    assert client.get("/api/core/regions/33010x").status_code == 400
    missing = client.get("/api/core/regions/339999/children")
    assert missing.status_code == 404 and "不存在" in missing.json()["detail"]


def test_organisation_list_filters(client: Client, orgs: dict[str, int]) -> None:
    def ids(**params: object) -> list[int]:
        response = client.get("/api/core/organisations", params)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [orgs["city"], orgs["hall"], orgs["pilot"], orgs["ningbo"]]
    assert ids(region="330100") == [orgs["city"]]
    assert ids(region="330100", subtree="true") == [orgs["city"], orgs["hall"], orgs["pilot"]]
    assert ids(region="330000", subtree="true", kind="hall") == [orgs["hall"]]
    assert ids(q="服务中心") == [orgs["hall"], orgs["pilot"]]
    assert ids(page_size=1, page=2) == [orgs["hall"]]


def test_organisation_list_errors(client: Client, orgs: dict[str, int]) -> None:
    assert client.get("/api/core/organisations", {"region": "abc"}).status_code == 400
    assert client.get("/api/core/organisations", {"region": "339900"}).status_code == 404
    kind = client.get("/api/core/organisations", {"kind": "ministry"})
    assert kind.status_code == 400 and "类别" in kind.json()["detail"]


def test_organisation_detail_by_id_or_uscc(client: Client, orgs: dict[str, int]) -> None:
    by_id = client.get(f"/api/core/organisations/{orgs['pilot']}").json()
    assert by_id["uscc"] == "91350100M0001TGQXM" and "校验位" in by_id["uscc_warning"]
    assert by_id["region_code"] == "330106" and by_id["region_name"] == "西湖区"
    assert by_id["kind_label"] == "其他"
    by_code = client.get("/api/core/organisations/11330105002500287c").json()
    assert by_code["id"] == orgs["city"] and by_code["uscc_warning"] == ""
    missing = client.get("/api/core/organisations/999999")
    assert missing.status_code == 404 and "未找到" in missing.json()["detail"]


def test_every_schema_field_has_a_chinese_description(client: Client) -> None:
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    for name in ("RegionOut", "RegionDetailOut", "OrganisationOut"):
        for field, spec in schemas[name]["properties"].items():
            assert any("\u4e00" <= ch <= "\u9fff" for ch in spec.get("description", "")), (name, field)
