"""The search API: response shape, Chinese 400 errors, and the OpenAPI documentation of every field."""

from __future__ import annotations

from typing import Any

import pytest
from ninja import NinjaAPI
from ninja.testing import TestClient

from search.fixtures import Catalogue
from yiwang.search.api import router

pytestmark = pytest.mark.django_db

client = TestClient(router)


def test_search_returns_ranked_highlighted_results(catalogue: Catalogue) -> None:
    response = client.get("/search", query_params={"q": "身份證申領", "region": "330100", "page_size": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "身份證申領"
    assert body["normalised_query"] == "身份证申领"
    assert body["total"] >= 1 and body["page"] == 1 and body["page_size"] == 5
    first = body["results"][0]
    assert first["name"] == "居民身份证申领"
    assert first["region"] == {"code": "330100", "name": "杭州市"}
    assert first["organisation"]["name"] == "杭州市公安局"
    assert first["item_type"] == "07" and first["item_type_label"] == "行政确认"
    assert "<mark>" in first["highlights"]["name"]
    assert first["matched_fields"][0] == "name"
    assert isinstance(first["score"], float)
    assert body["did_you_mean"] is None and body["empty_state"] is None


def test_search_reports_did_you_mean_and_empty_state(catalogue: Catalogue) -> None:
    body = client.get("/search", query_params={"q": "居民身份正申领"}).json()
    assert body["did_you_mean"] == "居民身份证申领"
    body = client.get("/search", query_params={"q": "婚姻咨询热线"}).json()
    assert body["total"] == 0
    assert body["empty_state"]["themes"][0]["name"] == "婚姻登记"
    assert body["empty_state"]["organisations"]


def test_filters_through_the_api(catalogue: Catalogue) -> None:
    body = client.get(
        "/search",
        query_params={"q": "登记", "audience": "enterprise", "fully_online": "true", "page_size": 50},
    ).json()
    assert {result["name"] for result in body["results"]} == {
        "企业设立登记",
        "个体工商户登记",
        "企业注销登记",
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "证" * 101}, "q"),
        ({"region": "abc"}, "region"),
        ({"item_type": "xx"}, "item_type"),
        ({"page": "0"}, "page"),
        ({"page_size": "100"}, "page_size"),
    ],
)
def test_bad_parameters_get_a_chinese_400(catalogue: Catalogue, params: dict[str, Any], field: str) -> None:
    response = client.get("/search", query_params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == field
    assert any("\u4e00" <= char <= "\u9fff" for char in body["detail"])


def test_suggest(catalogue: Catalogue) -> None:
    body = client.get("/suggest", query_params={"q": "sfz", "limit": 5}).json()
    assert body["query"] == "sfz"
    assert "居民身份证申领" in [item["text"] for item in body["suggestions"]]
    assert {item["kind"] for item in body["suggestions"]} <= {"name", "alias"}
    response = client.get("/suggest", query_params={"q": "身份", "limit": 99})
    assert response.status_code == 400 and response.json()["field"] == "limit"


def test_every_field_is_documented_in_chinese() -> None:
    api = NinjaAPI(urls_namespace="search-openapi-test")
    api.add_router("/search/", router)
    schema = api.get_openapi_schema(path_prefix="/api/")
    operations = [schema["paths"][path]["get"] for path in ("/api/search/search", "/api/search/suggest")]
    for operation in operations:
        assert operation["summary"] and operation["description"]
        for parameter in operation["parameters"]:
            assert parameter.get("description"), parameter["name"]
    for name in (
        "SearchOut",
        "SearchResultOut",
        "SearchEmptyStateOut",
        "SuggestOut",
        "SuggestionOut",
        "SearchErrorOut",
    ):
        properties = schema["components"]["schemas"][name]["properties"]
        for field_name, spec in properties.items():
            assert spec.get("description"), f"{name}.{field_name}"
