"""The published list: every filter, pagination, stable order, and precise 4xx for wrong input."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from api.helpers import publish
from catalog.factories import make_guide, make_person_theme, make_theme
from yiwang.catalog import api as catalog_api
from yiwang.catalog import codes, services
from yiwang.catalog.api import ImplementationPage
from yiwang.catalog.generator import generate
from yiwang.catalog.models import Implementation, PublicStatus
from yiwang.core.models import Organisation

pytestmark = pytest.mark.django_db

LIST = "/api/catalog/implementations"


def _all(client: Client, **params: Any) -> list[dict[str, Any]]:
    """Every row for these filters, page by page (page_size 100)."""
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        body = client.get(LIST, {**params, "page": page, "page_size": 100}).json()
        rows += body["results"]
        if page >= body["pages"]:
            assert body["count"] == len(rows)
            return rows
        page += 1


@pytest.fixture
def catalogue(db: None) -> int:
    """About 200 generated published items across the demo province (regions loaded on the way)."""
    make_theme(), make_person_theme()  # the generator gives each item a theme of its audience
    return generate(200, region_code="330000", batch=80, progress=False).created


def _published() -> Any:
    return Implementation.objects.filter(public_status=PublicStatus.PUBLISHED)


def test_list_rows_carry_what_a_list_shows_in_code_order(client: Client, catalogue: int) -> None:
    response = client.get(LIST)
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    ImplementationPage.model_validate(body)  # the documented schema, field by field
    assert body["count"] == catalogue == 200
    assert body["page"] == 1 and body["page_size"] == 20 and body["pages"] == 10 and body["count_exact"]
    row = body["results"][0]
    assert set(row) == {
        "implementation_code",
        "name",
        "item_type",
        "item_type_label",
        "organisation",
        "region",
        "online_depth",
        "version",
        "published_at",
    }
    implementation = Implementation.objects.select_related("organisation", "region").get(
        implementation_code=row["implementation_code"]
    )
    assert row["name"] == implementation.name
    assert row["item_type_label"] == codes.ItemType(implementation.item_type).label
    assert row["organisation"] == {
        "id": implementation.organisation_id,
        "name": implementation.organisation.name,
    }
    assert row["region"] == {"code": implementation.region_id, "name": implementation.region.name}
    assert row["version"] == 1
    every = _all(client)
    codes_ = [r["implementation_code"] for r in every]
    assert codes_ == sorted(codes_) and len(set(codes_)) == 200


def test_region_filter_includes_the_whole_subtree(client: Client, catalogue: int) -> None:
    province = _all(client, region="330000")
    assert len(province) == 200
    hangzhou = _all(client, region="330100")
    expected = set(
        _published().filter(region__code__startswith="3301").values_list("implementation_code", flat=True)
    )
    assert {r["implementation_code"] for r in hangzhou} == expected
    assert expected and all(r["region"]["code"].startswith("3301") for r in hangzhou)
    codes_ = [r["implementation_code"] for r in hangzhou]
    assert codes_ == sorted(codes_)  # merged per region, still in code order
    county = _all(client, region="330106")
    assert {r["region"]["code"] for r in county} <= {"330106"}
    assert len(county) == _published().filter(region_id="330106").count()


def test_filters_by_organisation_type_audience_theme_and_depth(client: Client, catalogue: int) -> None:
    organisation = Organisation.objects.get(pk=_published().values_list("organisation_id", flat=True)[0])
    by_id = _all(client, organisation=str(organisation.pk))
    by_uscc = _all(client, organisation=organisation.uscc.lower())
    assert by_id == by_uscc and by_id
    assert all(r["organisation"]["id"] == organisation.pk for r in by_id)

    licensing = _all(client, item_type="01")
    assert len(licensing) == _published().filter(item_type="01").count() > 0
    assert {r["item_type"] for r in licensing} == {"01"}

    persons = _all(client, audience="person")
    assert len(persons) == _published().filter(for_person=True).count() > 0
    enterprises = _all(client, audience="enterprise")
    assert len(enterprises) == _published().filter(for_enterprise=True).count() > 0

    theme = make_person_theme()
    themed = _all(client, theme=theme.code)
    assert len(themed) == _published().filter(published_version__themes=theme).count() > 0

    deep = _all(client, online_depth=3)
    assert deep and all(r["online_depth"] >= 3 for r in deep)
    assert len(deep) == _published().filter(online_depth__gte=3).count()
    full = _all(client, fully_online="true")
    assert full and {r["online_depth"] for r in full} == {4}
    partial = _all(client, fully_online="false")
    assert len(full) + len(partial) == 200

    named = _all(client, q="公积金")
    assert named and all("公积金" in r["name"] for r in named)
    assert len(named) == _published().filter(name__contains="公积金").count()

    combined = _all(client, region="330100", item_type="01", audience="enterprise")
    expected = (
        _published().filter(region__code__startswith="3301", item_type="01", for_enterprise=True).count()
    )
    assert len(combined) == expected


def test_withdrawn_and_draft_items_are_not_listed(client: Client, db: None) -> None:
    listed = publish(make_guide())
    gone = publish(make_guide())
    make_guide()  # a draft
    services.withdraw(gone.implementation, reason="事项取消")
    codes_ = [r["implementation_code"] for r in client.get(LIST).json()["results"]]
    assert codes_ == [listed.implementation.implementation_code]


def test_page_beyond_the_last_is_404_with_the_page_count(client: Client, catalogue: int) -> None:
    assert client.get(LIST, {"page": 10}).status_code == 200
    response = client.get(LIST, {"page": 11})
    assert response.status_code == 404
    assert response.json()["detail"] == "第 11 页不存在：符合条件的事项共 200 条，每页 20 条，共 10 页。"
    last = client.get(LIST, {"page": 3, "page_size": 90}).json()
    assert last["count"] == 200 and len(last["results"]) == 20 and last["pages"] == 3


def test_an_empty_result_is_an_empty_first_page(client: Client, catalogue: int) -> None:
    body = client.get(LIST, {"q": "不存在的事项名称"}).json()
    assert body == {"count": 0, "count_exact": True, "page": 1, "page_size": 20, "pages": 1, "results": []}


def test_counting_stops_at_the_result_window(client: Client, catalogue: int, monkeypatch: Any) -> None:
    monkeypatch.setattr(catalog_api, "MAX_RESULT_WINDOW", 50)
    body = client.get(LIST).json()
    assert (body["count"], body["count_exact"], body["pages"]) == (50, False, 3)
    exact = client.get(LIST, {"region": "330106"}).json()
    assert exact["count_exact"] is True
    assert exact["count"] == _published().filter(region_id="330106").count()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"page_size": 101}, "page_size：不能大于 100。"),
        ({"page_size": 0}, "page_size：不能小于 1。"),
        ({"page": 0}, "page：不能小于 1。"),
        ({"page": "二"}, "page：应为整数。"),
        ({"online_depth": 5}, "online_depth：不能大于 4。"),
        ({"audience": "everyone"}, "audience：可选值为 person、enterprise。"),
        ({"fully_online": "maybe"}, "fully_online：应为 true 或 false。"),
        ({"region": "33010"}, "参数 region：行政区划代码应为6位数字，且首位不为0（如 330100）。"),
        ({"region": "990000"}, "行政区划代码 990000 不存在，请检查是否输错。"),
        (
            {"organisation": "ABC"},
            "参数 organisation 应为实施机构编号（数字）或18位统一社会信用代码，收到“ABC”。",
        ),
        ({"organisation": "999999"}, "实施机构 999999 不存在。"),
        ({"theme": "no-such-theme"}, "服务主题代码 no-such-theme 不存在。"),
        ({"page": 101, "page_size": 100}, "列表最多只能翻到第 10000 条结果"),
    ],
)
def test_wrong_filters_get_400_with_a_precise_chinese_message(
    client: Client, db: None, params: dict[str, Any], message: str
) -> None:
    make_theme()
    response = client.get(LIST, params)
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_unknown_item_type_lists_the_valid_codes(client: Client, db: None) -> None:
    response = client.get(LIST, {"item_type": "11"})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("事项类型代码 11 不存在。可用的代码：01 行政许可、02 行政处罚")
    assert "20 公共服务" in detail
