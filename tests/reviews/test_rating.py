"""Rating a completed case: the invitation on completion, one review per case and rater, labels per level,
a bad review needs a reason and opens a work order, 追评 once only."""

from __future__ import annotations

from typing import Any

import pytest

from cases.case_factories import applicant, filed_case, publish
from reviews.reviews_factories import Department, completed_case
from yiwang.core.models import AuditEntry, InboxMessage
from yiwang.reviews import services
from yiwang.reviews.errors import NotPermitted, ReviewError
from yiwang.reviews.models import Invitation, Level, Mode, OrderStatus, Review, WorkOrder

pytestmark = pytest.mark.django_db


def test_completion_sends_one_invitation_to_the_applicant_inbox(
    django_capture_on_commit_callbacks: Any,
) -> None:
    office = Department()
    person = applicant()
    with django_capture_on_commit_callbacks(execute=True):
        case = completed_case(office, person)
    invitation = Invitation.objects.get(case=case)
    assert invitation.rater == person and invitation.sent_via == "inbox"
    message = InboxMessage.objects.get(user=person, case_number=case.number, category="reviews")
    assert f"/reviews/rate/{case.number}" in message.link
    assert services.invite(case) is None  # a repeated event sends nothing more
    assert Invitation.objects.filter(case=case).count() == 1


def test_a_good_rating_with_labels_of_its_level() -> None:
    office = Department()
    person = applicant()
    case = completed_case(office, person)
    review = services.rate(
        case, rater=person, level=Level.VERY_SATISFIED, channel="mobile", labels=["办事效率高", "一次办成"]
    )
    assert review.labels == ["办事效率高", "一次办成"] and review.mode == Mode.ONLINE
    assert review.organisation_id == case.organisation_id and not review.is_bad
    assert not WorkOrder.objects.exists()
    assert AuditEntry.objects.filter(action="reviews.rate", object_id=str(review.pk)).exists()


def test_labels_of_another_level_and_unknown_channels_are_refused() -> None:
    office = Department()
    person = applicant()
    case = completed_case(office, person)
    with pytest.raises(ReviewError, match="标签“多次跑腿”不属于“非常满意”"):
        services.rate(case, rater=person, level=1, channel="pc", labels=["多次跑腿"])
    with pytest.raises(ReviewError, match="评价渠道“fax”无效"):
        services.rate(case, rater=person, level=1, channel="fax")
    with pytest.raises(ReviewError, match="差评请写明不满意的原因"):
        services.rate(case, rater=person, level=5, channel="pc")
    assert not Review.objects.exists()


def test_only_completed_cases_and_only_their_applicant() -> None:
    office = Department()
    person = applicant()
    filed = filed_case(publish(office.organisation), person)
    with pytest.raises(ReviewError, match="尚未办结"):
        services.rate(filed, rater=person, level=1, channel="pc")
    case = completed_case(office, person)
    with pytest.raises(NotPermitted, match="只有办件"):
        services.rate(case, rater=applicant(), level=1, channel="pc")


def test_one_review_per_case_and_rater() -> None:
    office = Department()
    person = applicant()
    case = completed_case(office, person)
    services.rate(case, rater=person, level=2, channel="pc")
    with pytest.raises(ReviewError, match="一事一评"):
        services.rate(case, rater=person, level=1, channel="hall_tablet")
    assert Review.objects.filter(case=case).count() == 1


def test_a_window_rating_is_one_per_visit_and_marked_onsite() -> None:
    office = Department()
    person = applicant()
    review = services.rate(completed_case(office, person), rater=person, level=3, channel="hall_tablet")
    assert review.mode == Mode.ONSITE


def test_a_bad_review_opens_a_work_order_for_the_handling_department() -> None:
    office = Department()
    person = applicant()
    case = completed_case(office, person)
    review = services.rate(case, rater=person, level=Level.DISSATISFIED, channel="pc", comment="跑了三次")
    order = WorkOrder.objects.get(review=review)
    assert order.organisation_id == case.organisation_id and order.status == OrderStatus.OPEN
    assert order.limit_days == 15 and order.due_on is not None


def test_follow_up_once_only_and_only_by_the_rater() -> None:
    office = Department()
    person = applicant()
    review = services.rate(completed_case(office, person), rater=person, level=2, channel="pc")
    with pytest.raises(NotPermitted):
        services.follow_up(review, rater=applicant(), text="冒充追评")
    services.follow_up(review, rater=person, text="后来又顺利领到证了")
    with pytest.raises(ReviewError, match="只能追评一次"):
        services.follow_up(review, rater=person, text="再追一次")
    review.refresh_from_db()
    assert review.follow_up == "后来又顺利领到证了"


def test_the_limit_is_configurable(settings: object) -> None:
    settings.YIWANG_REVIEW_RECTIFY_DAYS = 5  # type: ignore[attr-defined]
    office = Department()
    person = applicant()
    review = services.rate(
        completed_case(office, person), rater=person, level=5, channel="pc", comment="态度差"
    )
    assert WorkOrder.objects.get(review=review).limit_days == 5


def test_a_window_terminal_records_the_applicants_rating_once() -> None:
    office, other = Department(), Department()
    person = applicant()
    case = completed_case(office, person)
    with pytest.raises(NotPermitted, match="窗口人员"):
        services.rate(case, rater=person, level=1, channel="hall_tablet", recorded_by=other.window)
    with pytest.raises(ReviewError, match="现场评价须使用"):
        services.rate(case, rater=person, level=1, channel="pc", recorded_by=office.window)
    review = services.rate(case, rater=person, level=1, channel="hall_tablet", recorded_by=office.window)
    assert review.mode == Mode.ONSITE and review.recorded_by == office.window and review.rater == person
    with pytest.raises(ReviewError, match="一事一评"):
        services.rate(case, rater=person, level=2, channel="pc")


def test_the_hall_terminal_page(client: Any) -> None:
    office = Department()
    person = applicant()
    case = completed_case(office, person)
    client.force_login(office.window)
    assert "开始评价" in client.get("/reviews/hall").content.decode()
    page = client.get("/reviews/hall", {"number": case.number}).content.decode()
    assert "请办事人本人在此终端上选择满意度" in page
    done = client.post(f"/reviews/hall?number={case.number}", {"level": "2", "labels": ["指南清楚"]})
    assert done.status_code == 302
    review = Review.objects.get(case=case)
    assert review.channel == "hall_tablet" and review.labels == ["指南清楚"]
    assert "已评价过" in client.get("/reviews/hall", {"number": case.number}).content.decode()
    client.force_login(Department().window)
    assert "没有找到本机构的办件" in client.get("/reviews/hall", {"number": case.number}).content.decode()
