"""The real `ckanapi` client (from PyPI) against a running server: list, show, search with facets,
paging through more than 1000 results, and `ckanapi dump` of every dataset."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ckanapi import NotFound, RemoteCKAN, SearchQueryError, ValidationError

from accounts.identity_factories import make_person
from catalog.factories import make_organisation
from opendata.opendata_factories import bulk_published, make_dataset, make_theme
from yiwang.opendata import keys

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api_key(db: None) -> str:
    _key, secret = keys.create_key(make_person(), label="ckanapi 测试")
    return secret


def test_ckanapi_lists_shows_searches_and_pages_past_1000(live_server: Any, api_key: str) -> None:
    organisation = make_organisation(name="杭州市统计局")
    make_theme("economy", "经济建设")
    make_dataset(organisation, name="gdp", title="地区生产总值", themes=("economy",), tags=("经济",))
    bulk_published(1005, organisation)
    site = RemoteCKAN(live_server.url, apikey=api_key)
    names = site.action.package_list()
    assert len(names) == 1006 and names[0] == "bulk-000000"
    shown = site.action.package_show(id="gdp")
    assert shown["title"] == "地区生产总值" and shown["groups"][0]["name"] == "economy"
    result = site.action.package_search(q="地区生产总值", facet_field=None, **{"facet.field": ["groups"]})
    assert result["count"] == 1 and result["search_facets"]["groups"]["items"][0]["count"] == 1
    seen: list[str] = []
    start = 0
    while True:
        page = site.action.package_search(fq="tags:批量", rows=1000, start=start, sort="name asc")
        seen.extend(d["name"] for d in page["results"])
        start += 1000
        if start >= page["count"]:
            break
    assert page["count"] == 1005 and len(seen) == 1005 and len(set(seen)) == 1005
    with pytest.raises(ValidationError):
        site.action.package_search(rows=1001)
    with pytest.raises(SearchQueryError):
        site.action.package_search(fq="nonsense:1")
    with pytest.raises(NotFound):
        site.action.package_show(id="no-such-dataset")
    orgs = site.action.organization_list(all_fields=True)
    assert orgs[0]["package_count"] == 1006
    assert RemoteCKAN(live_server.url, get_only=True).action.status_show()["api_version"] == 3


def test_ckanapi_dump_writes_every_dataset(live_server: Any, api_key: str, tmp_path: Path) -> None:
    organisation = make_organisation()
    for index in range(12):
        make_dataset(organisation, name=f"dump-{index:02d}", title=f"开放数据{index}")
    output = tmp_path / "datasets.jsonl"
    ckanapi = Path(sys.executable).with_name("ckanapi")
    completed = subprocess.run(
        [
            str(ckanapi),
            "dump",
            "datasets",
            "--all",
            "-q",
            "-p",
            "2",
            "-r",
            live_server.url,
            "-a",
            api_key,
            "-O",
            str(output),
        ],
        env={
            **os.environ,
            "PATH": f"{ckanapi.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        },  # workers re-run ckanapi
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    records = [json.loads(line) for line in output.read_text().splitlines()]
    assert sorted(r["name"] for r in records) == [f"dump-{i:02d}" for i in range(12)]
    assert all(r["resources"][0]["format"] == "CSV" for r in records)
