"""The CKAN Action API over HTTP: envelope, read actions, search with facets and paging, error forms."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from catalog.factories import make_organisation
from opendata.opendata_factories import make_dataset, make_theme
from yiwang.opendata import services
from yiwang.opendata.models import ResourceFormat

pytestmark = pytest.mark.django_db


def call(client: Client, action: str, *, post: bool = False, version: bool = True, **params: Any) -> Any:
    prefix = "/api/3/action/" if version else "/api/action/"
    if post:
        return client.post(prefix + action, data=json.dumps(params), content_type="application/json")
    return client.get(prefix + action, params)


def test_package_list_and_show_with_the_ckan_envelope(client: Client) -> None:
    make_theme()
    dataset = make_dataset(
        name="bus-stops", themes=("traffic",), formats=(ResourceFormat.CSV, ResourceFormat.API)
    )
    make_dataset(name="draft-one", publish=False)
    response = call(client, "package_list", version=False)
    body = response.json()
    assert response.status_code == 200
    assert body["success"] is True and body["result"] == ["bus-stops"]
    assert body["help"].endswith("/api/3/action/help_show?name=package_list")
    shown = call(client, "package_show", post=True, id="bus-stops").json()["result"]
    assert shown["id"] == str(dataset.uid) and shown["title"] == "公交站点信息"
    assert shown["organization"]["name"] == dataset.organisation.uscc.lower()
    assert [g["name"] for g in shown["groups"]] == ["traffic"]
    assert shown["num_resources"] == 2
    csv = shown["resources"][0]
    assert csv["format"] == "CSV" and csv["size"] > 0 and csv["hash"].startswith("sha256:")
    assert csv["row_count"] == 3 and csv["columns"] == ["站点名称", "线路数", "所在区"]
    assert shown["resources"][1]["url"] == "https://data.example.gov.cn/api"
    assert call(client, "package_show", id=str(dataset.uid)).json()["result"]["name"] == "bus-stops"


def test_search_filters_facets_and_pages(client: Client) -> None:
    transport = make_organisation(name="杭州市交通运输局")
    market = make_organisation(name="杭州市市场监督管理局")
    make_theme("traffic", "交通出行")
    make_theme("credit", "信用服务")
    for index in range(5):
        make_dataset(
            transport, name=f"bus-{index}", title=f"公交线路{index}", themes=("traffic",), tags=("公交",)
        )
    for index in range(3):
        make_dataset(
            market, name=f"firm-{index}", title=f"企业信用信息{index}", themes=("credit",), tags=("信用",)
        )
    body = call(
        client, "package_search", q="公交", rows=2, start=0, **{"facet.field": '["organization","tags"]'}
    ).json()
    result = body["result"]
    assert result["count"] == 5 and len(result["results"]) == 2
    assert result["facets"]["organization"] == {transport.uscc.lower(): 5}
    items = result["search_facets"]["organization"]["items"]
    assert items == [{"name": transport.uscc.lower(), "display_name": "杭州市交通运输局", "count": 5}]
    filtered = call(client, "package_search", fq=f"organization:{market.uscc.lower()} tags:信用").json()[
        "result"
    ]
    assert filtered["count"] == 3
    negated = call(client, "package_search", fq="-groups:credit", rows=100).json()["result"]
    assert negated["count"] == 5
    by_name = call(client, "package_search", sort="name asc", rows=3, start=3).json()["result"]
    assert [d["name"] for d in by_name["results"]] == ["bus-3", "bus-4", "firm-0"]
    everything = call(client, "package_search", q="*:*", post=True, **{"facet.field": ["groups"]}).json()[
        "result"
    ]
    assert everything["count"] == 8 and everything["facets"]["groups"] == {"traffic": 5, "credit": 3}


def test_title_matches_rank_first(client: Client) -> None:
    make_dataset(name="a-notes", title="道路养护计划", notes="包括公交专用道的养护")
    make_dataset(name="b-title", title="公交专用道分布")
    result = call(client, "package_search", q="公交专用道").json()["result"]
    assert [d["name"] for d in result["results"]] == ["b-title", "a-notes"]


def test_organizations_groups_tags_resources_and_status(client: Client) -> None:
    organisation = make_organisation(name="杭州市数据资源管理局")
    make_theme("traffic", "交通出行")
    dataset = make_dataset(organisation, name="stops", themes=("traffic",), tags=("公交", "站点"))
    orgs = call(client, "organization_list", all_fields="true").json()["result"]
    assert orgs[0]["title"] == "杭州市数据资源管理局" and orgs[0]["package_count"] == 1
    shown = call(client, "organization_show", id=organisation.uscc.lower(), include_datasets="true").json()[
        "result"
    ]
    assert [p["name"] for p in shown["packages"]] == ["stops"]
    assert call(client, "group_list").json()["result"] == ["traffic"]
    group = call(client, "group_show", id="traffic", include_datasets=True, post=True).json()["result"]
    assert group["package_count"] == 1 and group["packages"][0]["name"] == "stops"
    assert call(client, "tag_list").json()["result"] == ["公交", "站点"]
    assert call(client, "tag_list", query="站").json()["result"] == ["站点"]
    resource = dataset.resources.first()
    assert resource is not None
    assert call(client, "resource_show", id=str(resource.uid)).json()["result"]["package_id"] == str(
        dataset.uid
    )
    status = call(client, "status_show").json()["result"]
    assert status["ckan_version"].startswith("2.") and status["api_version"] == 3


@pytest.mark.parametrize(
    ("action", "params", "status", "kind"),
    [
        ("package_show", {"id": "no-such"}, 404, "Not Found Error"),
        ("package_show", {}, 409, "Validation Error"),
        ("package_search", {"rows": "1001"}, 409, "Validation Error"),
        ("package_search", {"rows": "many"}, 409, "Validation Error"),
        ("package_search", {"fq": "colour:red"}, 400, "Search Query Error"),
        ("package_search", {"fq": 'tags:"unclosed'}, 400, "Search Query Error"),
        ("package_search", {"sort": "popularity desc"}, 400, "Search Query Error"),
        ("package_search", {"facet.field": '["secret"]'}, 400, "Search Query Error"),
        ("resource_show", {"id": "00000000-0000-0000-0000-000000000000"}, 404, "Not Found Error"),
        ("no_such_action", {}, 400, "Bad Request"),
    ],
)
def test_errors_have_the_ckan_shape(
    client: Client, action: str, params: dict[str, str], status: int, kind: str
) -> None:
    response = call(client, action, **params)
    body = response.json()
    assert response.status_code == status
    assert body["success"] is False and body["error"]["__type"] == kind
    assert "help" in body


def test_unpublished_dataset_is_an_authorization_error_for_others(client: Client) -> None:
    make_dataset(name="secret-draft", publish=False)
    body = call(client, "package_show", id="secret-draft").json()
    assert body["error"]["__type"] == "Authorization Error"


def test_withdrawn_dataset_leaves_search_and_facets(client: Client) -> None:
    dataset = make_dataset(name="gone", tags=("临时",))
    services.withdraw(dataset, actor=None, reason="数据已过时")
    result = call(client, "package_search", q="*:*", **{"facet.field": '["tags"]'}).json()["result"]
    assert result["count"] == 0 and result["facets"]["tags"] == {}
