"""Item types, themes and bundles (一件事) with their merged material list."""

from __future__ import annotations

import pytest
from django.test import Client

from api.helpers import publish
from catalog.factories import make_guide, make_organisation, make_person_theme, make_theme
from yiwang.catalog import codes, services
from yiwang.catalog.models import Bundle, GuideVersion

pytestmark = pytest.mark.django_db

BASE = "/api/catalog"


def test_item_types_are_the_gb_t_39046_table(client: Client) -> None:
    body = client.get(f"{BASE}/item-types").json()
    assert [row["code"] for row in body] == [value for value, _label in codes.ItemType.choices]
    licensing = body[0]
    assert licensing == {"code": "01", "label": "行政许可", "on_application": True}
    assert {"code": "02", "label": "行政处罚", "on_application": False} in body


def test_themes_with_audience_filter(client: Client) -> None:
    enterprise, person = make_theme(), make_person_theme()
    every = client.get(f"{BASE}/themes").json()
    assert {t["code"] for t in every} == {enterprise.code, person.code}
    only_person = client.get(f"{BASE}/themes", {"audience": "person"}).json()
    assert [t["code"] for t in only_person] == [person.code]
    assert only_person[0]["audience_label"] == "个人"
    wrong = client.get(f"{BASE}/themes", {"audience": "robot"})
    assert wrong.status_code == 400 and "audience：可选值为 person、enterprise" in wrong.json()["detail"]


def _bundle(*guides: GuideVersion, code: str = "YJS-KBQY") -> Bundle:
    organisation = make_organisation()
    bundle = Bundle.objects.create(
        code=code,
        name="开办企业一件事",
        description="营业执照、公章刻制、社保登记一次办",
        audience=codes.Audience.ENTERPRISE,
        lead_organisation=organisation,
        region=organisation.region,
        promised_limit=3,
    )
    services.set_bundle_members(bundle, [g.implementation for g in guides])
    return services.publish_bundle(bundle)


def test_published_bundles_with_members(client: Client) -> None:
    first, second = publish(make_guide()), publish(make_guide(name="公章刻制备案"))
    _bundle(first, second)
    Bundle.objects.create(  # a draft bundle is not listed
        code="YJS-DRAFT",
        name="草稿",
        audience=codes.Audience.PERSON,
        lead_organisation=first.implementation.organisation,
        region=first.implementation.region,
    )
    body = client.get(f"{BASE}/bundles").json()
    assert [b["code"] for b in body] == ["YJS-KBQY"]
    bundle = body[0]
    assert bundle["audience_label"] == "法人" and bundle["promised_limit"] == 3
    assert [m["implementation_code"] for m in bundle["members"]] == [
        first.implementation.implementation_code,
        second.implementation.implementation_code,
    ]
    assert all(m["published"] for m in bundle["members"])


def test_bundle_detail_merges_materials_without_duplicates(client: Client) -> None:
    shared = {"name": "营业执照（副本）", "original_count": 1, "issuing_body": "市场监督管理局"}
    first = publish(
        make_guide(materials=[shared, {"name": "施工合同", "copy_count": 1, "issuing_body": "申请人"}])
    )
    second = publish(
        make_guide(
            name="公章刻制备案",
            materials=[
                {**shared, "name": "营业执照 (副本)", "copy_count": 2},  # half-width brackets, a space
                {"name": "法定代表人身份证", "copy_count": 1, "issuing_body": "公安机关"},
            ],
        )
    )
    _bundle(first, second)
    response = client.get(f"{BASE}/bundles/YJS-KBQY")
    assert response.status_code == 200
    materials = response.json()["materials"]
    names = [m["name"] for m in materials]
    assert names.count("营业执照（副本）") == 1 and "营业执照 (副本)" not in names
    licence = next(m for m in materials if m["name"] == "营业执照（副本）")
    assert licence["copy_count"] == 2 and licence["original_count"] == 1
    assert {n["implementation_code"] for n in licence["needed_by"]} == {
        first.implementation.implementation_code,
        second.implementation.implementation_code,
    }
    assert len(materials) == 3


def test_unknown_bundle_is_404_and_overlong_code_400(client: Client) -> None:
    missing = client.get(f"{BASE}/bundles/NO-SUCH")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "编码为 NO-SUCH 的一件事不存在或未发布。"
    assert client.get(f"{BASE}/bundles/{'X' * 33}").status_code == 400
