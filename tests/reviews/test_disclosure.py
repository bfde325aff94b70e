"""Disclosure figures against a hand-computed fixture (June 2025):

A (杭州市): 非常满意, 满意, 基本满意, 不满意 (fed back), 非常不满意 (open)   → 5 counted, 3 satisfied, 2 bad, 1 rectified
B (宁波市): 非常满意, 满意, 非常不满意 (appeal upheld → excluded)           → 2 counted, 2 satisfied, 0 bad
A, 1 May 2025 (outside the period): 非常不满意                             → not counted

all: 7 counted, satisfaction 5/7 = 0.7143, 2 bad, rectification 1/2 = 0.5
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from catalog.factories import make_organisation, make_region
from reviews.reviews_factories import Department, rated
from yiwang.reviews import selectors, services
from yiwang.reviews.models import WorkOrder

pytestmark = pytest.mark.django_db

D = dt.date
JUNE = {"start": D(2025, 6, 1), "end": D(2025, 6, 30)}


@pytest.fixture
def fixture() -> dict[str, Any]:
    a = Department(make_organisation(make_region("330100"), name="杭州市甲局"))
    b = Department(make_organisation(make_region("330200"), name="宁波市乙局"))
    a_reviews = [rated(a, level, D(2025, 6, 2 + i)) for i, level in enumerate([1, 2, 3, 4, 5])]
    fed_back = WorkOrder.objects.get(review=a_reviews[3])
    fed_back = services.verify(fed_back, actor=a.window, note="核实")
    fed_back = services.rectify(fed_back, actor=a.window, text="整改")
    services.give_feedback(fed_back, actor=a.window, text="已整改")
    b_reviews = [rated(b, level, D(2025, 6, 20 + i)) for i, level in enumerate([1, 2, 5])]
    upheld = services.verify(WorkOrder.objects.get(review=b_reviews[2]), actor=b.window, note="误评")
    upheld = services.appeal(upheld, actor=b.window, reason="误评")
    services.decide_appeal(upheld, actor=b.supervisor, upheld=True, reason="属实")
    rated(a, 5, D(2025, 5, 1))
    return {"a": a, "b": b, "a_reviews": a_reviews}


def test_figures_per_organisation(fixture: dict[str, Any]) -> None:
    a, b = fixture["a"], fixture["b"]
    assert selectors.review_stats(organisation_ids=[a.organisation.pk], **JUNE) == {
        "count": 5,
        "satisfied_count": 3,
        "satisfaction_rate": 0.6,
        "bad_count": 2,
        "rectified_count": 1,
        "rectification_rate": 0.5,
    }
    stats_b = selectors.review_stats(organisation_ids=[b.organisation.pk], **JUNE)
    assert (
        stats_b["count"],
        stats_b["satisfaction_rate"],
        stats_b["bad_count"],
        stats_b["rectification_rate"],
    ) == (
        2,
        1.0,
        0,
        None,
    )


def test_figures_for_everything_a_region_and_an_item(fixture: dict[str, Any]) -> None:
    everything = selectors.review_stats(**JUNE)
    assert everything["count"] == 7 and everything["satisfaction_rate"] == 0.7143
    assert everything["bad_count"] == 2 and everything["rectification_rate"] == 0.5
    assert (
        selectors.review_stats(region_code="330000", **JUNE)["count"] == 7
    )  # the province covers both cities
    assert selectors.review_stats(region_code="330200", **JUNE)["count"] == 2
    first = fixture["a_reviews"][0]
    assert selectors.review_stats(implementation_ids=[first.implementation_id], **JUNE)["count"] == 1
    may = selectors.review_stats(start=D(2025, 5, 1), end=D(2025, 5, 31))
    assert may["count"] == 1 and may["satisfaction_rate"] == 0.0 and may["rectification_rate"] == 0.0
    with pytest.raises(ValueError, match="早于开始日期"):
        selectors.review_stats(start=D(2025, 6, 30), end=D(2025, 6, 1))


def test_rows_by_organisation_and_region(fixture: dict[str, Any]) -> None:
    rows = {row["name"]: row for row in selectors.stats_by("organisation", **JUNE)}
    assert rows["杭州市甲局"]["count"] == 5 and rows["宁波市乙局"]["count"] == 2
    regions = {row["id"]: row["count"] for row in selectors.stats_by("region", **JUNE)}
    assert regions == {"330100": 5, "330200": 2}


def test_the_public_page_and_open_api_never_name_a_rater(fixture: dict[str, Any], client: Client) -> None:
    rater = fixture["a_reviews"][0].rater
    page = client.get("/reviews/", {"start": "2025-06-01", "end": "2025-06-30"}).content.decode()
    assert "杭州市甲局" in page and "71.4%" in page and "60.0%" in page
    assert rater.display_name not in page and rater.phone not in page
    api = client.get(
        "/api/reviews/stats", {"start": "2025-06-01", "end": "2025-06-30", "region": "330100"}
    ).json()
    assert api["count"] == 5 and api["satisfaction_rate"] == 0.6
    rows = client.get(
        "/api/reviews/disclosure", {"dimension": "item", "start": "2025-06-01", "end": "2025-06-30"}
    ).json()
    assert sum(row["count"] for row in rows) == 7
    assert rater.display_name not in str(rows)
    bad = client.get("/api/reviews/stats", {"region": "999999"})
    assert bad.status_code == 400 and "不存在" in bad.json()["detail"]
