"""Searching the indexed fixture catalogue: what people type, filters, ranking, highlights, suggestions."""

from __future__ import annotations

import pytest
from django.db import connection

from search.fixtures import Catalogue
from yiwang.catalog.models import GuideVersion
from yiwang.search import indexer
from yiwang.search.backends import get_backend
from yiwang.search.selectors import SearchParamError, SearchRequest, search, suggest

pytestmark = pytest.mark.django_db


def _names(q: str, **filters: object) -> list[str]:
    return [result.name for result in search(SearchRequest(q=q, page_size=10, **filters)).results]  # type: ignore[arg-type]


def _top3(q: str) -> set[str]:
    return set(_names(q)[:3])


def test_backend_follows_the_database(catalogue: Catalogue) -> None:
    assert get_backend().vendor == connection.vendor


def test_exact_name_comes_first(catalogue: Catalogue) -> None:
    page = search(SearchRequest(q="居民身份证申领"))
    assert page.results[0].name == "居民身份证申领"
    assert page.results[0].match_kind == "exact"
    assert page.results[1].name == "居民身份证申领"  # the same item in the other region
    assert page.results[2].match_kind != "exact"


def test_traditional_characters_find_simplified_items(catalogue: Catalogue) -> None:
    page = search(SearchRequest(q="身份證申領"))
    assert page.normalised_query == "身份证申领"
    assert page.results[0].name == "居民身份证申领"
    assert "居民身份证申领" in _top3("居民身份證申領")
    assert "户口迁移" in _top3("戶口遷移")


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("shenfenzheng", "居民身份证"),
        ("sfz", "居民身份证"),
        ("hukouqianyi", "户口迁移"),
        ("hkqy", "户口迁移"),
        ("jmsfzsl", "居民身份证申领"),
        ("gongjijin", "住房公积金提取"),
        ("shen fen zheng", "居民身份证"),
    ],
)
def test_pinyin_full_and_initials(catalogue: Catalogue, q: str, expected: str) -> None:
    names = _names(q)
    assert names and names[0].startswith(expected)


def test_pinyin_hits_are_highlighted_in_the_name(catalogue: Catalogue) -> None:
    result = search(SearchRequest(q="sfz")).results[0]
    assert "<mark>身份证</mark>" in result.highlights["name"]
    assert "name" in result.matched_fields


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("营业执照", "企业设立登记"),
        ("驾照", "机动车驾驶证补领"),
        ("低保", "最低生活保障审核确认"),
        ("领证", "内地居民结婚登记"),
        ("上户口", "出生登记"),
        ("开公司", "企业设立登记"),
        ("护照", "普通护照签发"),
        ("公积金", "住房公积金提取"),
        ("港澳通行证", "往来港澳通行证签发"),
    ],
)
def test_colloquial_names(catalogue: Catalogue, q: str, expected: str) -> None:
    assert expected in _top3(q)


def test_household_register_synonym(catalogue: Catalogue) -> None:
    # 户口 → 户籍: the theme 户籍办理 matches too, and says so.
    page = search(SearchRequest(q="户口", page_size=50))
    assert page.results[0].name == "户口迁移"
    themed = [result for result in page.results if "themes" in result.matched_fields]
    assert any("<mark>户籍</mark>" in result.highlights["themes"] for result in themed)


def test_one_wrong_character_offers_did_you_mean(catalogue: Catalogue) -> None:
    page = search(SearchRequest(q="居民身份正申领"))
    assert page.did_you_mean == "居民身份证申领"
    assert page.results[0].name == "居民身份证申领"
    page = search(SearchRequest(q="住房公积金提区"))
    assert page.did_you_mean == "住房公积金提取"
    assert page.results[0].name == "住房公积金提取"


def test_material_names_find_items(catalogue: Catalogue) -> None:
    page = search(SearchRequest(q="出生医学证明"))
    assert page.results[0].name == "出生登记"
    assert page.results[0].highlights["materials"] == "<mark>出生医学证明</mark>"
    assert "教师资格认定" in _top3("普通话水平测试等级证书")


def test_organisation_and_faq_are_searched(catalogue: Catalogue) -> None:
    page = search(SearchRequest(q="人社局", page_size=50))
    assert {result.name for result in page.results} == {"城乡居民基本养老保险参保登记", "失业保险金申领"}
    assert all("organisation" in result.matched_fields for result in page.results)
    page = search(SearchRequest(q="二手房过户"))
    assert page.results[0].name == "不动产转移登记"


def test_partial_words_match_through_characters(catalogue: Catalogue) -> None:
    assert _names("份证")[0].startswith("居民身份证")


def test_region_filter_includes_the_subtree(catalogue: Catalogue) -> None:
    everywhere = search(SearchRequest(q="身份证", page_size=50))
    province = search(SearchRequest(q="身份证", region="330000", page_size=50))
    ningbo = search(SearchRequest(q="身份证", region="330200", page_size=50))
    county = search(SearchRequest(q="身份证", region="330212", page_size=50))
    hangzhou = search(SearchRequest(q="身份证", region="330100", page_size=50))
    assert province.total == everywhere.total
    assert ningbo.total == county.total == hangzhou.total == everywhere.total // 2
    assert {result.region["code"] for result in ningbo.results} == {"330212"}
    assert {result.region["code"] for result in hangzhou.results} == {"330100"}


