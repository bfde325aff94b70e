"""Unknown codes → 404, withdrawn items → 410, bad parameters → 400: proper pages in the chosen language."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from web.html_checks import html_lang
from web.portal_data import PortalCatalog
from yiwang.catalog import services


def test_unknown_item_code_is_a_404_page_that_names_the_code(client: Any, portal: PortalCatalog) -> None:
    response = client.get("/items/33010099999")
    html = response.content.decode()
    assert response.status_code == 404
    assert "没有实施编码为“33010099999”的已发布事项" in html
    assert 'action="/search"' in html and '<main id="main"' in html


def test_unknown_path_is_a_404_page(client: Any, db: None) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_withdrawn_item_is_a_410_page_saying_when_and_why(client: Any, portal: PortalCatalog) -> None:
    code = portal.withdrawn.implementation_code
    for url in (f"/items/{code}", f"/items/{code}/print", f"/power-list/{code}", f"/apply/{code}"):
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 410, url
        assert "该事项已取消" in html and "临时占用城市道路审批" in html
        assert "依据《浙江省人民政府关于调整行政许可事项的决定》取消" in html
        withdrawn_on = portal.withdrawn.versions.get(status="withdrawn").withdrawn_at
        assert f"该事项已于 {timezone.localtime(withdrawn_on):%Y-%m-%d} 取消" in html
        assert 'action="/search"' in html


def test_an_unpublished_item_is_not_found(client: Any, portal: PortalCatalog) -> None:
    from catalog.factories import make_guide

    draft = make_guide()
    assert client.get(f"/items/{draft.implementation.implementation_code}").status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=abc", "页码“abc”无效"),
        ("page=0", "页码“0”无效"),
        ("item_type=99", "事项类型“99”无效"),
        ("audience=robots", "面向对象“robots”无效"),
        ("theme=no-such-theme", "没有代码为“no-such-theme”的服务主题"),
        ("organisation=abc", "没有编号为“abc”的实施部门"),
        ("organisation=999999", "没有编号为“999999”的实施部门"),
        ("online_depth=9", "网上办理深度“9”无效"),
        ("fully_online=maybe", "“全程网办”参数“maybe”无效"),
        ("region=110000", "地区代码“110000”无效"),
        ("region=33", "地区代码“33”无效"),
    ],
)
def test_bad_list_parameters_are_a_400_page_that_says_what_is_wrong(
    client: Any, portal: PortalCatalog, query: str, message: str
) -> None:
    for path in ("/items", "/search", "/power-list"):
        response = client.get(f"{path}?q=证&{query}")
        assert response.status_code == 400, (path, query)
        assert message in response.content.decode()


def test_a_page_past_the_end_is_not_found(client: Any, portal: PortalCatalog) -> None:
    response = client.get("/items?page=99")
    assert response.status_code == 404
    assert "第 99 页不存在：共 1 页。" in response.content.decode()


def test_power_list_refuses_the_public_service_type(client: Any, portal: PortalCatalog) -> None:
    response = client.get("/power-list?item_type=20")
    assert response.status_code == 400
    assert "权力清单只列行政权力事项" in response.content.decode()


def test_bundles_unknown_draft_and_withdrawn(client: Any, portal: PortalCatalog) -> None:
    assert client.get("/bundles/NO-SUCH").status_code == 404
    services.withdraw_bundle(portal.bundle, reason="合并到新的一件事")
    gone = client.get(f"/bundles/{portal.bundle.code}")
    assert gone.status_code == 410 and portal.bundle.name in gone.content.decode()


def test_error_pages_speak_the_chosen_language(client: Any, portal: PortalCatalog) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    not_found = client.get("/items/33010099999").content.decode()
    assert html_lang(not_found) == "en"
    assert "There is no published service with the implementation code “33010099999”" in not_found
    bad = client.get("/items?item_type=99").content.decode()
    assert "Item type “99” is not valid" in bad
    gone = client.get(f"/items/{portal.withdrawn.implementation_code}").content.decode()
    assert "This service was cancelled on" in gone
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hant"
    traditional = client.get("/items?page=abc").content.decode()
    assert html_lang(traditional) == "zh-Hant" and "頁碼“abc”無效" in traditional


def test_server_error_page_is_plain_and_in_the_language(rf: Any, db: None) -> None:
    from django.utils import translation

    from yiwang.web.views.errors import server_error

    with translation.override("en"):
        response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert b"Sorry, there is a problem with the service" in response.content
    assert b'<html lang="en">' in response.content
