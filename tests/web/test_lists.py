"""Home, item lists and search results: navigation, filters that narrow, counts that match their lists."""

from __future__ import annotations

from typing import Any

import pytest

from web.html_checks import count_line, result_links
from web.portal_data import PortalCatalog
from yiwang.web import listing, preferences


def codes_of(*items: Any) -> set[str]:
    return {item.implementation_code for item in items}


def test_home_offers_search_audiences_themes_departments_and_regions(
    client: Any, portal: PortalCatalog
) -> None:
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "一网·浙江政务服务网" in html
    assert 'action="/search"' in html and 'name="q"' in html
    assert 'href="/items?audience=person"' in html and 'href="/items?audience=enterprise"' in html
    # Themes by audience, each with its number of published items.
    assert 'href="/items?theme=person-identity"' in html and "证件办理" in html
    assert 'href="/items?theme=ent-build"' in html
    assert response.context["themes"]["person"][0].item_count == 2
    # The departments of the chosen region's own level, with their published items (not the withdrawn one).
    assert response.context["departments"] == []  # the test catalogue has no provincial department
    client.cookies[preferences.REGION_COOKIE] = "330100"
    city = client.get("/").context["departments"]
    assert [(org.pk, org.item_count) for org in city] == [(portal.city_bureau.pk, 2)]
    del client.cookies[preferences.REGION_COOKIE]
    # The region switch lists the province's prefectures and counties.
    assert 'value="330100"' in html and 'value="330106"' in html and 'value="330200"' in html
    assert portal.bundle.name in html


def test_list_shows_every_published_item_once_and_not_the_withdrawn_one(
    client: Any, portal: PortalCatalog
) -> None:
    html = client.get("/items").content.decode()
    assert set(result_links(html)) == codes_of(portal.permit, portal.id_card, portal.library_card)
    assert count_line(html) == 3
    assert portal.withdrawn.implementation_code not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("audience=person", ("id_card", "library_card")),
        ("audience=enterprise", ("permit",)),
        ("theme=person-identity", ("id_card", "library_card")),
        ("item_type=01", ("permit",)),
        ("item_type=07", ("id_card",)),
        ("online_depth=3", ("permit", "library_card")),
        ("fully_online=1", ("permit", "library_card")),
        ("region=330106", ("id_card",)),
        ("region=330200", ()),
        ("audience=person&fully_online=1", ("library_card",)),
    ],
)
def test_filters_narrow_the_list_and_the_count_matches(
    client: Any, portal: PortalCatalog, query: str, expected: tuple[str, ...]
) -> None:
    html = client.get(f"/items?{query}").content.decode()
    assert set(result_links(html)) == codes_of(*(getattr(portal, name) for name in expected))
    assert count_line(html) == len(expected)


def test_filter_by_department(client: Any, portal: PortalCatalog) -> None:
    html = client.get(f"/items?organisation={portal.district_police.pk}").content.decode()
    assert result_links(html) == [portal.id_card.implementation_code]
    assert '<h1><span lang="zh-Hans">杭州市公安局西湖区分局</span></h1>' in html


