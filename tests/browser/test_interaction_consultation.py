"""政民互动 in Chromium: a person writes a consultation agreeing to publication, the department answers
and publishes it, and anyone can read it (without the asker's identity); intelligent Q&A hands over."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from accounts.identity_factories import make_person
from browser.helpers import BROWSER, axe_violations, describe
from interaction.interaction_factories import Desk
from yiwang.core import calendar_data, workdays
from yiwang.interaction.models import Message

pytestmark = [*BROWSER, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _setup(settings: Any, tmp_path: Path) -> None:
    caches = {"default": dict(settings.CACHES["default"])}
    caches["default"]["KEY_PREFIX"] = f"browser-interaction-{uuid.uuid4().hex}"
    if "locmem" in caches["default"]["BACKEND"]:
        caches["default"]["LOCATION"] = caches["default"]["KEY_PREFIX"]
    settings.CACHES = caches
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.YIWANG_SMS_GATEWAY = "file"
    settings.YIWANG_SMS_OUTBOX = str(tmp_path / "sms-outbox.log")
    calendar_data.seed_calendar([2025, 2026, 2027])
    workdays.clear_cache()


def signed_in(new_page: Any, live_server: Any, user: Any) -> Any:
    client = Client()
    client.force_login(user)
    page = new_page()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return page


def no_axe_problems(page: Any) -> None:
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def test_a_consultation_answered_and_published(new_page: Any, live_server: Any) -> None:
    desk = Desk(name="杭州市医疗保障局")
    person = make_person(name="李提问")
    page = signed_in(new_page, live_server, person)
    page.goto("/interaction/new")
    no_axe_problems(page)
    page.get_by_label("受理部门").select_option(str(desk.organisation.pk))
    page.get_by_label("标题").fill("医保异地备案怎么办")
    page.get_by_label("内容").fill("父母随我到杭州居住，医保如何办理异地就医备案？")
    page.get_by_label("同意在答复后公开本件（不公开您的身份）").check()
    page.get_by_role("button", name="提交").click()
    page.get_by_role("heading", name="医保异地备案怎么办").wait_for()
    no_axe_problems(page)
    message = Message.objects.get(asker=person)

    clerk = signed_in(new_page, live_server, desk.clerk)
    clerk.goto("/interaction/staff/")
    clerk.get_by_role("link", name=message.number).click()
    clerk.get_by_label("答复意见").fill("可在本平台“医保”栏目在线办理异地就医备案，即时生效。")
    clerk.get_by_role("button", name="答复", exact=True).click()
    clerk.get_by_text("已保存").wait_for()
    clerk.get_by_role("button", name="公开答复").click()
    clerk.get_by_text("已公开").wait_for()
    no_axe_problems(clerk)

    visitor = new_page()
    visitor.goto("/interaction/public")
    visitor.get_by_role("link", name="医保异地备案怎么办").click()
    visitor.get_by_text("在线办理异地就医备案").wait_for()
    assert "李提问" not in visitor.content() and person.phone not in visitor.content()
    no_axe_problems(visitor)


def test_intelligent_q_and_a_offers_a_hand_over(new_page: Any, live_server: Any) -> None:
    desk = Desk(name="杭州市民政局")
    person = make_person()
    page = signed_in(new_page, live_server, person)
    page.goto("/interaction/")
    page.get_by_label("您的问题").fill("养老服务补贴怎么申请")
    page.get_by_role("button", name="提问").click()
    page.get_by_role("heading", name="没有找到满意的答案？转人工").wait_for()
    no_axe_problems(page)
    page.get_by_label("受理部门（选填，不选则按问题涉及的事项确定）").select_option(str(desk.organisation.pk))
    page.get_by_role("button", name="转人工咨询").click()
    page.get_by_role("heading", name="养老服务补贴怎么申请").wait_for()
    assert Message.objects.get(asker=person).organisation == desk.organisation


def test_knowledge_base_and_my_messages_pages(new_page: Any, live_server: Any) -> None:
    from yiwang.interaction import knowledge
    from yiwang.interaction.models import FaqEntry, FaqSource

    entry = FaqEntry.objects.create(
        question="办件进度在哪里查询？", answer="登录后进入“我的办件”查看。", source=FaqSource.MANUAL
    )
    knowledge.index_entry(entry)
    page = new_page()
    page.goto("/interaction/faq?q=办件进度")
    page.get_by_role("heading", name="办件进度在哪里查询？").wait_for()
    no_axe_problems(page)
    person = make_person()
    mine = signed_in(new_page, live_server, person)
    mine.goto("/interaction/mine")
    mine.get_by_text("您还没有留言。").wait_for()
    no_axe_problems(mine)
