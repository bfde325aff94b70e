"""Language switch (简体/繁體/English), elderly mode and region: one click, remembered in a cookie."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from web.html_checks import html_lang, untranslated
from web.portal_data import PortalCatalog
from yiwang.web import preferences


def test_default_language_is_simplified_chinese(client: Any, portal: PortalCatalog) -> None:
    html = client.get("/").content.decode()
    assert html_lang(html) == "zh-Hans"
    assert (
        '<button class="chip" type="submit" name="language" value="zh-hans" lang="zh-Hans" aria-current="true">'
        in html
    )


def test_language_switch_sets_the_cookie_and_returns_to_the_page(client: Any, portal: PortalCatalog) -> None:
    page = f"/items/{portal.permit.implementation_code}"
    response = client.post("/i18n/setlang/", {"language": "en", "next": page})
    assert response.status_code == 302 and response["Location"] == page
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get(page).content.decode()
    assert html_lang(html) == "en"
    assert "Yiwang · Zhejiang Government Services Portal" in html
    assert "Documents you need" in html and "Apply online" in html
    # Guide content stays Chinese, marked as such.
    assert '<h1 lang="zh-Hans">建筑工程施工许可证核发</h1>' in html


def test_traditional_mode_converts_interface_and_content(client: Any, portal: PortalCatalog) -> None:
    client.post("/i18n/setlang/", {"language": "zh-hant", "next": "/"})
    html = client.get(f"/items/{portal.permit.implementation_code}").content.decode()
    assert html_lang(html) == "zh-Hant"
    assert "一網·浙江政務服務網" in html
    assert "申請材料" in html  # interface string from the zh_Hant catalogue
    assert '<h1 lang="zh-Hant">建築工程施工許可證核發</h1>' in html  # content converted by OpenCC


@pytest.mark.parametrize(
    ("header", "lang"), [("zh-TW,zh;q=0.9", "zh-Hant"), ("en-US,en;q=0.8", "en"), ("zh-CN", "zh-Hans")]
)
def test_accept_language_chooses_the_first_page_language(
    client: Any, portal: PortalCatalog, header: str, lang: str
) -> None:
    assert html_lang(client.get("/", headers={"accept-language": header}).content.decode()) == lang


def test_english_pages_leave_no_interface_text_untranslated(client: Any, portal: PortalCatalog) -> None:
    """Every string outside Chinese content (marked lang="zh…") is English on every page type."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    code = portal.permit.implementation_code
    for url in (
        "/",
        "/items",
        "/items?audience=person&item_type=07&fully_online=1",
        "/search?q=身份证",
        "/search?q=游艇驾驶证",
        "/search?q=身分证",
        f"/items/{code}",
        f"/items/{portal.id_card.implementation_code}",
        f"/items/{portal.library_card.implementation_code}",
        f"/items/{code}/print",
        "/power-list",
        f"/power-list/{code}",
        "/bundles",
        f"/bundles/{portal.bundle.code}",
        f"/apply/{code}",
        f"/items/{portal.withdrawn.implementation_code}",
        "/items/unknown",
        "/items?page=abc",
    ):
        html = client.get(url).content.decode()
        assert html_lang(html) == "en", url
        assert untranslated(html) == [], url


def test_elderly_mode_is_one_click_and_remembered(client: Any, portal: PortalCatalog) -> None:
    page = "/items?audience=person"
    response = client.post("/preferences/elderly", {"elderly": "1", "next": page})
    assert response.status_code == 302 and response["Location"] == page
    cookie = response.cookies[preferences.ELDERLY_COOKIE]
    assert cookie.value == "1" and cookie["max-age"] == preferences.COOKIE_MAX_AGE and cookie["httponly"]
    for url in ("/", page, f"/items/{portal.permit.implementation_code}"):
        html = client.get(url).content.decode()
        assert '<html lang="zh-Hans" class="elderly">' in html, url
        assert 'aria-pressed="true"' in html
    off = client.post("/preferences/elderly", {"elderly": "0", "next": "/"})
    assert off.cookies[preferences.ELDERLY_COOKIE].value == ""  # deleted
    assert 'class="elderly"' not in client.get("/").content.decode()


def test_elderly_toggle_without_a_value_flips_and_never_redirects_off_site(client: Any, db: None) -> None:
    first = client.post("/preferences/elderly", {"next": "https://evil.example/"})
    assert first["Location"] == "/"
    assert first.cookies[preferences.ELDERLY_COOKIE].value == "1"
    second = client.post("/preferences/elderly", {"next": "/items"})
    assert second.cookies[preferences.ELDERLY_COOKIE].value == ""


def test_preferences_change_only_by_post(client: Any, db: None) -> None:
    assert client.get("/preferences/elderly").status_code == 405
    assert client.get("/preferences/region").status_code == 405


def test_region_switch_is_remembered_and_validated(client: Any, portal: PortalCatalog) -> None:
    response = client.post("/preferences/region", {"region": "330106", "next": "/items"})
    assert response.status_code == 302 and response["Location"] == "/items"
    assert response.cookies[preferences.REGION_COOKIE].value == "330106"
    assert "共 1 个事项" in client.get("/items").content.decode()
    bad = client.post("/preferences/region", {"region": "110000", "next": "/"})
    assert bad.status_code == 400 and "地区代码“110000”无效" in bad.content.decode()
    back_home = client.post("/preferences/region", {"region": "", "next": "/"})
    assert back_home.cookies[preferences.REGION_COOKIE].value == ""
    assert "共 3 个事项" in client.get("/items").content.decode()


def test_forms_carry_csrf_tokens(portal: PortalCatalog) -> None:
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/preferences/elderly", {"elderly": "1"}).status_code == 403
    html = strict.get("/").content.decode()
    assert html.count('name="csrfmiddlewaretoken"') >= 3  # language, elderly mode, region