def test_paging_keeps_filters_and_counts_the_whole_list(
    client: Any, portal: PortalCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    first = client.get("/items?audience=person&page=1").content.decode()
    assert count_line(first) == 2
    first_all = client.get("/items?page=1").content.decode()
    second_all = client.get("/items?page=2").content.decode()
    assert count_line(first_all) == count_line(second_all) == 3
    assert len(result_links(first_all)) == 2 and len(result_links(second_all)) == 1
    assert set(result_links(first_all)) | set(result_links(second_all)) == codes_of(
        portal.permit, portal.id_card, portal.library_card
    )
    assert 'href="?page=2"' in first_all and 'rel="next"' in first_all
    assert 'href="?page=1"' in second_all and 'rel="prev"' in second_all


def test_the_remembered_region_filters_lists_and_an_explicit_choice_wins(
    client: Any, portal: PortalCatalog
) -> None:
    client.cookies[preferences.REGION_COOKIE] = "330106"
    remembered = client.get("/items").content.decode()
    assert result_links(remembered) == [portal.id_card.implementation_code]
    assert '<option value="330106" selected>' in remembered
    everywhere = client.get("/items?region=").content.decode()
    assert count_line(everywhere) == 3
    home = client.get("/").content.decode()
    assert '当前地区：<a href="/#region" lang="zh-Hans">西湖区</a>' in home


def test_a_stale_region_cookie_is_ignored(client: Any, portal: PortalCatalog) -> None:
    client.cookies[preferences.REGION_COOKIE] = "110000"  # another province: not this deployment's
    assert count_line(client.get("/items").content.decode()) == 3


def test_search_finds_by_simplified_traditional_and_pinyin(client: Any, portal: PortalCatalog) -> None:
    for query in ("居民身份证", "身份證", "shenfenzheng", "sfz"):
        html = client.get("/search", {"q": query}).content.decode()
        assert result_links(html)[0] == portal.id_card.implementation_code, query
        assert count_line(html) == len(result_links(html))


def test_search_highlights_why_an_item_matched(client: Any, portal: PortalCatalog) -> None:
    html = client.get("/search", {"q": "施工"}).content.decode()
    assert result_links(html)[0] == portal.permit.implementation_code
    assert "建筑工程<mark>施工</mark>许可证核发" in html
    assert "材料：" in html and "<mark>施工</mark>合同" in html


def test_search_offers_did_you_mean_for_a_typo(client: Any, portal: PortalCatalog) -> None:
    html = client.get("/search", {"q": "身分证"}).content.decode()
    assert "您是不是要找" in html and "身份证" in html
    assert portal.id_card.implementation_code in result_links(html)


def test_search_with_filters_and_empty_state(client: Any, portal: PortalCatalog) -> None:
    narrowed = client.get("/search", {"q": "身份证", "audience": "enterprise"}).content.decode()
    assert portal.id_card.implementation_code not in result_links(narrowed)
    nothing = client.get("/search", {"q": "游艇驾驶证"}).content.decode()
    assert count_line(nothing) == 0
    assert "没有找到符合条件的事项" in nothing
    assert "您也可以从这些主题或部门找" in nothing


def test_search_without_words_asks_for_them(client: Any, portal: PortalCatalog) -> None:
    response = client.get("/search")
    assert response.status_code == 200
    assert "请输入要办的事" in response.content.decode()


def test_search_rejects_an_overlong_query_with_a_400(client: Any, portal: PortalCatalog) -> None:
    response = client.get("/search", {"q": "证" * 101})
    assert response.status_code == 400
    assert "搜索词最长" in response.content.decode()


def test_the_header_names_the_whole_country_on_the_hub_and_the_province_elsewhere(
    client: Any, settings: Any, portal: PortalCatalog
) -> None:
    assert '当前地区：<a href="/#region" lang="zh-Hans">全省</a>' in client.get("/").content.decode()
    settings.YIWANG_NODE_CODE, settings.YIWANG_NODE_ROLE = "100000", "hub"
    assert '当前地区：<a href="/#region" lang="zh-Hans">全国</a>' in client.get("/").content.decode()


def test_theme_and_department_counts_are_cached_until_the_catalogue_changes(
    portal: PortalCatalog, settings: Any, django_assert_num_queries: Any
) -> None:
    from yiwang.catalog import services

    # A check interval longer than the test: only a change made here moves this process's key at once.
    settings.YIWANG_CATALOG_READ_CACHE_CHECK_SECONDS = 3600
    city = portal.city_bureau.region
    before = {org.pk: org.item_count for org in listing.departments_with_counts(city)}
    themes_before = {
        t.code: t.item_count for group in listing.themes_with_counts(city).values() for t in group
    }
    with django_assert_num_queries(0):  # the second page view counts nothing again
        listing.departments_with_counts(city)
        listing.themes_with_counts(city)
    # A withdrawal in this process moves the catalogue change marker and this process reads it at once.
    services.withdraw(portal.library_card, reason="依据文件调整，停止办理")
    after = {org.pk: org.item_count for org in listing.departments_with_counts(city)}
    themes_after = {
        t.code: t.item_count for group in listing.themes_with_counts(city).values() for t in group
    }
    library = portal.library_card.organisation_id
    assert after.get(library, 0) == before[library] - 1
    assert sum(themes_after.values()) < sum(themes_before.values())


def test_counts_follow_a_change_made_by_another_process_within_the_check_interval(
    portal: PortalCatalog,
) -> None:
    """Without a shared cache (the embedded default) each worker keeps its own counts: a withdrawal in
    another worker reaches them through the catalogue change marker in the database."""
    from yiwang.catalog import readcache, services

    now = [1000.0]
    here = readcache.ReadCache(max_bytes=1 << 20, check_seconds=1.0, clock=lambda: now[0])
    elsewhere = readcache.ReadCache(max_bytes=1 << 20, check_seconds=1.0, clock=lambda: now[0])
    city = portal.city_bureau.region
    library = portal.library_card.organisation_id

    def library_count() -> int:
        return {org.pk: org.item_count for org in listing.departments_with_counts(city)}.get(library, 0)

    readcache._instance = here
    try:
        before = library_count()
        readcache._instance = elsewhere
        services.withdraw(portal.library_card, reason="依据文件调整，停止办理")
        readcache._instance = here
        assert library_count() == before  # this worker has not read the marker again yet
        now[0] += 1.0
        assert library_count() == before - 1
    finally:
        readcache.reset()


def test_a_capped_search_total_reads_as_a_lower_bound(
    client: Any, portal: PortalCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yiwang.search.backends import base, postgres, sqlite

    exact = client.get("/search", {"q": "证"})
    total = exact.context["page_obj"].paginator.count
    assert total >= 2 and f"共 {total} 个事项" in exact.content.decode()
    # Counting stops at the cap (10,000 in production): the page says "more than", never a false total.
    for module in (base, postgres, sqlite):
        monkeypatch.setattr(module, "COUNT_CAP", 1)
    capped = client.get("/search", {"q": "证"}).content.decode()
    assert "超过 1 个事项" in capped and "共 1 个事项" not in capped
