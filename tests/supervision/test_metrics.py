"""Each metric on a fixed, hand-computed set of cases (November 2026; 2026 holidays from the official
calendar). The supervisor covers 杭州市 (3301xx); a 宁波 case is outside the scope and never counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from accounts.identity_factories import make_person
from catalog.factories import make_organisation, make_region
from supervision.supervision_factories import add_material, d, make_case, make_item, supervisor
from yiwang.supervision import selectors, summary
from yiwang.supervision.filters import Filters

pytestmark = pytest.mark.django_db

NOVEMBER = (d("2026-11-01"), d("2026-11-30"))
TODAY = d("2026-11-30")


@pytest.fixture
def world() -> dict[str, Any]:
    person = make_person()
    office = make_organisation(make_region("330100"), name="杭州市数据资源管理局")
    xihu = make_organisation(make_region("330106"), name="西湖区市场监管局")
    other = make_organisation(make_region("330106"), name="西湖区民政局")
    permit = make_item(xihu, legal_limit=20, promised_limit=5)
    no_legal = make_item(other, legal_limit=None, promised_limit=5)
    ningbo = make_item(make_organisation(make_region("330200")), legal_limit=20, promised_limit=5)
    cases = {
        # A: online, 4 working days (11-03..11-06), on time, no visit.
        "A": make_case(
            permit,
            person,
            channel="web",
            status="delivered",
            submitted_on=d("2026-11-02"),
            accepted_on=d("2026-11-02"),
            decided_on=d("2026-11-06"),
            completed_on=d("2026-11-06"),
            decision_due=d("2026-11-09"),
            delivery_method="electronic",
        ),
        # B: window in, window out (two visits), 13 working days, late.
        "B": make_case(
            permit,
            person,
            channel="window",
            status="delivered",
            submitted_on=d("2026-11-03"),
            accepted_on=d("2026-11-03"),
            decided_on=d("2026-11-20"),
            completed_on=d("2026-11-20"),
            decision_due=d("2026-11-10"),
            delivery_method="window",
        ),
        # C: filed in October, completed in November; decided on its deadline day; no legal limit.
        "C": make_case(
            no_legal,
            person,
            channel="window",
            status="completed",
            submitted_on=d("2026-10-28"),
            accepted_on=d("2026-10-28"),
            decided_on=d("2026-11-04"),
            completed_on=d("2026-11-05"),
            decision_due=d("2026-11-04"),
            delivery_method="post",
        ),
        # D: still in review, past its deadline on 11-30.
        "D": make_case(
            permit,
            person,
            channel="mobile",
            status="in_review",
            submitted_on=d("2026-11-25"),
            accepted_on=d("2026-11-25"),
            decision_due=d("2026-11-26"),
            due_on=d("2026-11-26"),
            warn_on=d("2026-11-25"),
        ),
        # E: filed in November, completed in December.
        "E": make_case(
            permit,
            person,
            channel="web",
            status="completed",
            submitted_on=d("2026-11-30"),
            accepted_on=d("2026-11-30"),
            decided_on=d("2026-12-01"),
            completed_on=d("2026-12-01"),
            decision_due=d("2026-12-07"),
        ),
        # F: a system interface filing, not accepted.
        "F": make_case(
            permit,
            person,
            channel="api",
            status="not_accepted",
            submitted_on=d("2026-11-10"),
            not_accepted_reason="申请事项不属于本机关职权范围，已告知向有权机关申请。",
        ),
        # G: 10 working days (11-03..11-16) of which 3 suspended: 7; on time.
        "G": make_case(
            permit,
            person,
            channel="web",
            status="completed",
            submitted_on=d("2026-11-02"),
            accepted_on=d("2026-11-02"),
            decided_on=d("2026-11-16"),
            completed_on=d("2026-11-16"),
            decision_due=d("2026-11-20"),
            suspended_days=3,
            delivery_method="post",
        ),
        # I: accepted, its yellow warning started on 11-28, deadline 12-05.
        "I": make_case(
            permit,
            person,
            channel="web",
            status="accepted",
            submitted_on=d("2026-11-20"),
            accepted_on=d("2026-11-20"),
            decision_due=d("2026-12-05"),
            due_on=d("2026-12-05"),
            warn_on=d("2026-11-28"),
        ),
        # Outside the supervisor's scope (宁波).
        "N": make_case(
            ningbo,
            person,
            channel="window",
            status="completed",
            submitted_on=d("2026-11-02"),
            accepted_on=d("2026-11-02"),
            decided_on=d("2026-11-20"),
            completed_on=d("2026-11-20"),
            decision_due=d("2026-11-05"),
            due_on=d("2026-11-05"),
        ),
    }
    add_material(cases["A"], "营业执照", "licence", "fetched")
    add_material(cases["A"], "身份证", "sharing", "to_be_fetched")
    add_material(cases["A"], "户口簿", "sharing", "submitted")  # uploaded anyway: not exempted
    add_material(cases["A"], "申请表")
    add_material(cases["C"], "营业执照", "licence", "fetched")  # filed in October
    summary.rebuild()
    return {"cases": cases, "user": supervisor(office), "xihu": xihu, "other": other, "permit": permit}


def november(**kwargs: Any) -> Filters:
    return Filters(*NOVEMBER, **kwargs)


def test_filed_count_online_share_and_channels(world: dict[str, Any]) -> None:
    figures = selectors.filing_figures(november(), world["user"])
    assert figures["cases"] == 7  # A B D E F G I (C filed in October, N outside the scope)
    assert figures["online"] == 6  # all but B (window); the API filing counts as online
    assert figures["online_rate"] == Decimal("85.7")
    channels = {row[0].text: row[1].value for row in selectors.channels(november(), world["user"]).rows}
    assert channels == {"网上办理（电脑端）": 4, "移动端": 1, "窗口办理": 1, "系统接口": 1}


def test_status_breakdown_is_the_current_status_of_the_cases_filed(world: dict[str, Any]) -> None:
    rows = {row[0].text: row[1].value for row in selectors.statuses(november(), world["user"]).rows}
    assert rows == {"已送达": 2, "已办结": 2, "审查中": 1, "不予受理": 1, "已受理": 1}


def test_completed_on_time_and_one_visit(world: dict[str, Any]) -> None:
    done = selectors.completion_figures(november(), world["user"])
    assert done["cases"] == 4  # A B C G (E completes in December)
    assert done["on_time"] == 3  # B decided after its deadline; C decided on the deadline day counts
    assert done["late"] == 1
    assert done["on_time_rate"] == Decimal("75.0")
    assert done["one_visit"] == 3  # only B went to the window twice
    assert done["one_visit_rate"] == Decimal("75.0")


def test_handling_time_mean_median_and_compression(world: dict[str, Any]) -> None:
    done = selectors.completion_figures(november(), world["user"])
    assert done["histogram"] == [(4, 1), (5, 1), (7, 1), (13, 1)]  # A 4, C 5, G 10−3, B 13
    assert done["mean_days"] == Decimal("7.25")
    assert done["median_days"] == Decimal("6.00")
    assert done["mean_promised"] == Decimal("5.00")
    assert done["mean_legal"] == Decimal("20.00")  # over A, B, G (C's guide states no legal limit)
    assert done["promise_compression"] == Decimal("75.00")  # 1 − 15 / 60
    assert done["actual_compression"] == Decimal("60.00")  # 1 − (4 + 13 + 7) / 60


def test_a_case_counts_in_each_period_for_what_happened_in_it(world: dict[str, Any]) -> None:
    october = Filters(d("2026-10-01"), d("2026-10-31"))
    assert selectors.filing_figures(october, world["user"])["cases"] == 1  # C
    assert selectors.completion_figures(october, world["user"])["cases"] == 0
    december = Filters(d("2026-12-01"), d("2026-12-31"))
    assert selectors.filing_figures(december, world["user"])["cases"] == 0
    assert selectors.completion_figures(december, world["user"])["cases"] == 1  # E
    both = Filters(d("2026-10-01"), d("2026-12-31"))
    assert selectors.completion_figures(both, world["user"])["cases"] == 5


def test_holidays_do_not_count_as_handling_days(world: dict[str, Any]) -> None:
    # Accepted on 09-30, decided on 10-09: 10-01..10-07 is the National Day holiday (2026 official
    # schedule), 10-08 and 10-09 are working days — two working days.
    make_case(
        world["permit"],
        channel="web",
        status="completed",
        submitted_on=d("2026-09-30"),
        accepted_on=d("2026-09-30"),
        decided_on=d("2026-10-09"),
        completed_on=d("2026-10-09"),
        decision_due=d("2026-10-13"),
    )
    summary.rebuild()
    october = Filters(d("2026-10-01"), d("2026-10-31"))
    done = selectors.completion_figures(october, world["user"])
    assert done["histogram"] == [(2, 1)]


def test_live_overdue_and_warned(world: dict[str, Any]) -> None:
    live = selectors.live_figures(november(), world["user"], today=TODAY)
    assert live == {"overdue": 1, "warned": 1}  # D past 11-26; I warned since 11-28 (N outside scope)


def test_materials_no_longer_submitted(world: dict[str, Any]) -> None:
    assert selectors.filing_figures(november(), world["user"])["exempted"] == 2
    names = sorted(selectors.drill_materials(november(), world["user"]).values_list("name", flat=True))
    assert names == ["营业执照", "身份证"]


def test_organisation_and_item_filters(world: dict[str, Any]) -> None:
    only = november(organisation=world["other"])
    assert selectors.completion_figures(only, world["user"])["cases"] == 1  # C
    item = november(implementation=world["permit"].implementation)
    assert selectors.filing_figures(item, world["user"])["cases"] == 7
    ranking = selectors.ranking(november(), world["user"])
    assert [(row[0].text, row[1].value, row[3].value) for row in ranking.rows] == [
        ("西湖区市场监管局", 3, 1),  # 66.7% on time: worst first
        ("西湖区民政局", 1, 0),
    ]


@pytest.mark.parametrize(
    "period",
    [
        NOVEMBER,  # one whole month: monthly rows
        (d("2026-10-15"), d("2026-12-10")),  # a whole month between two partial ones: monthly + daily rows
        (d("2026-11-03"), d("2026-11-20")),  # inside a month: daily rows only
    ],
)
def test_every_dashboard_number_equals_the_list_it_drills_into(
    world: dict[str, Any], period: tuple[dt.date, dt.date]
) -> None:
    f = Filters(*period)
    checked = 0
    for key in selectors.PANELS:
        panel = selectors.panel(key, f, world["user"], TODAY)
        for row in panel.rows:
            for cell in row:
                if cell.drill is None:
                    continue
                assert selectors.drill_count(f, world["user"], cell.drill, TODAY) == cell.value, (
                    key,
                    row[0].text,
                    cell.drill,
                )
                checked += 1
    assert checked > 30


def test_median_of_an_odd_and_an_even_distribution() -> None:
    assert selectors.median([(1, 1), (3, 1), (8, 1)]) == Decimal("3.00")
    assert selectors.median([(2, 3), (9, 1)]) == Decimal("2.00")
    assert selectors.median([(2, 1), (9, 1)]) == Decimal("5.50")
    assert selectors.median([]) is None


def test_trend_buckets_by_day_week_and_month(world: dict[str, Any]) -> None:
    assert len(selectors.trend(november(), world["user"]).rows) == 30
    quarter = Filters(d("2026-10-01"), d("2026-12-31"))
    weeks = selectors.trend(quarter, world["user"])
    assert weeks.note == "按周" and sum(row[1].value for row in weeks.rows) == 8
    year = Filters(d("2026-01-01"), d("2026-12-31"))
    months = selectors.trend(year, world["user"])
    assert len(months.rows) == 12 and sum(row[2].value for row in months.rows) == 5
    assert dt.date(2026, 1, 1) == year.start


def test_a_period_is_split_into_whole_months_and_edge_days() -> None:
    assert selectors.full_months(d("2026-10-15"), d("2026-12-10")) == (
        [d("2026-11-01")],
        [(d("2026-10-15"), d("2026-10-31")), (d("2026-12-01"), d("2026-12-10"))],
    )
    assert selectors.full_months(d("2026-11-01"), d("2026-11-30")) == ([d("2026-11-01")], [])
    assert selectors.full_months(d("2026-11-03"), d("2026-11-20")) == (
        [],
        [(d("2026-11-03"), d("2026-11-20"))],
    )
    assert selectors.full_months(d("2026-01-01"), d("2026-03-31"))[0] == [
        d("2026-01-01"),
        d("2026-02-01"),
        d("2026-03-01"),
    ]


def test_item_filter_reads_the_item_rows(world: dict[str, Any]) -> None:
    f = november(implementation=world["permit"].implementation)
    assert selectors.completion_figures(f, world["user"])["histogram"] == [(4, 1), (7, 1), (13, 1)]
