"""Search rows and facet counts: they follow every change (cached counts included), whichever way they
are counted, and paging through any order returns every matching dataset once."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.test import Client

from catalog.factories import make_organisation
from opendata.opendata_factories import bulk_published, make_dataset, make_theme
from yiwang.opendata import search, services
from yiwang.opendata.models import Dataset, DatasetSearchRow, DatasetStatus, ResourceFormat
from yiwang.opendata.serialise import org_name

pytestmark = pytest.mark.django_db

FIELDS = ["organization", "groups", "tags", "res_format", "license_id", "frequency"]


def facets(client: Client, **params: Any) -> tuple[int, dict[str, dict[str, int]]]:
    params = {"facet.field": str(FIELDS).replace("'", '"'), "facet.limit": "-1", "rows": "0", **params}
    response = client.get("/api/3/action/package_search", params)
    assert response.status_code == 200, response.content
    result = response.json()["result"]
    return result["count"], result["facets"]


def expected(datasets: list[Dataset]) -> dict[str, dict[str, int]]:
    """Facet counts computed straight from the models, the way CKAN's Solr would count them."""
    counts: dict[str, Counter[str]] = {name: Counter() for name in FIELDS}
    for dataset in datasets:
        counts["organization"][org_name(dataset.organisation)] += 1
        counts["license_id"][dataset.license_id] += 1
        counts["frequency"][dataset.update_frequency] += 1
        counts["groups"].update({theme.name for theme in dataset.themes.all()})
        counts["tags"].update(set(dataset.tags))
        counts["res_format"].update({resource.format for resource in dataset.resources.all()})
    return {name: dict(counter) for name, counter in counts.items()}


def published(**filters: Any) -> list[Dataset]:
    return list(Dataset.objects.filter(status=DatasetStatus.PUBLISHED, **filters))


def test_facet_counts_follow_updates_resources_withdrawal_and_republishing(client: Client) -> None:
    make_theme("traffic", "交通出行")
    make_theme("credit", "信用服务")
    city = make_organisation()
    first = make_dataset(city, title="公交站点", themes=("traffic",), tags=("公交", "站点"))
    make_dataset(city, title="公交线路", themes=("traffic",), tags=("公交",), formats=(ResourceFormat.API,))
    make_dataset(title="企业信用", themes=("credit",), tags=("信用",), license_id="cc0-1.0")

    assert facets(client) == (3, expected(published()))
    assert facets(client, q="公交") == (2, expected(published(title__startswith="公交")))

    # An edit changes tags and themes; the cached counts of both searches must not survive it.
    services.update_dataset(
        first,
        services.DatasetInput(
            name=first.name,
            title=first.title,
            notes=first.notes,
            organisation=city,
            license_id="odc-by",
            themes=("credit",),
            tags=("公交", "换乘"),
        ),
        actor=None,
    )
    count, counted = facets(client, q="公交")
    assert count == 2 and counted == expected(published(title__startswith="公交"))
    assert counted["tags"] == {"公交": 2, "换乘": 1} and counted["license_id"] == {
        "cc-by-4.0": 1,
        "odc-by": 1,
    }
    assert facets(client) == (3, expected(published()))

    services.add_resource(
        first, actor=None, name="接口", format=ResourceFormat.API, url="https://x.example/a"
    )
    assert facets(client, q="公交")[1]["res_format"] == {"CSV": 1, "API": 2}

    services.withdraw(Dataset.objects.get(pk=first.pk), actor=None, reason="数据有误")
    assert not DatasetSearchRow.objects.filter(dataset=first).exists()
    assert facets(client, q="公交") == (1, expected(published(title__startswith="公交")))
    assert facets(client) == (2, expected(published()))

    services.publish(Dataset.objects.get(pk=first.pk), actor=None)
    assert facets(client, q="公交") == (2, expected(published(title__startswith="公交")))
    assert facets(client) == (3, expected(published()))


