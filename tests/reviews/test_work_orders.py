"""The bad-review loop: a work order for the handling department, its deadline in working days across the
National Day holiday, yellow and red warnings, call-back, rectification or explanation, appeal decided by a
supervisor, feedback to the rater, the return visit and closure."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from reviews.reviews_factories import Department, rated
from yiwang.core.models import AuditEntry, InboxMessage
from yiwang.core.workdays import add_working_days
from yiwang.reviews import selectors, services
from yiwang.reviews.errors import NotPermitted, ReviewError
from yiwang.reviews.models import OrderStatus, Review, WarningLevel, WorkOrder, WorkOrderEvent
from yiwang.reviews.sweep import sweep

pytestmark = pytest.mark.django_db

D = dt.date
FRIDAY_BEFORE_NATIONAL_DAY = D(2025, 9, 26)


def test_the_full_loop_with_a_deadline_across_the_national_day_holiday(
    django_capture_on_commit_callbacks: Any,
) -> None:
    office = Department()
    review = rated(office, 5, FRIDAY_BEFORE_NATIONAL_DAY, comment="材料交了三次还说不齐")
    order = WorkOrder.objects.get(review=review)
    # 15 working days after Fri 26 Sep 2025: Sun 28 Sep (调休上班), 29, 30 Sep; 1–8 Oct off; 9, 10 Oct,
    # Sat 11 Oct (调休上班), 13–17, 20–23 Oct. The yellow warning starts after ceil(15 × 0.8) = 12 of them.
    assert order.opened_on == FRIDAY_BEFORE_NATIONAL_DAY
    assert order.due_on == D(2025, 10, 23) == add_working_days(FRIDAY_BEFORE_NATIONAL_DAY, 15)
    assert order.warn_on == D(2025, 10, 20)
    assert order.warning_level == WarningLevel.NONE

    assert sweep(D(2025, 10, 17)).yellow == 0
    assert sweep(D(2025, 10, 20)).yellow == 1
    assert WorkOrder.objects.get(pk=order.pk).warning_level == WarningLevel.YELLOW
    assert sweep(D(2025, 10, 23)).red == 0  # the due day itself is still in time
    assert sweep(D(2025, 10, 24)).red == 1
    assert list(selectors.open_work_orders_overdue(D(2025, 10, 24))) == [order]
    assert AuditEntry.objects.filter(action="reviews.sweep").count() == 2

    with pytest.raises(NotPermitted):
        services.verify(order, actor=office.supervisor, note="监督岗位不替部门核实")
    order = services.verify(order, actor=office.window, note="10月24日电话回访，属实：窗口未一次性告知")
    with pytest.raises(ReviewError, match="不能执行“反馈评价人”"):
        services.give_feedback(order, actor=office.window, text="太早")
    order = services.rectify(order, actor=office.approver, text="制作一次性告知清单，窗口人员培训")
    with django_capture_on_commit_callbacks(execute=True):
        order = services.give_feedback(order, actor=office.window, text="已整改：今后一次性告知所需材料。")
    assert order.status == OrderStatus.FED_BACK and order.due_on is None
    assert InboxMessage.objects.filter(
        user=review.rater, category="reviews", title__contains="处理结果"
    ).exists()
    assert not selectors.open_work_orders_overdue(D(2025, 10, 24)).exists()
    order = services.record_return_visit(order, actor=office.window, note="评价人表示认可", satisfied=True)
    with pytest.raises(NotPermitted):
        services.close(order, actor=office.window)
    order = services.close(order, actor=office.supervisor, comment="核实、整改、反馈、回访齐全")
    assert order.status == OrderStatus.CLOSED and order.closed_at is not None
    actions = list(WorkOrderEvent.objects.filter(order=order).values_list("action", flat=True))
    assert actions == ["open", "verify", "rectify", "feedback", "return_visit", "close"]
    assert AuditEntry.objects.filter(action="reviews.close", object_id=str(order.pk)).exists()


def test_an_upheld_appeal_ends_the_order_and_removes_the_review_from_the_figures() -> None:
    office = Department()
    day = D(2025, 6, 10)
    review = rated(office, 4, day, comment="随便打的")
    order = services.verify(WorkOrder.objects.get(review=review), actor=office.window, note="电话核实：误点")
    order = services.appeal(order, actor=office.window, reason="评价人承认误评，有通话记录")
    assert order.status == OrderStatus.APPEALING and order.due_on is None and order.clock_stopped_on
    with pytest.raises(NotPermitted):
        services.decide_appeal(order, actor=office.approver, upheld=True, reason="部门不能自己复核")
    order = services.decide_appeal(order, actor=office.supervisor, upheld=True, reason="有录音，属误评")
    assert order.status == OrderStatus.APPEAL_UPHELD and order.appeal_upheld is True
    assert Review.objects.get(pk=review.pk).excluded
    stats = selectors.review_stats(organisation_ids=[office.organisation.pk], start=day, end=day)
    assert stats["count"] == 0 and stats["bad_count"] == 0


def test_a_rejected_appeal_resumes_the_clock_and_allows_no_second_appeal() -> None:
    office = Department()
    review = rated(office, 5, D(2025, 6, 10))
    order = services.verify(WorkOrder.objects.get(review=review), actor=office.window, note="核实属实")
    order = services.appeal(order, actor=office.window, reason="认为是恶意差评")
    order = services.decide_appeal(order, actor=office.supervisor, upheld=False, reason="证据不足")
    assert order.status == OrderStatus.VERIFIED and order.appeal_upheld is False
    assert order.clock_stopped_on is None and order.due_on is not None and order.due_on >= D(2025, 7, 1)
    assert not Review.objects.get(pk=review.pk).excluded
    with pytest.raises(ReviewError, match="不能再次申诉"):
        services.appeal(order, actor=office.window, reason="再申诉")
    order = services.explain(order, actor=office.window, text="该诉求缺乏法定依据，已向评价人说明")
    order = services.give_feedback(order, actor=office.window, text="已解释说明")
    stats = selectors.review_stats(
        organisation_ids=[office.organisation.pk], start=D(2025, 6, 1), end=D(2025, 6, 30)
    )
    assert stats["bad_count"] == 1 and stats["rectified_count"] == 1 and stats["rectification_rate"] == 1.0


def test_another_departments_staff_cannot_touch_the_order() -> None:
    office, other = Department(), Department()
    review = rated(office, 4, D(2025, 6, 10))
    order = WorkOrder.objects.get(review=review)
    with pytest.raises(NotPermitted):
        services.verify(order, actor=other.window, note="不是我们办的")
    assert selectors.visible_order(other.window, order.pk) is None
    assert selectors.visible_order(office.window, order.pk) == order


def test_the_operator_commands_sweep_and_list_overdue_orders() -> None:
    from io import StringIO

    from django.core.management import call_command

    office = Department()
    review = rated(office, 4, FRIDAY_BEFORE_NATIONAL_DAY)
    out = StringIO()
    call_command("reviews", "sweep", "--date", "2025-10-24", stdout=out)
    assert "新增红牌（超期）1 件" in out.getvalue()
    out = StringIO()
    call_command("reviews", "overdue", "--date", "2025-10-24", stdout=out)
    assert review.case.number in out.getvalue() and "超期工单共 1 件" in out.getvalue()
