"""The published guide document: by code or id, cached bytes, and 400/404/410 in plain Chinese."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from api.helpers import publish
from catalog.factories import make_guide, make_implementation
from yiwang.catalog import services
from yiwang.catalog.models import GuideVersion
from yiwang.catalog.snapshot import build_snapshot

pytestmark = pytest.mark.django_db

BASE = "/api/catalog/implementations"


def test_detail_by_code_is_the_frozen_snapshot(client: Client, published: GuideVersion) -> None:
    code = published.implementation.implementation_code
    response = client.get(f"{BASE}/{code}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    document = response.json()
    published.refresh_from_db()
    assert document == json.loads(json.dumps(published.snapshot))
    assert document["implementation_code"] == code
    assert document["name"] == "建筑工程施工许可证核发"
    assert "施工许可".encode() in response.content  # UTF-8, not \\u escapes


def test_detail_by_database_id_and_lowercase_code(client: Client, published: GuideVersion) -> None:
    implementation = published.implementation
    by_id = client.get(f"{BASE}/{implementation.pk}")
    by_lower = client.get(f"{BASE}/{implementation.implementation_code.lower()}")
    assert by_id.status_code == by_lower.status_code == 200
    assert by_id.json()["implementation_code"] == by_lower.json()["implementation_code"]


def test_a_code_made_of_digits_wins_over_an_id(client: Client) -> None:
    first = publish(make_guide())
    numeric_code = str(first.implementation.pk)
    other = publish(make_guide(implementation=make_implementation(implementation_code=numeric_code)))
    document = client.get(f"{BASE}/{numeric_code}").json()
    assert document["implementation_code"] == other.implementation.implementation_code == numeric_code


def test_detail_is_one_query_then_none_and_the_same_bytes_every_time(
    client: Client, published: GuideVersion, settings: Any, django_assert_num_queries: object
) -> None:
    # A check interval longer than the test: the change marker is read once, by the first request.
    settings.YIWANG_CATALOG_READ_CACHE_CHECK_SECONDS = 3600
    code = published.implementation.implementation_code
    with django_assert_num_queries(2):  # type: ignore[operator]  # the document and the change marker
        first = client.get(f"{BASE}/{code}")
    with django_assert_num_queries(0):  # type: ignore[operator]  # from this process's read cache
        second = client.get(f"{BASE}/{code}")
    assert first.status_code == 200 and first.content == second.content


def test_a_new_version_is_served_once_published(client: Client, published: GuideVersion) -> None:
    implementation = published.implementation
    code = implementation.implementation_code
    assert client.get(f"{BASE}/{code}").json()["version"] == 1
    draft = services.new_version(implementation, change_note="更新办理地点")
    services.update_draft(draft, fields={"place": "杭州市民中心3楼C区8号窗口"})
    publish(draft)
    document = client.get(f"{BASE}/{code}").json()
    assert document["version"] == 2
    assert document["place"] == "杭州市民中心3楼C区8号窗口"


@pytest.mark.parametrize("bad", ["abc-123", "有中文", "A" * 41, "11330100 002489725H"])
def test_malformed_codes_get_400_saying_what_a_code_looks_like(client: Client, bad: str) -> None:
    response = client.get(f"{BASE}/{bad}")
    assert response.status_code == 400
    assert "不是有效的实施编码或编号" in response.json()["detail"]
    assert "1–40位数字或大写字母" in response.json()["detail"]


def test_unknown_code_is_404_naming_the_code(client: Client, db: None) -> None:
    response = client.get(f"{BASE}/11330100002489725H3000117112999")
    assert response.status_code == 404
    assert response.json()["detail"] == "实施编码（或编号）为 11330100002489725H3000117112999 的事项不存在。"


def test_an_unpublished_implementation_is_404(client: Client, db: None) -> None:
    draft = make_guide()
    response = client.get(f"{BASE}/{draft.implementation.implementation_code}")
    assert response.status_code == 404
    assert "尚未发布" in response.json()["detail"]


def test_a_withdrawn_implementation_is_410_saying_when_and_why(
    client: Client, published: GuideVersion
) -> None:
    implementation = published.implementation
    services.withdraw(implementation, reason="依据省政府令第400号调整，该事项下放至区县实施")
    response = client.get(f"{BASE}/{implementation.implementation_code}")
    assert response.status_code == 410
    body = response.json()
    published.refresh_from_db()
    assert body["reason"] == "依据省政府令第400号调整，该事项下放至区县实施"
    assert body["implementation_code"] == implementation.implementation_code
    assert "已于" in body["detail"] and "取消" in body["detail"]
    assert "依据省政府令第400号调整" in body["detail"]
    assert published.withdrawn_at is not None
    assert published.withdrawn_at.astimezone().strftime("%Y") in body["detail"]
    findings = client.get(f"{BASE}/{implementation.implementation_code}/findings")
    assert findings.status_code == 410


def test_findings_of_the_published_version(client: Client, db: None) -> None:
    # Published with a warning (no blocking finding): a place without floor or window number.
    guide = publish(make_guide(place="杭州市西湖区文三路市民中心"))
    response = client.get(f"{BASE}/{guide.implementation.implementation_code}/findings")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1 and body["blocking_findings"] == 0
    assert body["quality_score"] == 96
    assert [f["rule"] for f in body["findings"]] == ["place.precise"]
    assert body["findings"][0]["severity"] == "warning"
    assert "办理地点不够具体" in body["findings"][0]["message"]


def test_version_history_lists_public_versions_newest_first(client: Client, published: GuideVersion) -> None:
    implementation = published.implementation
    publish(services.new_version(implementation, change_note="调整承诺时限"))
    services.new_version(implementation, change_note="草稿不公开")
    response = client.get(f"{BASE}/{implementation.implementation_code}/versions")
    assert response.status_code == 200
    versions = response.json()["versions"]
    assert [(v["version"], v["status"]) for v in versions] == [(2, "published"), (1, "superseded")]
    assert versions[0]["change_note"] == "调整承诺时限"
    assert versions[0]["status_label"] == "已发布"
    assert versions[1]["status_reason"] == "被第2版替代"


def test_the_snapshot_document_matches_build_snapshot(client: Client, published: GuideVersion) -> None:
    guide = GuideVersion.objects.select_related("implementation").get(pk=published.pk)
    document = client.get(f"{BASE}/{guide.implementation.implementation_code}").json()
    assert document == json.loads(json.dumps(build_snapshot(guide)))
