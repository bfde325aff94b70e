"""Portal pages, downloads, DCAT documents, the metadata dump, API keys and the platform's own datasets."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from accounts.identity_factories import make_person, make_staff
from catalog.factories import make_organisation
from opendata.opendata_factories import csv_bytes, make_dataset, make_theme
from web.portal_data import build_portal_catalog
from yiwang.accounts.models import Role
from yiwang.opendata import keys, system
from yiwang.opendata.models import ApiKey, Dataset, DatasetStatus

pytestmark = pytest.mark.django_db


def test_portal_lists_filters_and_searches(client: Client) -> None:
    make_theme("traffic", "交通出行")
    make_dataset(name="bus", title="公交站点", themes=("traffic",))
    make_dataset(name="firms", title="企业名录", tags=("企业",))
    page = client.get("/opendata/").content.decode()
    assert "共 2 个数据集" in page and "交通出行</span>（1）" in page
    found = client.get("/opendata/", {"q": "公交"}).content.decode()
    assert "共 1 个数据集" in found and "公交站点" in found and "企业名录" not in found
    themed = client.get("/opendata/", {"theme": "traffic"}).content.decode()
    assert "共 1 个数据集" in themed
    none = client.get("/opendata/", {"q": "不存在的词语组合"}).content.decode()
    assert "没有找到符合条件的数据集" in none


def test_dataset_page_preview_download_and_snippet(client: Client) -> None:
    dataset = make_dataset(name="bus", title="公交站点")
    html = client.get("/opendata/datasets/bus").content.decode()
    assert "数据预览（前 10 行）" in html and "站点0" in html
    assert "site.action.package_show(id=&#x27;bus&#x27;)" in html
    resource = dataset.resources.get()
    response = client.get(f"/opendata/datasets/bus/resources/{resource.uid}/download")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == csv_bytes()  # type: ignore[attr-defined]
    assert response["Digest"] == f"sha-256={resource.sha256}"


def test_draft_pages_are_hidden_from_the_public(client: Client) -> None:
    make_dataset(name="draft", publish=False)
    assert client.get("/opendata/datasets/draft").status_code == 404
    assert client.get("/opendata/datasets/draft.ttl").status_code == 404


def test_dcat_documents_parse_and_carry_the_expected_triples(client: Client) -> None:
    make_theme("traffic", "交通出行")
    dataset = make_dataset(name="bus", title="公交站点", themes=("traffic",), tags=("公交",))
    for suffix, fmt in (("ttl", "turtle"), ("jsonld", "json-ld"), ("rdf", "xml")):
        response = client.get(f"/opendata/datasets/bus.{suffix}")
        graph = Graph().parse(data=response.content, format=fmt)
        node = URIRef("http://testserver/opendata/datasets/bus")
        assert (node, RDF.type, DCAT.Dataset) in graph, suffix
        assert (node, DCTERMS.title, Literal("公交站点", lang="zh")) in graph
        assert (node, DCAT.keyword, Literal("公交", lang="zh")) in graph
        assert (node, DCTERMS.identifier, Literal(str(dataset.uid))) in graph
        distributions = list(graph.objects(node, DCAT.distribution))
        assert len(distributions) == 1
        assert (distributions[0], DCAT.byteSize, None) in graph
        assert (node, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")) in graph
    catalogue = Graph().parse(data=client.get("/opendata/catalog.ttl").content, format="turtle")
    root = URIRef("http://testserver/opendata/catalog")
    assert (root, RDF.type, DCAT.Catalog) in catalogue
    assert list(catalogue.objects(root, DCAT.dataset)) == [URIRef("http://testserver/opendata/datasets/bus")]


def test_metadata_dump_streams_every_published_dataset(client: Client) -> None:
    for index in range(3):
        make_dataset(name=f"d{index}")
    make_dataset(name="hidden", publish=False)
    response = client.get("/opendata/dump.jsonl")
    lines = b"".join(response.streaming_content).decode().splitlines()  # type: ignore[attr-defined]
    assert sorted(json.loads(line)["name"] for line in lines) == ["d0", "d1", "d2"]


def test_api_keys_raise_the_limit_and_bad_keys_are_refused(client: Client, settings: object) -> None:
    settings.YIWANG_OPENDATA_ANON_RATE = 2  # type: ignore[attr-defined]
    cache.clear()  # the window counts earlier tests' requests from the same address
    make_dataset(name="bus")
    for _ in range(2):
        assert client.get("/api/3/action/package_list").status_code == 200
    limited = client.get("/api/3/action/package_list")
    assert limited.status_code == 429 and "Retry-After" in limited
    person = make_person()
    _key, secret = keys.create_key(person, label="分析程序")
    for _ in range(3):
        assert client.get("/api/3/action/package_list", HTTP_AUTHORIZATION=secret).status_code == 200
    refused = client.get("/api/3/action/package_list", HTTP_X_CKAN_API_KEY="ywod_forged")
    assert refused.status_code == 403 and refused.json()["error"]["__type"] == "Authorization Error"
    assert ApiKey.objects.get(user=person).last_used_at is not None


def test_key_page_shows_the_secret_once(client: Client) -> None:
    person = make_person()
    client.force_login(person)
    html = client.post("/opendata/keys", {"label": "交通分析"}).content.decode()
    key = ApiKey.objects.get(user=person)
    assert "只显示这一次" in html and key.prefix in html
    assert "只显示这一次" not in client.get("/opendata/keys").content.decode()
    assert "请说明密钥的用途" in client.post("/opendata/keys", {"label": ""}).content.decode()


def test_editor_creates_uploads_publishes_and_sees_precise_upload_errors(client: Client) -> None:
    organisation = make_organisation()
    make_theme("traffic", "交通出行")
    editor = make_staff(organisation, Role.CATALOG_EDITOR)
    client.force_login(editor)
    response = client.post(
        "/opendata/manage/new",
        {"organisation": organisation.pk, "title": "公交线路", "name": "Bad Name", "license_id": "cc-by-4.0"},
    )
    assert "标识只能由小写英文字母" in response.content.decode()
    assert "公交线路" in response.content.decode()  # what was typed is kept
    client.post(
        "/opendata/manage/new",
        {
            "organisation": organisation.pk,
            "title": "公交线路",
            "name": "bus-lines",
            "license_id": "cc-by-4.0",
            "themes": ["traffic"],
            "tags": "公交，线路",
        },
    )
    dataset = Dataset.objects.get(name="bus-lines")
    assert dataset.tags == ["公交", "线路"]
    bad = client.post(
        "/opendata/manage/bus-lines",
        {
            "action": "upload",
            "resource_name": "线路表",
            "format": "CSV",
            "file": _upload("名称,名称\n甲,乙\n".encode()),
        },
    )
    assert bad.status_code == 400 and "列名“名称”重复" in bad.content.decode()
    client.post(
        "/opendata/manage/bus-lines",
        {"action": "upload", "resource_name": "线路表", "format": "CSV", "file": _upload(csv_bytes())},
    )
    client.post("/opendata/manage/bus-lines", {"action": "publish"})
    dataset.refresh_from_db()
    assert dataset.status == DatasetStatus.PUBLISHED
    assert (
        client.get("/api/3/action/package_show", {"id": "bus-lines"}).json()["result"]["num_resources"] == 1
    )


def test_outsiders_cannot_manage(client: Client) -> None:
    make_dataset(name="bus")
    client.force_login(make_person())
    assert client.get("/opendata/manage/").status_code == 403
    assert client.get("/opendata/manage/bus").status_code == 403


def _upload(data: bytes) -> object:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("table.csv", data, content_type="text/csv")


def test_the_platform_publishes_its_service_catalogue_without_personal_data(client: Client) -> None:
    build_portal_catalog()
    outcome = system.refresh()
    assert outcome["service-catalogue"] == "已更新"
    dataset = Dataset.objects.get(system_key="service-catalogue")
    assert dataset.status == DatasetStatus.PUBLISHED
    resource = dataset.resources.get()
    assert resource.columns[:2] == ["实施编码", "事项名称"] and (resource.row_count or 0) > 0
    assert system.refresh(["service-catalogue"])["service-catalogue"] == "无变化"
    text = resource.file.read().decode()
    assert "居民身份证换领" in text
    shown = client.get("/api/3/action/package_show", {"id": "service-catalogue"}).json()["result"]
    assert shown["system_published"] is True


def test_demo_loader_is_idempotent(capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    from yiwang.opendata import demo

    for name in ("浙江省市场监督管理局", "浙江省民政厅"):
        make_organisation(name=name)
    demo.load_demo(stdout=sys.stdout)
    first = Dataset.objects.count()
    demo.load_demo(stdout=sys.stdout)
    assert Dataset.objects.count() == first >= 2
    assert "演示数据" in Dataset.objects.get(name="zj-elderly-care-institutions").notes
