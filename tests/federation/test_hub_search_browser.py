"""In a browser, on the national hub's portal: a person searches and finds an item a provincial node pushed,
named with its node and region and linked to the hub's page of it; a region filter leaves it out or in;
once the node withdraws it, it is gone. Two REAL nodes (tests/federation/nodes.py): the hub and Zhejiang,
each its own database and server process; Chromium drives the hub's pages through Playwright.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from federation.nodes import Node, migrate_template, register_all

pytestmark = [pytest.mark.xdist_group("federation")]


FIRST_ITEM = """
from yiwang.catalog.selectors import published_implementations
item = published_implementations().select_related("region").order_by("pk").first()
result = {"code": item.implementation_code, "name": item.name, "region": item.region.name}
"""

WITHDRAW = """
from yiwang.catalog import services
from yiwang.catalog.models import Implementation
services.withdraw(Implementation.objects.get(implementation_code=CODE), reason="依据文件取消")
"""


@pytest.fixture(scope="module")
def hub_and_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, Node]]:
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("浏览器测试需要 Debian 的 chromium（/usr/bin/chromium）：apt-get install chromium")
    root = tmp_path_factory.mktemp("hub-search")
    template = migrate_template(Path(os.environ.get("YIWANG_TEST_FEDERATION_TEMPLATE", root / "template")))
    hub = Node("100000", "国家政务服务平台", "hub", root)
    zhejiang = Node("330000", "浙江省政务服务平台", "node", root)
    for node in (hub, zhejiang):
        node.prepare(template)
    try:
        for node in (hub, zhejiang):
            node.start()
        register_all([hub, zhejiang])
        hub.run("regions", "load")  # the region filter offers (and checks) every province's regions
        zhejiang.run("generate", "--items", "12", "--region", "330000", "--no-progress")
        zhejiang.run("federation", "sync-catalogue")
        zhejiang.deliver()
        yield hub, zhejiang
    finally:
        for node in (hub, zhejiang):
            node.stop()


@pytest.fixture
def page(browser: Any, hub_and_node: tuple[Node, Node]) -> Iterator[Any]:
    """A page on the hub, from the session's one Chromium (tests/conftest.py)."""
    context = browser.new_context(base_url=hub_and_node[0].url, locale="zh-CN")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_the_hub_portal_search_shows_a_provinces_item(hub_and_node: tuple[Node, Node], page: Any) -> None:
    from playwright.sync_api import expect

    zhejiang = hub_and_node[1]
    item = zhejiang.shell(FIRST_ITEM)
    page.goto("/search")
    page.locator("form.search-form input[name=q]").fill(item["name"])
    page.locator("form.search-form button[type=submit]").click()
    target = f"a[href='/federation/catalogue/{item['code']}']"
    row = page.locator("li.remote-item", has=page.locator(target))
    link = row.locator(target)
    expect(link).to_be_visible()
    expect(row).to_contain_text(f"来源：浙江省政务服务平台 · {item['region']}")
    expect(row.get_by_role("link", name="到所在地区查看办事指南")).to_have_attribute(
        "href", f"{zhejiang.url}/items/{item['code']}"
    )
    link.click()
    expect(page.locator("h1")).to_have_text(item["name"])
    expect(page.locator("td.code")).to_have_text(item["code"])

    # Region filters apply: another province leaves it out, its own province keeps it.
    for region, shown in (("320000", 0), ("330000", 1)):
        page.goto("/search?" + urlencode({"q": item["name"], "region": region}))
        expect(page.locator(f"a[href='/federation/catalogue/{item['code']}']")).to_have_count(shown)

    # Withdrawn at the node: once the message is delivered, the hub's search no longer lists it.
    zhejiang.shell(WITHDRAW, CODE=item["code"])
    zhejiang.deliver()
    page.goto("/search?" + urlencode({"q": item["name"]}))
    expect(page.locator("p.count")).to_be_visible()
    expect(page.locator(f"a[href='/federation/catalogue/{item['code']}']")).to_have_count(0)
