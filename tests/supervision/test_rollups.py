"""The dashboard panels read rollups (summary rows at three grains, case and review facts). On random cases
and reviews, every figure they show equals a direct computation over the raw cases and reviews — after a
set-based rebuild, after incremental refreshes, and after updates (a case completing, a status moving, a
review rectified, an appeal upheld, a new review). Also: review events through the real services keep the
review rollup equal to a recompute, the catch-up recovers lost review events, and the panel cache."""

from __future__ import annotations

import datetime as dt
import random
import statistics
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.db.models import Q
from django.utils import timezone

from accounts.identity_factories import make_person
from catalog.factories import make_organisation, make_region
from supervision.supervision_factories import add_material, d, make_case, make_item, supervisor
from yiwang.accounts.models import User
from yiwang.cases.models import Case, CaseMaterial
from yiwang.catalog import codes
from yiwang.core.workdays import add_working_days, working_days_between
from yiwang.reviews.models import OrderStatus, Review, WorkOrder
from yiwang.reviews.selectors import review_stats
from yiwang.supervision import review_summary, selectors, summary
from yiwang.supervision.filters import Filters, organisation_choices, parse
from yiwang.supervision.models import ReviewFact, ReviewSummary

pytestmark = pytest.mark.django_db

START, END = d("2026-07-20"), d("2026-11-25")
TODAY = d("2026-11-26")
CHANNELS = ["web", "mobile", "window", "api"]
RECTIFIED = {"fed_back", "visited", "closed"}


# --- a random world ----------------------------------------------------------------------------------------


def _random_case(rng: random.Random, item: Any, person: User) -> Case:
    filed = START + dt.timedelta(days=rng.randrange((END - START).days + 1))
    fields: dict[str, Any] = {
        "submitted_on": filed,
        "channel": rng.choice(CHANNELS),
        "limit_days": rng.choice([3, 5, 10]),
        "status": "submitted",
    }
    roll = rng.random()
    if roll < 0.1:
        fields["status"] = rng.choice(["not_accepted", "withdrawn"])
    elif roll < 0.3:
        accepted = add_working_days(filed, rng.choice([0, 1]))
        fields.update(status="in_review", accepted_on=accepted, decision_due=add_working_days(accepted, 5))
        fields.update(due_on=fields["decision_due"], warn_on=add_working_days(accepted, 4))
    elif roll > 0.35:
        _complete(rng, fields, filed)
    case = make_case(item, person, **fields)
    for n in range(rng.randrange(3)):
        add_material(case, f"材料{n}", obtainable_by=rng.choice(["", "share", "licence"]), status="fetched")
    return case


def _complete(rng: random.Random, fields: dict[str, Any], filed: dt.date) -> None:
    accepted = add_working_days(filed, rng.choice([0, 0, 1, 2]))
    decided = add_working_days(accepted, rng.randrange(0, 14))
    fields.update(
        status=rng.choice(["completed", "delivered"]),
        accepted_on=accepted,
        decided_on=decided,
        completed_on=decided + dt.timedelta(days=rng.choice([0, 0, 1])),
        decision_due=rng.choice([add_working_days(accepted, 5), add_working_days(accepted, 10), None]),
        delivery_method=rng.choice(["electronic", "post", "window"]),
        suspended_days=rng.choice([0, 0, 0, 1, 3]),
        due_on=None,
        warn_on=None,
    )


def _review(rng: random.Random, case: Case) -> Review:
    level = rng.choice([1, 1, 2, 3, 4, 5])
    rated_on = case.completed_on + dt.timedelta(days=rng.choice([0, 1, 3]))
    review = Review.objects.create(
        case=case,
        rater=case.applicant,
        organisation_id=case.organisation_id,
        implementation_id=case.implementation_id,
        region_id=case.region_id,
        level=level,
        channel="pc",
        mode="online",
        rated_at=timezone.make_aware(dt.datetime.combine(rated_on, dt.time(10))),
        rated_on=rated_on,
        is_bad=level >= 4,
    )
    if review.is_bad:
        WorkOrder.objects.create(
            review=review,
            organisation_id=case.organisation_id,
            region_id=case.region_id,
            status=rng.choice(["open", "verified", "rectified", "fed_back", "visited", "closed"]),
            opened_on=rated_on,
            limit_days=10,
        )
    return review


