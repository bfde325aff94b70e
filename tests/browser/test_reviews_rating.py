"""好差评 in Chromium: a person rates a completed case; a bad review is worked through by the department
and closed by a supervisor; the disclosure page. Every page passes axe (serious/critical)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from browser.helpers import BROWSER, axe_violations, describe, enhanced_contrast_violations
from cases.case_factories import applicant
from reviews.reviews_factories import Department, completed_case, rated
from yiwang.core import calendar_data, workdays
from yiwang.reviews.models import OrderStatus, Review, WorkOrder

pytestmark = [*BROWSER, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _setup(settings: Any, tmp_path: Path) -> None:
    caches = {"default": dict(settings.CACHES["default"])}
    caches["default"]["KEY_PREFIX"] = f"browser-reviews-{uuid.uuid4().hex}"
    if "locmem" in caches["default"]["BACKEND"]:
        caches["default"]["LOCATION"] = caches["default"]["KEY_PREFIX"]
    settings.CACHES = caches
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.YIWANG_SMS_GATEWAY = "file"
    settings.YIWANG_SMS_OUTBOX = str(tmp_path / "sms-outbox.log")
    calendar_data.seed_calendar([2025, 2026, 2027])
    workdays.clear_cache()
    # The labels come from a data migration; an earlier transactional test's flush may have emptied
    # the table, so put them back as the migration would.
    from yiwang.reviews.defaults import DEFAULT_LABELS
    from yiwang.reviews.models import ReviewLabel

    for level, texts in DEFAULT_LABELS.items():
        for order, text in enumerate(texts):
            ReviewLabel.objects.get_or_create(level=level, text=text, defaults={"order": order})


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


def test_rate_after_completion(new_page: Any, live_server: Any) -> None:
    office = Department()
    person = applicant()
    case = completed_case(office, person)
    page = signed_in(new_page, live_server, person)
    page.goto(f"/reviews/rate/{case.number}")
    page.get_by_role("heading", name="对本次服务作出评价").wait_for()
    no_axe_problems(page)
    page.get_by_role("button", name="提交评价").click()  # nothing chosen: told what to fix
    page.locator(".error-summary").wait_for()
    page.get_by_label("非常满意", exact=True).check()
    page.get_by_label("一次办成").check()
    page.get_by_label("文字评价").fill("网上办理很方便")
    page.get_by_role("button", name="提交评价").click()
    page.get_by_role("heading", name="我的评价").wait_for()
    assert "一次办成" in page.content()
    no_axe_problems(page)
    review = Review.objects.get(case=case)
    assert review.level == 1 and review.labels == ["一次办成"]
    page.get_by_label("追评内容").fill("证照已收到")
    page.get_by_role("button", name="提交追评").click()
    page.get_by_text("追评已提交").wait_for()
    assert page.get_by_role("button", name="提交追评").count() == 0


def test_a_bad_review_rectified_by_the_department_and_closed_by_a_supervisor(
    new_page: Any, live_server: Any
) -> None:
    office = Department()
    review = rated(office, 5, dt.date(2025, 6, 2), comment="窗口让我来回跑了三次")
    order = WorkOrder.objects.get(review=review)
    clerk = signed_in(new_page, live_server, office.window)
    clerk.goto("/reviews/staff/")
    clerk.get_by_role("link", name=f"工单 {order.pk}").click()
    clerk.get_by_role("heading", name=f"整改工单 {order.pk}").wait_for()
    assert "窗口让我来回跑了三次" in clerk.content()
    no_axe_problems(clerk)
    steps = [
        ("回访核实情况（与评价人联系的时间、方式和核实到的事实）", "已电话回访，情况属实", "提交：回访核实"),
        ("整改措施（立行立改或限期整改的内容）", "制作一次性告知清单", "提交：整改"),
        ("反馈给评价人的内容", "已整改并向您说明", "提交：反馈评价人"),
    ]
    for label, text, button in steps:
        clerk.get_by_label(label).fill(text)
        clerk.get_by_role("button", name=button).click()
        clerk.get_by_text("已保存").wait_for()
    clerk.get_by_label("回访情况").fill("评价人表示满意")
    clerk.get_by_label("满意", exact=True).check()
    clerk.get_by_role("button", name="提交：回访").click()
    clerk.get_by_text("已保存").wait_for()
    assert clerk.get_by_role("button", name="提交：办结").count() == 0  # closing is the supervisor's

    supervisor = signed_in(new_page, live_server, office.supervisor)
    supervisor.goto("/reviews/staff/appeals")
    no_axe_problems(supervisor)
    supervisor.get_by_role("link", name=f"工单 {order.pk}").click()
    supervisor.get_by_label("办结意见（选填）").fill("记录齐全")
    supervisor.get_by_role("button", name="提交：办结").click()
    supervisor.get_by_text("已保存").wait_for()
    assert WorkOrder.objects.get(pk=order.pk).status == OrderStatus.CLOSED


def test_disclosure_page(new_page: Any) -> None:
    office = Department()
    rated(office, 1, dt.date(2025, 6, 2))
    rated(office, 4, dt.date(2025, 6, 3))
    page = new_page()
    page.goto("/reviews/?start=2025-06-01&end=2025-06-30")
    page.get_by_role("heading", name="政务服务好差评公开").wait_for()
    assert "50.0%" in page.content()
    no_axe_problems(page)


def test_rating_page_in_elderly_mode_has_enhanced_contrast(new_page: Any, live_server: Any) -> None:
    office = Department()
    person = applicant()
    case = completed_case(office, person)
    page = signed_in(new_page, live_server, person)
    page.context.add_cookies([{"name": "yiwang_elderly", "value": "1", "url": live_server.url}])
    page.goto(f"/reviews/rate/{case.number}")
    page.get_by_role("heading", name="对本次服务作出评价").wait_for()
    no_axe_problems(page)
    enhanced = enhanced_contrast_violations(page)
    assert enhanced == [], describe(enhanced)
    box = page.locator(".level-choice").first.bounding_box()
    assert box and box["height"] >= 44


def test_the_window_rating_terminal(new_page: Any, live_server: Any) -> None:
    office = Department()
    person = applicant()
    case = completed_case(office, person)
    page = signed_in(new_page, live_server, office.window)
    page.goto("/reviews/hall")
    no_axe_problems(page)
    page.get_by_label("办件编号").fill(case.number)
    page.get_by_role("button", name="开始评价").click()
    page.get_by_text("请办事人本人在此终端上选择满意度").wait_for()
    no_axe_problems(page)
    page.get_by_label("满意", exact=True).check()
    page.get_by_role("button", name="提交评价").click()
    page.get_by_text("评价已记录").wait_for()
    review = Review.objects.get(case=case)
    assert review.rater == person and review.recorded_by == office.window and review.channel == "hall_tablet"
