"""Yellow and red cards: each rule, idempotent raising, inbox notices, and how an alert is closed."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from accounts.identity_factories import make_staff
from catalog.factories import make_organisation, make_region
from supervision.supervision_factories import d, make_case, make_item, supervisor
from yiwang.accounts.models import Role
from yiwang.cases.models import CaseStep
from yiwang.core.models import AuditEntry, InboxMessage
from yiwang.supervision import alerts
from yiwang.supervision.models import Alert, AlertAction, AlertStatus

pytestmark = pytest.mark.django_db
TODAY = d("2026-11-30")


@pytest.fixture
def office() -> dict[str, Any]:
    organisation = make_organisation(make_region("330106"), name="西湖区市场监管局")
    return {
        "organisation": organisation,
        "item": make_item(organisation),
        "clerk": make_staff(organisation, Role.REVIEWER),
        "supervisor": supervisor(make_organisation(make_region("330100"))),
        "elsewhere": supervisor(make_organisation(make_region("330200"))),
    }


def rules_of(case: Any) -> set[str]:
    return set(Alert.objects.filter(case=case).values_list("rule", flat=True))


def test_overdue_acceptance_and_deemed_acceptance_raise_yellow_cards(office: dict[str, Any]) -> None:
    waiting = make_case(
        office["item"], status="submitted", submitted_on=d("2026-11-20"), acceptance_due=d("2026-11-27")
    )
    in_time = make_case(
        office["item"], status="submitted", submitted_on=d("2026-11-27"), acceptance_due=d("2026-12-04")
    )
    deemed = make_case(
        office["item"],
        status="accepted",
        submitted_on=d("2026-11-02"),
        accepted_on=d("2026-11-02"),
        acceptance_due=d("2026-11-09"),
        deemed_accepted=True,
    )
    result = alerts.raise_alerts(TODAY)
    assert rules_of(waiting) == {"overdue_acceptance"} and rules_of(deemed) == {"overdue_acceptance"}
    assert rules_of(in_time) == set()
    assert Alert.objects.get(case=waiting).level == "yellow"
    assert result.raised["overdue_acceptance"] == 2


def test_overdue_step_and_overdue_decision(office: dict[str, Any]) -> None:
    slow = make_case(
        office["item"],
        status="in_review",
        accepted_on=d("2026-11-02"),
        decision_due=d("2026-11-09"),
        due_on=d("2026-11-09"),
    )
    CaseStep.objects.create(
        case=slow,
        order=1,
        name="审查",
        role="审查岗",
        organisation=office["organisation"],
        due_on=d("2026-11-05"),
        status="active",
    )
    late = make_case(
        office["item"],
        status="completed",
        accepted_on=d("2026-11-02"),
        decided_on=d("2026-11-12"),
        completed_on=d("2026-11-12"),
        decision_due=d("2026-11-09"),
    )
    fine = make_case(
        office["item"],
        status="completed",
        accepted_on=d("2026-11-02"),
        decided_on=d("2026-11-09"),
        completed_on=d("2026-11-09"),
        decision_due=d("2026-11-09"),
    )
    alerts.raise_alerts(TODAY)
    assert rules_of(slow) == {"overdue_step", "overdue_decision"}
    assert Alert.objects.get(case=slow, rule="overdue_decision").level == "red"
    assert rules_of(late) == {"overdue_decision"} and rules_of(fine) == set()


def test_unexplained_refusal(office: dict[str, Any], settings: Any) -> None:
    settings.YIWANG_SUPERVISION_MIN_REASON_CHARS = 10
    bare = make_case(office["item"], status="not_accepted", not_accepted_reason="不符合")
    refused = make_case(
        office["item"],
        status="refused",
        decision_reason="",
        decided_on=d("2026-11-10"),
        decision_due=d("2026-11-20"),
    )
    explained = make_case(
        office["item"],
        status="not_accepted",
        not_accepted_reason="申请事项依法不属于本机关职权范围，已告知向区民政局申请。",
    )
    alerts.raise_alerts(TODAY)
    assert rules_of(bare) == {"unexplained_refusal"} and rules_of(refused) == {"unexplained_refusal"}
    assert rules_of(explained) == set()


def test_overdue_rectification_from_the_reviews_app() -> None:
    from reviews.reviews_factories import Department, completed_case
    from yiwang.reviews import services as review_services

    department = Department()
    case = completed_case(department)
    review_services.rate(case, rater=case.applicant, level=5, channel="pc", comment="来回跑了三次，办理太慢")
    from yiwang.reviews.models import WorkOrder

    order = WorkOrder.objects.get()
    assert order.due_on is not None
    assert alerts.raise_alerts(order.due_on).raised.get("overdue_rectification", 0) == 0
    result = alerts.raise_alerts(order.due_on + dt.timedelta(days=1))
    assert result.raised["overdue_rectification"] == 1
    alert = Alert.objects.get(rule="overdue_rectification")
    assert (alert.case_id, alert.organisation_id, alert.level) == (case.pk, department.organisation.pk, "red")


def test_raising_is_idempotent_and_notifies_staff_and_supervisors_once(office: dict[str, Any]) -> None:
    make_case(
        office["item"], status="submitted", submitted_on=d("2026-11-20"), acceptance_due=d("2026-11-27")
    )
    make_case(
        office["item"],
        status="in_review",
        accepted_on=d("2026-11-02"),
        decision_due=d("2026-11-09"),
        due_on=d("2026-11-09"),
    )
    first = alerts.raise_alerts(TODAY)
    assert first.total == 2 and first.notified_users == 2  # the clerk and the 杭州 supervisor
    assert alerts.raise_alerts(TODAY).total == 0
    assert Alert.objects.count() == 2
    message = InboxMessage.objects.get(user=office["clerk"])
    assert message.title == "效能监督：新增红牌 1 件、黄牌 1 件" and message.link.startswith(
        "/supervision/alerts/"
    )
    assert InboxMessage.objects.filter(user=office["supervisor"]).count() == 1
    assert not InboxMessage.objects.filter(user=office["elsewhere"]).exists()
    assert AuditEntry.objects.filter(action="supervision.alerts_raised").count() == 1


def test_acknowledge_explain_and_close_with_a_record(office: dict[str, Any]) -> None:
    make_case(
        office["item"], status="submitted", submitted_on=d("2026-11-20"), acceptance_due=d("2026-11-27")
    )
    alerts.raise_alerts(TODAY)
    alert = Alert.objects.get()
    clerk, boss = office["clerk"], office["supervisor"]
    assert alerts.allowed_actions(clerk, alert) == ["acknowledge", "explain"]
    assert alerts.allowed_actions(office["elsewhere"], alert) == []
    with pytest.raises(alerts.AlertNotPermitted, match="只有监督人员可以对预警销号"):
        alerts.act(alert, "close", actor=clerk, note="已处理")
    with pytest.raises(alerts.AlertNotPermitted):
        alerts.act(alert, "acknowledge", actor=office["elsewhere"])
    alert = alerts.act(alert, "acknowledge", actor=clerk)
    with pytest.raises(alerts.AlertError, match="当前为“已签收”，不能签收"):
        alerts.act(alert, "acknowledge", actor=clerk)
    with pytest.raises(alerts.AlertError, match="请填写情况说明"):
        alerts.act(alert, "explain", actor=clerk, note="好")
    alert = alerts.act(alert, "explain", actor=clerk, note="窗口人员休假未及时受理，已调整排班并当日受理。")
    assert alert.status == AlertStatus.EXPLAINED and "排班" in alert.explanation
    with pytest.raises(alerts.AlertError, match="销号须填写销号意见"):
        alerts.act(alert, "close", actor=boss)
    alert = alerts.act(alert, "close", actor=boss, note="经核实情况属实，已整改，同意销号。")
    assert alert.status == AlertStatus.CLOSED and alert.closed_by == boss and alert.closed_at is not None
    assert alerts.allowed_actions(boss, alert) == []
    assert list(AlertAction.objects.values_list("action", "from_status", "to_status")) == [
        ("acknowledge", "open", "acknowledged"),
        ("explain", "acknowledged", "explained"),
        ("close", "explained", "closed"),
    ]
    assert AuditEntry.objects.filter(action__startswith="supervision.alert.").count() == 3
    with pytest.raises(alerts.AlertError, match="未知的预警操作"):
        alerts.act(alert, "delete", actor=boss)


def test_alerts_command(office: dict[str, Any]) -> None:
    make_case(
        office["item"], status="submitted", submitted_on=d("2026-11-20"), acceptance_due=d("2026-11-27")
    )
    out = StringIO()
    call_command("supervision", "alerts", "--date", "2026-11-30", stdout=out)
    assert "新增预警 1 件（逾期未受理 1 件）" in out.getvalue()
    with pytest.raises(Exception, match="YYYY-MM-DD"):
        call_command("supervision", "alerts", "--date", "30/11/2026", stdout=StringIO())