@pytest.fixture
def world() -> dict[str, Any]:
    rng = random.Random(20261122)
    xihu, shangcheng, ningbo = make_region("330106"), make_region("330102"), make_region("330203")
    organisations = [
        make_organisation(make_region("330100"), name="杭州市数据资源管理局"),
        make_organisation(xihu, name="西湖区市场监管局"),
        make_organisation(xihu, name="西湖区民政局"),
        make_organisation(shangcheng, name="上城区人社局"),
        make_organisation(ningbo, name="海曙区卫健局"),
    ]
    items = [
        make_item(organisations[i % 5], legal_limit=rng.choice([20, 15, None]), promised_limit=5)
        for i in range(7)
    ]
    items.append(make_item(organisations[1], legal_limit=30, legal_limit_unit=codes.TimeUnit.CALENDAR_DAY))
    people = [make_person() for _ in range(4)]
    cases = [_random_case(rng, rng.choice(items), rng.choice(people)) for _ in range(160)]
    done = [c for c in cases if c.completed_on]
    for case in rng.sample(done, k=len(done) * 2 // 3):
        _review(rng, case)
    root = User.objects.create_user(username="sv-root", password="x", is_superuser=True)
    return {
        "rng": rng,
        "organisations": organisations,
        "items": items,
        "people": people,
        "root": root,
        "county": supervisor(organisations[1]),  # 西湖区 subtree
        "city": supervisor(organisations[0]),  # 杭州市 subtree
    }


def _scopes(world: dict[str, Any]) -> list[tuple[Any, Filters]]:
    root, county, city = world["root"], world["county"], world["city"]
    span = {"start": START.isoformat(), "end": END.isoformat()}
    xihu_org, item = world["organisations"][1], world["items"][1]
    plans = [
        (root, span),  # whole months (Aug–Oct) from monthly rows, the edges from daily rows
        (root, {"start": "2026-09-01", "end": "2026-09-30"}),  # exactly one month
        (root, {"start": "2026-10-09", "end": "2026-10-09"}),  # one day
        # Most of August and September: each month's monthly rows minus the few days outside the period.
        (root, {"start": "2026-08-03", "end": "2026-09-27"}),
        (county, {"start": "2026-08-03", "end": "2026-09-27"}),
        (root, {**span, "organisation": str(xihu_org.pk)}),
        (root, {**span, "region": "330100"}),
        (root, {**span, "item": str(item.implementation.pk)}),
        (county, span),
        (city, {"start": "2026-08-10", "end": "2026-11-02"}),
        (city, {**span, "region": "330106"}),
    ]
    return [(user, parse(params, user=user, today=TODAY)) for user, params in plans]


# --- the direct computation ---------------------------------------------------------------------------


def _in_scope(case: Case, f: Filters, user: Any) -> bool:
    allowed = Case.objects.filter(selectors.supervisor_scope(user), pk=case.pk).exists()
    if f.region is not None and not case.region_id.startswith(f.region.subtree_prefix):
        return False
    if f.organisation is not None and case.organisation_id != f.organisation.pk:
        return False
    if f.implementation is not None and case.implementation_id != f.implementation.pk:
        return False
    return allowed


def _handling(case: Case) -> int:
    if case.accepted_on is None or case.decided_on is None:
        return 0
    return max(0, working_days_between(case.accepted_on, case.decided_on) - case.suspended_days)


def _two(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def direct(f: Filters, user: Any) -> dict[str, Any]:
    """The figures straight from the cases (one Python loop, the metric definitions as written in
    docs/apps/supervision.md), and 好差评 from the reviews app's own `review_stats`."""
    cases = [c for c in Case.objects.select_related("guide").order_by("pk") if _in_scope(c, f, user)]
    filed = [c for c in cases if c.submitted_on and f.start <= c.submitted_on <= f.end]
    done = [c for c in cases if c.completed_on and f.start <= c.completed_on <= f.end]
    on_time = [c for c in done if c.decision_due is None or (c.decided_on and c.decided_on <= c.decision_due)]
    one_visit = [c for c in done if not (c.channel == "window" and c.delivery_method == "window")]
    handling = [_handling(c) for c in done]
    legal = [c for c in done if c.guide.legal_limit_unit == "wd" and c.guide.legal_limit is not None]
    legal_sum = sum(c.guide.legal_limit for c in legal)
    exempted = (
        CaseMaterial.objects.filter(case__in=filed).exclude(obtainable_by="").exclude(status="submitted")
    )
    figures: dict[str, Any] = {
        "filed": len(filed),
        "online": sum(c.channel != "window" for c in filed),
        "exempted": exempted.count(),
        "completed": len(done),
        "on_time": len(on_time),
        "one_visit": len(one_visit),
        "mean_days": _two(Decimal(sum(handling)) / len(done)) if done else None,
        "median_days": _two(Decimal(str(statistics.median(handling)))) if done else None,
        "mean_promised": _two(Decimal(sum(c.limit_days for c in done)) / len(done)) if done else None,
        "mean_legal": _two(Decimal(legal_sum) / len(legal)) if legal else None,
        "promise_compression": (
            _two(100 - Decimal(sum(c.limit_days for c in legal)) * 100 / legal_sum) if legal_sum else None
        ),
        "actual_compression": (
            _two(100 - Decimal(sum(_handling(c) for c in legal)) * 100 / legal_sum) if legal_sum else None
        ),
        "channels": Counter(c.channel for c in filed),
        "statuses": Counter(c.status for c in filed),
        "bins": [
            sum(1 for h in handling if h >= low and (high is None or h <= high))
            for low, high in selectors.DURATION_BINS
        ],
        "by_organisation": Counter(c.organisation_id for c in done),
        "on_time_by_organisation": Counter(c.organisation_id for c in on_time),
        "filed_days": Counter(c.submitted_on for c in filed),
        "done_days": Counter(c.completed_on for c in done),
        "late_days": Counter(c.completed_on for c in done if c not in on_time),
    }
    # 好差评 as the dashboard asked for it before the rollup (the reviews app's contract).
    kwargs: dict[str, Any] = {"start": f.start, "end": f.end}
    if f.organisation is not None:
        kwargs["organisation_ids"] = [f.organisation.pk]
    elif not user.is_superuser and f.region is None:
        kwargs["organisation_ids"] = list(organisation_choices(user).values_list("pk", flat=True))
    if f.region is not None:
        kwargs["region_code"] = f.region.code
    if f.implementation is not None:
        kwargs["implementation_ids"] = [f.implementation.pk]
    figures["reviews"] = review_stats(**kwargs)
    return figures


def rollup(f: Filters, user: Any) -> dict[str, Any]:
    """The same figures as the dashboard panels show them (read from the rollups)."""
    filing, done = selectors.filing_figures(f, user), selectors.completion_figures(f, user)
    channels = selectors.channels(f, user)
    statuses = selectors.statuses(f, user)
    ranking = selectors.ranking(f, user)
    trend = selectors.trend(f, user)
    figures: dict[str, Any] = {
        "filed": filing["cases"],
        "online": filing["online"],
        "exempted": filing["exempted"],
        "completed": done["cases"],
        "on_time": done["on_time"],
        "one_visit": done["one_visit"],
        **{
            key: done[key]
            for key in (
                "mean_days",
                "median_days",
                "mean_promised",
                "mean_legal",
                "promise_compression",
                "actual_compression",
            )
        },
        "channels": Counter({row[1].drill["channel"]: row[1].value for row in channels.rows if row[1].value}),
        "statuses": Counter({row[1].drill["status"]: row[1].value for row in statuses.rows}),
        "bins": [row[1].value for row in selectors.durations(f, user).rows],
        "by_organisation": Counter({r[1].drill["organisation"]: r[1].value for r in ranking.rows}),
        "on_time_by_organisation": Counter(
            {
                r[1].drill["organisation"]: r[1].value - r[3].value
                for r in ranking.rows
                if r[1].value > r[3].value
            }
        ),
        "reviews": selectors.satisfaction(f, user),
    }
    # The trend's buckets, summed back to what each day holds (buckets of one day or more).
    day_rows = [(row[1].drill["start"], row[1].drill["end"], row) for row in trend.rows]
    figures["trend"] = [(s, e, r[1].value, r[2].value, r[3].value) for s, e, r in day_rows]
    return figures


def assert_panels_equal_direct(world: dict[str, Any]) -> None:
    for user, f in _scopes(world):
        want, have = direct(f, user), rollup(f, user)
        trend = have.pop("trend")
        for key in list(have):
            assert have[key] == want[key], (key, user.username, f)
        for start, end, filed, done, late in trend:
            days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
            assert filed == sum(want["filed_days"][day] for day in days)
            assert done == sum(want["done_days"][day] for day in days)
            assert late == sum(want["late_days"][day] for day in days)
        regions = selectors.regions(f, user)
        for row in regions.rows:
            assert row[1].value == selectors.drill_count(f, user, row[1].drill, TODAY)
            assert row[2].value == selectors.drill_count(f, user, row[2].drill, TODAY)
    assert summary.stored_rows() == summary.expected_rows()


# --- the tests -------------------------------------------------------------------------------------------


def test_a_partial_month_is_read_the_cheaper_way() -> None:
    august = Filters(d("2026-08-03"), d("2026-09-27"), "custom")
    rows, minus = selectors.period_rows(august)
    # August and September as monthly rows; 1–2 August and 28–30 September subtracted as daily rows.
    early, late = (d("2026-08-01"), d("2026-08-02")), (d("2026-09-28"), d("2026-09-30"))
    nothing = Q(pk__in=[])
    assert minus == nothing | Q(grain="d", day__range=early) | Q(grain="d", day__range=late)
    assert rows == (
        nothing
        | Q(grain="m", day=d("2026-08-01"))
        | Q(grain="d", day__range=early)
        | Q(grain="m", day=d("2026-09-01"))
        | Q(grain="d", day__range=late)
    )
    # One day is cheaper as that day; without subtraction (the trend) the edges are days.
    assert selectors.period_rows(Filters(d("2026-10-09"), d("2026-10-09"), "custom"))[1] == nothing
    assert selectors.period_q(august) == (
        nothing
        | Q(grain="d", day__range=(d("2026-08-03"), d("2026-08-31")))
        | Q(grain="d", day__range=(d("2026-09-01"), d("2026-09-27")))
    )


def test_rollup_panels_equal_a_direct_computation_over_random_data(world: dict[str, Any]) -> None:
    assert summary.rebuild() == Case.objects.exclude(submitted_on=None).count()  # set-based (SQL) path
    assert ReviewFact.objects.count() == Review.objects.filter(excluded=False).count()
    assert ReviewSummary.objects.filter(grain="m").count() < ReviewSummary.objects.filter(grain="i").count()
    user, f = _scopes(world)[0]
    whole = direct(f, user)  # the data is not trivial: every kind of figure is there
    assert whole["filed"] > 100 and whole["completed"] > 50 and len(whole["statuses"]) >= 5
    assert whole["reviews"]["bad_count"] > whole["reviews"]["rectified_count"] > 0
    assert whole["exempted"] > 0 and whole["mean_legal"] is not None
    assert_panels_equal_direct(world)

    # The same tables through the incremental (Python) path, case by case and review by review.
    rebuilt = summary.stored_rows()
    for model, _keys, _values in summary.TABLES.values():
        model.objects.all().delete()
    summary.CaseFact.objects.all().delete()
    ReviewFact.objects.all().delete()
    ReviewSummary.objects.all().delete()
    summary.refresh_cases(Case.objects.values_list("pk", flat=True))
    review_summary.refresh_reviews(Review.objects.values_list("pk", flat=True))
    assert summary.stored_rows() == rebuilt


def test_updates_keep_the_rollup_panels_equal_to_a_direct_computation(world: dict[str, Any]) -> None:
    summary.rebuild()
    rng: random.Random = world["rng"]
    running = list(Case.objects.filter(status="in_review").order_by("pk"))
    assert len(running) >= 4
    # A case completes; another one is withdrawn; a third one's completion moves to another month.
    finishing = running[0]
    fields: dict[str, Any] = {}
    _complete(rng, fields, finishing.submitted_on)
    Case.objects.filter(pk=finishing.pk).update(**fields)
    Case.objects.filter(pk=running[1].pk).update(status="withdrawn", due_on=None, warn_on=None)
    moved = Case.objects.filter(completed_on__month=10).order_by("pk").first()
    assert moved is not None
    Case.objects.filter(pk=moved.pk).update(completed_on=d("2026-11-03"), decided_on=d("2026-11-03"))
    summary.refresh_cases([finishing.pk, running[1].pk, moved.pk])

    # A bad review is rectified and fed back; an appeal is upheld (the review no longer counts); a
    # fresh review of a completed case arrives.
    orders = list(WorkOrder.objects.filter(status__in=["open", "verified"]).order_by("pk"))
    assert len(orders) >= 2
    WorkOrder.objects.filter(pk=orders[0].pk).update(status=OrderStatus.FED_BACK)
    WorkOrder.objects.filter(pk=orders[1].pk).update(status=OrderStatus.APPEAL_UPHELD)
    Review.objects.filter(pk=orders[1].review_id).update(excluded=True)
    unrated = Case.objects.filter(completed_on__isnull=False, reviews__isnull=True).order_by("pk").first()
    assert unrated is not None
    fresh = _review(rng, unrated)
    review_summary.refresh_reviews([orders[0].review_id, orders[1].review_id, fresh.pk])
    assert not ReviewFact.objects.filter(review_id=orders[1].review_id).exists()
    assert ReviewFact.objects.get(review_id=orders[0].review_id).rectified

    assert_panels_equal_direct(world)
    # A later full rebuild gives exactly the same rows.
    incremental = summary.stored_rows()
    summary.rebuild()
    assert summary.stored_rows() == incremental


def test_review_events_from_the_real_services_keep_the_rollup_current(
    django_capture_on_commit_callbacks: Any,
) -> None:
    from reviews.reviews_factories import Department, rated
    from yiwang.reviews import services

    office = Department()
    day = d("2026-11-10")
    with django_capture_on_commit_callbacks(execute=True):
        good = rated(office, 1, day)
        bad = rated(office, 5, day)
    assert summary.stored_rows()["reviews"] == review_summary.expected_rows()
    month = ReviewSummary.objects.get(grain="m")
    assert (month.cases, month.satisfied, month.bad, month.rectified) == (2, 1, 1, 0)

    order = WorkOrder.objects.get(review=bad)
    for step in (
        lambda o: services.verify(o, actor=office.window, note="电话回访核实，情况属实"),
        lambda o: services.rectify(o, actor=office.approver, text="制作一次性告知清单"),
        lambda o: services.give_feedback(o, actor=office.window, text="已整改，今后一次性告知"),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            order = step(order)
        assert summary.stored_rows()["reviews"] == review_summary.expected_rows()
    month = ReviewSummary.objects.get(grain="m")
    assert (month.cases, month.bad, month.rectified) == (2, 1, 1)
    f = Filters(d("2026-11-01"), d("2026-11-30"), "custom")
    root = User.objects.create_user(username="sv-root2", password="x", is_superuser=True)
    assert selectors.satisfaction(f, root) == review_stats(start=f.start, end=f.end)
    assert good.pk in set(ReviewFact.objects.values_list("review_id", flat=True))


def test_catch_up_recovers_lost_review_events() -> None:
    from reviews.reviews_factories import Department, rated
    from yiwang.reviews import services

    office = Department()
    summary.rebuild()
    # Without on-commit callbacks the handlers never run: as if the process had crashed.
    bad = rated(office, 4, d("2026-11-12"))
    rated(office, 2, d("2026-11-12"))
    assert not ReviewFact.objects.exists()
    assert summary.catch_up() >= 2
    assert summary.stored_rows()["reviews"] == review_summary.expected_rows()
    assert ReviewSummary.objects.get(grain="d").cases == 2
    order = WorkOrder.objects.get(review=bad)
    services.verify(order, actor=office.window, note="电话回访核实，情况属实")
    services.appeal(WorkOrder.objects.get(pk=order.pk), actor=office.window, reason="评价人误评，申请复核")
    services.decide_appeal(
        WorkOrder.objects.get(pk=order.pk), actor=office.supervisor, upheld=True, reason="经核实属误评"
    )
    assert review_summary.catch_up() >= 3
    assert ReviewSummary.objects.get(grain="d").cases == 1  # the upheld appeal took the review out
    assert summary.stored_rows()["reviews"] == review_summary.expected_rows()
    assert review_summary.catch_up() == 0


def test_panels_are_cached_briefly_and_the_cache_can_be_turned_off(
    settings: Any, world: dict[str, Any]
) -> None:
    from django.core.cache import cache

    summary.rebuild()
    root, county = world["root"], world["county"]
    span = {"start": START.isoformat(), "end": END.isoformat()}
    f, f_county = parse(span, user=root, today=TODAY), parse(span, user=county, today=TODAY)
    # Only this test's own keys are removed (never clear a shared cache).
    keys = [selectors.panel_cache_key("channels", f, root, TODAY)]
    keys.append(selectors.panel_cache_key("channels", f_county, county, TODAY))
    cache.delete_many(keys)
    settings.YIWANG_SUPERVISION_CACHE_SECONDS = 60
    first = selectors.cached_panel("channels", f, root, TODAY)
    make_case(world["items"][0], submitted_on=d("2026-09-02"))
    summary.refresh_cases(Case.objects.values_list("pk", flat=True))
    cached = selectors.cached_panel("channels", f, root, TODAY)
    assert [r[1].value for r in cached.rows] == [r[1].value for r in first.rows]  # within the minute
    live = selectors.panel("channels", f, root, TODAY)
    assert sum(r[1].value for r in live.rows) == sum(r[1].value for r in first.rows) + 1
    settings.YIWANG_SUPERVISION_CACHE_SECONDS = 0
    fresh = selectors.cached_panel("channels", f, root, TODAY)
    assert [r[1].value for r in fresh.rows] == [r[1].value for r in live.rows]
    # Another user (another scope) never gets the first user's cached panel.
    settings.YIWANG_SUPERVISION_CACHE_SECONDS = 60
    scoped = selectors.cached_panel("channels", f_county, county, TODAY)
    assert sum(r[1].value for r in scoped.rows) < sum(r[1].value for r in live.rows)
    cache.delete_many(keys)
