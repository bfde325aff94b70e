"""The OpenAPI document is served and says in Chinese what every field of the catalogue API means."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from api.helpers import publish
from catalog.factories import make_guide
from yiwang.catalog.models import GuideVersion
from yiwang.catalog.snapshot import build_snapshot

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def _properties(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return schema["components"]["schemas"][name]["properties"]


@pytest.mark.parametrize(
    "component",
    [
        "ImplementationRow",
        "ImplementationPage",
        "GuideDocument",
        "MaterialDoc",
        "StepDoc",
        "FindingsOut",
        "BundleDetailOut",
    ],
)
def test_every_field_has_a_chinese_description(schema: dict[str, Any], component: str) -> None:
    properties = _properties(schema, component)
    assert properties
    missing = [name for name, spec in properties.items() if not CHINESE.search(spec.get("description", ""))]
    assert missing == []


def test_list_parameters_are_described_in_chinese(schema: dict[str, Any]) -> None:
    operation = schema["paths"]["/api/catalog/implementations"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) >= {
        "region",
        "organisation",
        "item_type",
        "audience",
        "theme",
        "online_depth",
        "page",
    }
    assert all(CHINESE.search(p.get("description", "")) for p in parameters.values())
    assert parameters["page_size"]["schema"]["maximum"] == 100
    assert {"200", "400", "404", "429"} <= set(operation["responses"])


def test_detail_documents_its_response_and_errors(schema: dict[str, Any]) -> None:
    responses = schema["paths"]["/api/catalog/implementations/{code_or_id}"]["get"]["responses"]
    assert responses["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/GuideDocument")
    assert {"400", "404", "410"} <= set(responses)


@pytest.mark.django_db
def test_guide_document_schema_has_exactly_the_snapshot_keys(schema: dict[str, Any]) -> None:
    guide = publish(make_guide())
    snapshot = build_snapshot(GuideVersion.objects.get(pk=guide.pk))
    assert set(_properties(schema, "GuideDocument")) == set(snapshot)
    assert set(_properties(schema, "MaterialDoc")) == set(snapshot["materials"][0])
    assert set(_properties(schema, "StepDoc")) == set(snapshot["steps"][0])
    assert set(_properties(schema, "FeeDoc")) == set(snapshot["fees"][0])
    assert set(_properties(schema, "SpecialProcedureDoc")) == set(snapshot["special_procedures"][0])
