"""The reviews pages: rating form, my reviews with 追评, staff work orders and supervisors' decisions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from cases.case_factories import applicant
from reviews.reviews_factories import Department, completed_case, rated
from yiwang.reviews.models import OrderStatus, Review, WorkOrder

pytestmark = pytest.mark.django_db


def test_rate_page_shows_labels_per_level_and_records_a_bad_review(client: Client) -> None:
    office = Department()
    person = applicant()
    case = completed_case(office, person)
    client.force_login(person)
    page = client.get(f"/reviews/rate/{case.number}").content.decode()
    assert "非常不满意" in page and "推诿扯皮" in page and "办事效率高" in page
    refused = client.post(f"/reviews/rate/{case.number}", {"level": "5", "comment": ""})
    assert refused.status_code == 200 and "差评请写明不满意的原因" in refused.content.decode()
    done = client.post(
        f"/reviews/rate/{case.number}", {"level": "5", "labels": ["推诿扯皮"], "comment": "来回跑了三次"}
    )
    assert done.status_code == 302 and done["Location"] == "/reviews/mine"
    review = Review.objects.get(case=case)
    assert review.labels == ["推诿扯皮"] and review.channel == "pc"
    assert WorkOrder.objects.filter(review=review).exists()
    again = client.get(f"/reviews/rate/{case.number}")
    assert again.status_code == 302  # already rated: go to my reviews to follow up


def test_someone_elses_case_is_not_found(client: Client) -> None:
    office = Department()
    case = completed_case(office)
    client.force_login(applicant())
    assert client.get(f"/reviews/rate/{case.number}").status_code == 404


def test_follow_up_once_on_my_reviews_page(client: Client) -> None:
    office = Department()
    person = applicant()
    review = rated(office, 2, dt.date(2025, 6, 2), person=person)
    client.force_login(person)
    assert "提交追评" in client.get("/reviews/mine").content.decode()
    client.post(f"/reviews/mine/{review.pk}/follow-up", {"text": "补充：窗口服务很好"})
    page = client.get("/reviews/mine").content.decode()
    assert "补充：窗口服务很好" in page and "提交追评" not in page
    response = client.post(f"/reviews/mine/{review.pk}/follow-up", {"text": "再追"}, follow=True)
    assert "只能追评一次" in response.content.decode()


def test_department_works_the_order_and_the_supervisor_closes_it(client: Client) -> None:
    office = Department()
    review = rated(office, 4, dt.date(2025, 6, 2), comment="等太久")
    order = WorkOrder.objects.get(review=review)
    client.force_login(office.window)
    listing = client.get("/reviews/staff/").content.decode()
    assert f"/reviews/staff/{order.pk}" in listing
    detail = client.get(f"/reviews/staff/{order.pk}").content.decode()
    assert "回访核实" in detail and "等太久" in detail
    empty = client.post(f"/reviews/staff/{order.pk}/verify", {"verify-text": ""})
    assert empty.status_code == 400
    for action, text in [("verify", "已电话核实"), ("rectify", "增加窗口"), ("feedback", "已整改并告知")]:
        assert client.post(f"/reviews/staff/{order.pk}/{action}", {f"{action}-text": text}).status_code == 302
    client.post(
        f"/reviews/staff/{order.pk}/return_visit",
        {"return_visit-text": "满意", "return_visit-satisfied": "1"},
    )
    assert client.post(f"/reviews/staff/{order.pk}/close", {"close-text": ""}).status_code == 403
    client.force_login(office.supervisor)
    assert f"/reviews/staff/{order.pk}" in client.get("/reviews/staff/appeals").content.decode()
    assert client.post(f"/reviews/staff/{order.pk}/close", {"close-text": "齐全"}).status_code == 302
    assert WorkOrder.objects.get(pk=order.pk).status == OrderStatus.CLOSED


def test_staff_pages_need_staff_and_hide_other_departments(client: Client) -> None:
    office, other = Department(), Department()
    order = WorkOrder.objects.get(review=rated(office, 4, dt.date(2025, 6, 2)))
    client.force_login(applicant())
    assert client.get("/reviews/staff/").status_code == 403
    client.force_login(other.window)
    assert client.get(f"/reviews/staff/{order.pk}").status_code == 404
    assert f"/reviews/staff/{order.pk}" not in client.get("/reviews/staff/").content.decode()


def test_rating_and_follow_up_through_the_api(client: Client) -> None:
    office = Department()
    person = applicant()
    case = completed_case(office, person)
    client.force_login(person)
    labels = client.get("/api/reviews/labels").json()
    assert labels[0]["level"] == 1 and "办事效率高" in labels[0]["labels"]
    created = client.post(
        "/api/reviews/",
        {"case_number": case.number, "level": 1, "channel": "mobile"},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["level_name"] == "非常满意"
    again = client.post(
        "/api/reviews/", {"case_number": case.number, "level": 2}, content_type="application/json"
    )
    assert again.status_code == 400 and "一事一评" in again.json()["detail"]
    review_id = created.json()["id"]
    assert (
        client.post(
            f"/api/reviews/{review_id}/follow-up", {"text": "好"}, content_type="application/json"
        ).status_code
        == 200
    )
    assert client.get("/api/reviews/mine").json()[0]["follow_up"] == "好"