def test_large_matches_count_facets_from_the_complement(client: Client) -> None:
    """When more than half match, counts are totals minus the non-matching datasets: same numbers."""
    make_theme("traffic", "交通出行")
    organisation = make_organisation()
    bulk_published(12, organisation, prefix="many", tag="统计")
    make_dataset(organisation, title="公交站点", themes=("traffic",), tags=("公交",))
    make_dataset(title="企业信用", tags=("信用", "统计"), formats=(ResourceFormat.CSV, ResourceFormat.API))
    everything = published()
    assert search.published_total() == 14

    count, counted = facets(client, fq="-tags:公交")
    assert count == 13 and counted == expected([d for d in everything if "公交" not in d.tags])
    count, counted = facets(client, fq="tags:统计")
    assert count == 13 and counted == expected([d for d in everything if "统计" in d.tags])
    # Fewer than half: counted directly from the matching rows.
    count, counted = facets(client, fq="tags:(公交 OR 信用)")
    assert count == 2 and counted == expected([d for d in everything if {"公交", "信用"} & set(d.tags)])


def test_facet_limit_and_mincount(client: Client) -> None:
    organisation = make_organisation()
    make_dataset(organisation, title="公交一", tags=("公交", "站点"))
    make_dataset(organisation, title="公交二", tags=("公交", "线路"))
    make_dataset(organisation, title="公交三", tags=("公交", "站点", "线路", "换乘"))
    _count, limited = facets(client, **{"facet.limit": "2"})
    assert limited["tags"] == {"公交": 3, "站点": 2}  # most frequent first, ties by value
    _count, frequent = facets(client, **{"facet.mincount": "2"})
    assert frequent["tags"] == {"公交": 3, "站点": 2, "线路": 2}


def test_search_rows_keep_the_sort_keys_and_paging_returns_each_dataset_once(client: Client) -> None:
    organisation = make_organisation()
    bulk_published(9, organisation, prefix="page", tag="分页")
    make_dataset(organisation, name="page-x", title="统计数据 额外", tags=("分页",))
    for dataset in published():
        row = DatasetSearchRow.objects.get(dataset=dataset)
        assert (row.name, row.title, row.modified_at, row.created_at) == (
            dataset.name,
            dataset.title,
            dataset.modified_at,
            dataset.created_at,
        )
    names = sorted(d.name for d in published())
    for sort, q in (("title_string asc", "*:*"), ("metadata_modified desc", "分页"), ("name desc", "统计")):
        seen: list[str] = []
        for start in range(0, 12, 3):
            response = client.get(
                "/api/3/action/package_search", {"q": q, "sort": sort, "rows": "3", "start": str(start)}
            )
            seen += [package["name"] for package in response.json()["result"]["results"]]
        assert sorted(seen) == names, sort
    by_name = client.get("/api/3/action/package_search", {"sort": "name desc", "rows": "20"}).json()
    assert [p["name"] for p in by_name["result"]["results"]] == names[::-1]


def test_relevance_pages_put_title_matches_first_across_page_boundaries(client: Client) -> None:
    organisation = make_organisation()
    bulk_published(5, organisation, prefix="tagged", tag="公交")  # found by the tag, not by the title
    make_dataset(organisation, title="公交站点", tags=("站点",))
    make_dataset(organisation, title="公交线路", tags=("线路",))
    make_dataset(organisation, title="出租车站点", tags=("出租车",))  # no match

    def newest_first(datasets: list[Dataset]) -> list[str]:
        return [d.name for d in sorted(datasets, key=lambda d: (d.modified_at, d.pk), reverse=True)]

    matching = [d for d in published() if "公交" in d.title or "公交" in d.tags]
    expected_order = newest_first([d for d in matching if "公交" in d.title]) + newest_first(
        [d for d in matching if "公交" not in d.title]
    )
    for rows in (1, 2, 3):
        seen: list[str] = []
        for start in range(0, 8, rows):
            response = client.get("/api/3/action/package_search", {"q": "公交", "rows": rows, "start": start})
            result = response.json()["result"]
            assert result["count"] == 7
            seen += [package["name"] for package in result["results"]]
        assert seen == expected_order, rows
    reverse = client.get(
        "/api/3/action/package_search", {"q": "公交", "sort": "score asc, name asc", "rows": 10}
    )
    names = [package["name"] for package in reverse.json()["result"]["results"]]
    assert names == sorted(expected_order[2:]) + sorted(expected_order[:2])