def test_other_filters(catalogue: Catalogue) -> None:
    police = catalogue.organisations[("police", "330100")]
    by_org = search(SearchRequest(q="", organisation=police.pk, page_size=50))
    assert by_org.total == 7 and {result.organisation["id"] for result in by_org.results} == {police.pk}
    licensing = search(SearchRequest(q="证", item_type="01", page_size=50))
    assert licensing.results and all(result.item_type == "01" for result in licensing.results)
    enterprise = {
        result.name for result in search(SearchRequest(audience="enterprise", page_size=50)).results
    }
    assert "企业设立登记" in enterprise and "不动产转移登记" in enterprise and "出生登记" not in enterprise
    person = {result.name for result in search(SearchRequest(audience="person", page_size=50)).results}
    assert "出生登记" in person and "企业设立登记" not in person
    themed = {result.name for result in search(SearchRequest(theme="P03", page_size=50)).results}
    assert themed == {"出生登记"}
    online = search(SearchRequest(fully_online=True, page_size=50)).results
    assert online and all(result.online_depth == 4 for result in online)
    deep = search(SearchRequest(online_depth=3, page_size=50)).results
    assert {result.online_depth for result in deep} == {3, 4}


def test_popularity_breaks_ties(catalogue: Catalogue) -> None:
    # Both regions carry the item; the Hangzhou one is slightly more popular in the fixture.
    first, second = search(SearchRequest(q="养犬登记")).results[:2]
    assert (first.region["code"], second.region["code"]) == ("330100", "330212")


def test_paging(catalogue: Catalogue) -> None:
    first = search(SearchRequest(q="居民身份证", page=1, page_size=2))
    second = search(SearchRequest(q="居民身份证", page=2, page_size=2))
    assert first.total == second.total > 4
    assert not {r.implementation_code for r in first.results} & {
        r.implementation_code for r in second.results
    }


def test_highlights_escape_html_in_catalogue_text(catalogue: Catalogue) -> None:
    implementation = catalogue.implementations[("养犬登记", "330100")]
    GuideVersion.objects.filter(pk=implementation.published_version_id).update(
        name="<script>alert(1)</script>养犬登记"
    )
    implementation.name = "<script>alert(1)</script>养犬登记"
    implementation.save(update_fields=["name"])
    indexer.index_implementations([implementation.pk])
    results = search(SearchRequest(q="养犬登记")).results
    [result] = [found for found in results if found.implementation_id == implementation.pk]
    assert result.highlights["name"] == "&lt;script&gt;alert(1)&lt;/script&gt;<mark>养犬登记</mark>"


def test_empty_state_offers_close_themes_and_departments(catalogue: Catalogue) -> None:
    page = search(SearchRequest(q="婚姻咨询热线"))
    assert page.total == 0 and page.results == []
    assert page.empty_state is not None
    assert page.empty_state.themes[0]["name"] == "婚姻登记"
    page = search(SearchRequest(q="公安咨询热线"))
    assert page.empty_state is not None
    assert "公安局" in page.empty_state.organisations[0]["name"]
    assert search(SearchRequest(q="身份证")).empty_state is None


def test_suggestions_by_prefix_and_pinyin(catalogue: Catalogue) -> None:
    texts = [suggestion.text for suggestion in suggest("居民身")]
    assert texts[:3] and all(text.startswith("居民身份证") for text in texts[:3])
    assert "居民身份证申领" in [suggestion.text for suggestion in suggest("jmsfz")]
    assert "居民身份证申领" in [suggestion.text for suggestion in suggest("sfz")]
    assert "户口迁移" in [suggestion.text for suggestion in suggest("huk")]
    assert "往来港澳通行证签发" in [suggestion.text for suggestion in suggest("港澳")]
    assert suggest("") == []
    assert len(suggest("居", limit=2)) <= 2


@pytest.mark.parametrize(
    ("request_args", "field", "fragment"),
    [
        ({"q": "身" * 101}, "q", "最长100个字"),
        ({"region": "33010"}, "region", "6位数字"),
        ({"region": "339999"}, "region", "不存在"),
        ({"item_type": "99"}, "item_type", "事项类型"),
        ({"audience": "robot"}, "audience", "person"),
        ({"theme": "NOPE"}, "theme", "不存在"),
        ({"organisation": 999999}, "organisation", "不存在"),
        ({"online_depth": 5}, "online_depth", "1到4"),
        ({"page": 0}, "page", "页码"),
        ({"page": 2000}, "page", "页码"),
        ({"page_size": 51}, "page_size", "1到50"),
    ],
)
def test_bad_parameters_are_explained(
    catalogue: Catalogue, request_args: dict[str, object], field: str, fragment: str
) -> None:
    with pytest.raises(SearchParamError) as caught:
        search(SearchRequest(**request_args))  # type: ignore[arg-type]
    assert caught.value.field == field
    assert fragment in caught.value.message
