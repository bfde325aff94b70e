"""Per-implementation application forms: a JSON schema kept with the guide (GuideVersion.form_schema),
checked on save and import with precise Chinese errors, merged with the platform's own fields, rendered and
validated on the server, and carried through the catalogue's JSON and XLSX exchange."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from cases.case_factories import applicant, form_for, publish
from catalog.factories import make_guide
from yiwang.cases import formschema, services
from yiwang.cases.formschema import FormInvalid
from yiwang.catalog import exchange
from yiwang.catalog.form_schema import check_form_schema

SCHEMA: dict[str, Any] = {
    "properties": {
        "floor_area": {"type": "number", "title": "建筑面积（平方米）", "minimum": 1, "maximum": 1000000},
        "storeys": {"type": "integer", "title": "地上层数", "minimum": 1},
        "structure": {"type": "string", "title": "结构类型", "enum": ["框架", "砖混", "钢结构"]},
        "start_date": {"type": "string", "title": "计划开工日期", "format": "date"},
        "green_building": {"type": "boolean", "title": "是否绿色建筑"},
        "project_summary": {"type": "string", "title": "项目概况", "x-widget": "textarea", "maxLength": 300},
    },
    "required": ["floor_area", "storeys", "structure", "start_date"],
}


def test_a_good_schema_has_no_problems_and_empty_means_default() -> None:
    assert check_form_schema(SCHEMA) == []
    assert check_form_schema({}) == [] and check_form_schema(None) == []


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ([1, 2], "申请表定义应为一个 JSON 对象"),
        ({"properties": {}}, "须在 properties 中至少列出一个栏目"),
        ({"properties": {"Area": {"type": "string", "title": "面积"}}}, "栏目名“Area”不合规"),
        ({"properties": {"contact_phone": {"type": "string", "title": "电话"}}}, "是平台固定栏目"),
        (
            {"properties": {"a": {"type": "array", "title": "甲"}}},
            "type 应为 string、integer、number 或 boolean",
        ),
        ({"properties": {"a": {"type": "string"}}}, "须有 title"),
        ({"properties": {"a": {"type": "string", "title": "甲", "oneOf": []}}}, "不支持这些设置：oneOf"),
        (
            {"properties": {"a": {"type": "integer", "title": "甲", "pattern": "x"}}},
            "不支持这些设置：pattern",
        ),
        (
            {"properties": {"a": {"type": "string", "title": "甲", "pattern": "(["}}},
            "pattern 不是有效的正则表达式",
        ),
        (
            {"properties": {"a": {"type": "string", "title": "甲", "minLength": 5, "maxLength": 2}}},
            "minLength 大于 maxLength",
        ),
        ({"properties": {"a": {"type": "string", "title": "甲", "format": "uri"}}}, "format 只能是 date"),
        (
            {"properties": {"a": {"type": "integer", "title": "甲", "enum": ["1"]}}},
            "enum（可选项）应为 1–100 个与栏目类型（integer）一致的值",
        ),
        (
            {"properties": {"a": {"type": "string", "title": "甲", "enum": ["x", "x"]}}},
            "enum（可选项）有重复",
        ),
        (
            {"properties": {"a": {"type": "string", "title": "甲"}}, "required": ["b"]},
            "required 中的栏目未在 properties 中定义：b",
        ),
        (
            {"properties": {"a": {"type": "string", "title": "甲"}}, "additionalProperties": True},
            "additionalProperties 只能是 false",
        ),
        ({"properties": {"a": {"type": "string", "title": "甲"}}, "if": {}}, "不支持这些顶层设置：if"),
    ],
)
def test_a_bad_schema_is_explained(schema: Any, expected: str) -> None:
    problems = check_form_schema(schema)
    assert any(expected in p for p in problems), problems


def test_saving_a_guide_with_a_bad_schema_is_refused(db: None) -> None:
    guide = make_guide(form_schema={"properties": {"address": {"type": "string", "title": "地址"}}})
    with pytest.raises(ValidationError) as refused:
        guide.full_clean()
    assert "form_schema" in refused.value.message_dict
    assert "是平台固定栏目" in refused.value.message_dict["form_schema"][0]
    guide.form_schema = SCHEMA
    guide.full_clean(exclude=["result_sample"])


def test_the_stored_fields_join_the_platform_fields(db: None) -> None:
    item = publish(form_schema=SCHEMA)
    schema = formschema.form_schema_for(item.published_version)
    names = list(schema["properties"])
    assert names[:3] == ["applicant_name", "contact_phone", "address"]
    assert {
        "floor_area",
        "storeys",
        "structure",
        "start_date",
        "green_building",
        "project_summary",
        "remarks",
    } <= set(names)
    assert "application_matter" not in names  # the item type's default field gives way to the item's own
    assert schema["required"] == [
        "applicant_name",
        "contact_phone",
        "address",
        "floor_area",
        "storeys",
        "structure",
        "start_date",
    ]
    # Order: required fields as `required` lists them, then optional ones by name (jsonb keeps no key order).
    assert names[3:9] == [
        "floor_area",
        "storeys",
        "structure",
        "start_date",
        "green_building",
        "project_summary",
    ]
    ordered = {
        **SCHEMA,
        "x-order": ["structure", "project_summary", "floor_area", "storeys", "start_date", "green_building"],
    }
    assert check_form_schema(ordered) == []
    assert check_form_schema({**SCHEMA, "x-order": ["structure"]}) == [
        "x-order（栏目顺序）应把 properties 中的每个栏目各列一次。"
    ]
    item.published_version.form_schema = ordered
    assert list(formschema.form_schema_for(item.published_version)["properties"])[3:5] == [
        "structure",
        "project_summary",
    ]
    enterprise = formschema.form_schema_for(item.published_version, for_enterprise=True)
    assert {"enterprise_name", "enterprise_uscc"} <= set(enterprise["required"])


def test_html_values_are_typed_and_validated(db: None) -> None:
    item = publish(form_schema=SCHEMA)
    schema = formschema.form_schema_for(item.published_version)
    post = QueryDict(mutable=True)
    post.update(
        {
            "floor_area": "1250.5",
            "storeys": "十二",
            "structure": "木结构",
            "start_date": "2025-13-40",
            "green_building": "1",
        }
    )
    values, raw = formschema.values_from_post(schema, post)
    assert values["floor_area"] == 1250.5 and values["green_building"] is True and raw["storeys"] == "十二"
    errors = formschema.form_errors(schema, values)
    assert errors["storeys"] == ["“地上层数”应为整数，只填数字。"]
    assert errors["structure"] == ["“结构类型”只能从给出的选项中选择。"]
    assert errors["start_date"] == ["“计划开工日期”应为日期，格式如 2025-01-31。"]
    assert errors["address"] == ["请填写“联系地址”。"]
    widgets = {f["name"]: f["widget"] for f in formschema.form_fields(schema, values)}
    assert widgets == {
        "applicant_name": "text", "contact_phone": "tel", "address": "text", "floor_area": "number",
        "storeys": "integer", "structure": "select", "start_date": "date", "green_building": "checkbox",
        "project_summary": "textarea", "remarks": "textarea",
    }  # fmt: skip


def test_services_validate_against_the_stored_schema(db: None) -> None:
    item = publish(form_schema=SCHEMA)
    person = applicant()
    with pytest.raises(FormInvalid) as refused:
        services.create_draft(item, applicant=person, form_data={"storeys": 0})
    assert refused.value.errors["storeys"] == ["“地上层数”不能小于 1。"]
    good = {
        **form_for(person),
        "floor_area": 800,
        "storeys": 6,
        "structure": "框架",
        "start_date": "2025-06-01",
    }
    good.pop("application_matter")
    case = services.create_draft(item, applicant=person, form_data=good)
    assert case.form_data["storeys"] == 6


def test_the_form_page_renders_the_items_own_fields(client: Any, db: None) -> None:
    item = publish(form_schema=SCHEMA)
    person = applicant()
    client.force_login(person)
    case = services.create_draft(item, applicant=person)
    html = client.get(f"/apply/drafts/{case.pk}/form").content.decode()
    assert (
        '<select id="field-structure" name="structure"' in html
        and '<option value="砖混">砖混</option>' in html
    )
    assert 'type="date"' in html and 'inputmode="numeric"' in html and 'inputmode="decimal"' in html
    assert 'type="checkbox" id="field-green_building"' in html
    assert '<span lang="zh-Hans">地上层数</span>' in html  # the item's own wording is Chinese content


def test_exchange_carries_the_schema_and_refuses_a_bad_one(db: None) -> None:
    item = publish(form_schema=SCHEMA)
    document = exchange.export_document()
    entry = next(
        e for e in document["implementations"] if e["implementation_code"] == item.implementation_code
    )
    assert entry["guide"]["form_schema"] == SCHEMA
    assert exchange.import_xlsx(exchange.export_xlsx(document)) == document
    broken = copy.deepcopy(document)
    broken_entry = next(
        e for e in broken["implementations"] if e["implementation_code"] == item.implementation_code
    )
    broken_entry["guide"]["form_schema"] = {
        "properties": {"storeys": {"type": "integer", "title": "层数", "enum": "1"}}
    }
    report = exchange.ImportReport()
    exchange.parse_document(broken, report)
    assert any("form_schema" in e and "enum（可选项）" in e for e in report.errors), report.errors
