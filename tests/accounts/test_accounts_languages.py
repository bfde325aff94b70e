"""The account pages and the identity API speak the visitor's language: English and Traditional Chinese
come from the portal's catalogues (`yiwang i18n build`); only people's own data stays as entered."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.identity_factories import authorise, make_enterprise, make_person

pytestmark = pytest.mark.django_db

HAN = re.compile(r"[\u4e00-\u9fff]+")


def main_text(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def client_in(language: str) -> Client:
    client = Client()
    client.cookies["django_language"] = language
    return client


@pytest.mark.parametrize("path", ["/account/signin/", "/account/register/", "/account/password-reset/"])
def test_public_account_pages_have_no_chinese_left_in_english(path: str) -> None:
    response = client_in("en").get(path)
    assert response.status_code == 200
    assert HAN.findall(main_text(response.content.decode())) == []


def test_form_errors_are_english_in_english() -> None:
    response = client_in("en").post("/account/register/", {"phone": "123", "resident_id": "110105"})
    text = main_text(response.content.decode())
    assert "Please fix these problems before you submit" in text
    assert "A mobile number has 11 digits and starts with 1." in text
    assert HAN.findall(text) == []


def test_signed_in_pages_translate_everything_but_the_persons_own_data() -> None:
    enterprise = make_enterprise(name="杭州样例科技有限公司")
    representative = enterprise.representative
    authorise(enterprise, make_person(name="钱经办"), all_items=True)
    allowed = {"杭州样例科技有限公司", "钱经办", *HAN.findall(representative.display_name)}
    for path in (
        "/account/",
        "/account/level/",
        "/account/enterprise/",
        f"/account/enterprise/{enterprise.pk}/agents/",
    ):
        client = client_in("en")
        client.force_login(representative)
        response = client.get(path)
        assert response.status_code == 200, path
        assert set(HAN.findall(main_text(response.content.decode()))) <= allowed, path


def test_traditional_chinese_pages_and_api_errors() -> None:
    page = main_text(client_in("zh-hant").get("/account/register/").content.decode())
    assert "註冊個人賬戶" in page and "註册" not in page and "注册个人账户" not in page
    api = client_in("zh-hant").get("/api/accounts/me")
    assert api.status_code == 401
    assert api.json()["detail"].startswith("請先登錄")
    english = client_in("en").get("/api/accounts/me").json()["detail"]
    assert english.startswith("Please sign in first")
