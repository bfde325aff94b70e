"""The summary tables, refreshed incrementally from case events, always equal a full recompute — through
the real case services, through the durable catch-up from the event log, and after a rebuild."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from cases.case_factories import Office, applicant, filed_case, form_for, publish, upload_required
from yiwang.cases import services
from yiwang.supervision import summary
from yiwang.supervision.models import CaseFact, CompletedSummary, DurationSummary, FiledSummary, RefreshCursor

pytestmark = pytest.mark.django_db


def assert_tables_match() -> None:
    assert summary.stored_rows() == summary.expected_rows()


def test_every_case_event_keeps_the_tables_equal_to_a_recompute(
    django_capture_on_commit_callbacks: Any,
) -> None:
    office = Office()
    implementation = publish(
        office.organisation, charges_fee=False, fees=[], fee_basis="", supports_online_payment=False
    )
    person = applicant()
    with django_capture_on_commit_callbacks(execute=True):
        case = services.create_draft(implementation, applicant=person, form_data=form_for(person))
    assert not FiledSummary.objects.exists()  # drafts never count
    upload_required(case, person)
    steps: list[Any] = [
        lambda c: services.submit(c, actor=person),
        lambda c: services.accept(c, actor=office.window),
        lambda c: services.start_review(c, actor=office.reviewer),
    ]
    for step in steps:
        with django_capture_on_commit_callbacks(execute=True):
            case = step(case)
        assert_tables_match()
    filed = FiledSummary.objects.get(grain="i")
    assert (filed.status, filed.cases, filed.exempted_materials) == (
        "in_review",
        1,
        2,
    )  # two licences fetched
    for case_step in case.steps.order_by("order"):
        services.complete_step(case, case_step, actor=office.reviewer, opinion="符合条件")
    for step in (
        lambda c: services.approve(c, actor=office.approver, reason="材料齐全，符合条件"),
        lambda c: services.complete(c, actor=office.approver),
        lambda c: services.deliver(c, actor=office.window, method="window"),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            case = step(case)
        assert_tables_match()
    done = CompletedSummary.objects.get(grain="i")
    assert (done.cases, done.on_time, done.one_visit, done.handling_days) == (1, True, True, 0)
    assert list(DurationSummary.objects.values_list("grain", "handling_days", "cases").order_by("grain")) == [
        ("d", 0, 1),
        ("i", 0, 1),
        ("m", 0, 1),
    ]
    assert (
        FiledSummary.objects.get(grain="m").status == "delivered"
    )  # the status cell moved, nothing left behind

    # A second case ends differently: not accepted, and a third withdrawn — each moves its own cells.
    with django_capture_on_commit_callbacks(execute=True):
        second = filed_case(implementation, applicant())
        services.not_accept(second, actor=office.window, reason="不属于本机关职权范围，请向有权机关申请。")
        third = filed_case(implementation, applicant())
        services.withdraw(third, actor=third.applicant, reason="不再需要")
    assert_tables_match()
    assert dict(FiledSummary.objects.filter(grain="d").values_list("status", "cases")) == {
        "delivered": 1,
        "not_accepted": 1,
        "withdrawn": 1,
    }


def test_catch_up_from_the_event_log_recovers_lost_events() -> None:
    office = Office()
    implementation = publish(
        office.organisation, charges_fee=False, fees=[], fee_basis="", supports_online_payment=False
    )
    # Without on-commit callbacks the event handlers never run: as if the process had crashed.
    cases = [filed_case(implementation, applicant()) for _ in range(3)]
    services.accept(cases[0], actor=office.window)
    assert not CaseFact.objects.exists()
    assert summary.catch_up() > 0
    assert_tables_match()
    assert FiledSummary.objects.filter(grain="i", status="accepted").get().cases == 1
    assert RefreshCursor.objects.get(name=summary.CURSOR).last_event_id > 0
    assert summary.catch_up() == 0  # nothing new
    services.accept(cases[1], actor=office.window)
    assert summary.catch_up() == 1
    assert_tables_match()


def test_rebuild_and_verify_commands() -> None:
    office = Office()
    implementation = publish(
        office.organisation, charges_fee=False, fees=[], fee_basis="", supports_online_payment=False
    )
    filed_case(implementation, applicant())
    out = StringIO()
    call_command("supervision", "rebuild", stdout=out)
    assert "全量重建完成：办件 1 件" in out.getvalue()
    assert_tables_match()
    out = StringIO()
    call_command("supervision", "verify", stdout=out)
    assert "一致" in out.getvalue()
    FiledSummary.objects.update(cases=5)
    with pytest.raises(Exception, match="不一致"):
        call_command("supervision", "verify", stdout=StringIO())
    call_command("supervision", "catch-up", stdout=StringIO())


def test_refresh_is_idempotent_and_drops_empty_cells() -> None:
    office = Office()
    implementation = publish(
        office.organisation, charges_fee=False, fees=[], fee_basis="", supports_online_payment=False
    )
    case = filed_case(implementation, applicant())
    assert summary.refresh_cases([case.pk]) == 1
    assert summary.refresh_cases([case.pk]) == 0  # unchanged: nothing applied twice
    services.accept(case, actor=office.window)
    summary.refresh_cases([case.pk])
    assert list(FiledSummary.objects.filter(grain="i").values_list("status", "cases")) == [("accepted", 1)]
    assert_tables_match()
