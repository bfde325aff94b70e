"""The platform collector on a small real catalogue with a real case, and runs that reproduce bit for bit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cases.case_factories import applicant, filed_case, publish
from catalog.factories import make_implementation, make_organisation
from web.portal_data import build_portal_catalog
from yiwang.accounts.models import RealNameLevel
from yiwang.assessment import services
from yiwang.assessment.collectors import platform
from yiwang.assessment.models import LeafResult, Run
from yiwang.core import calendar_data, workdays

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def calendar(db: None) -> None:
    calendar_data.seed_calendar([2025, 2026, 2027])
    workdays.clear_cache()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: object) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture
def catalogue() -> object:
    data = build_portal_catalog()
    person = applicant(level=RealNameLevel.L2)
    filed_case(publish(make_organisation(data.city)), person)
    make_implementation(organisation=data.city_bureau, name="未编制指南的事项")
    return data


def test_leaves_measured_from_platform_data(catalogue: object) -> None:
    today = timezone.localdate()
    leaves = platform.collect("330000", list(platform.MEASURES), as_of=today)
    assert set(leaves) == set(platform.MEASURES)
    # 4 published of 5 implementations (one without a guide; the withdrawn one is not counted)
    assert leaves["B2.1"]["raw"] == "0.800000"
    assert (leaves["B2.1"]["evidence"]["passed"], leaves["B2.1"]["evidence"]["total"]) == (4, 5)
    # regions with published items: 杭州市 and 西湖区 of 浙江省, 杭州市, 西湖区, 宁波市
    assert leaves["B1.4"]["raw"] == "0.500000"
    assert {f["code"] for f in leaves["B1.4"]["evidence"]["failed"]} == {"330000", "330200"}
    # one published 一件事 of a target list of 13
    assert leaves["A2.5"]["raw"] == str((Decimal(1) / Decimal(13)).quantize(Decimal("0.000001")))
    # the one case was filed on the web by a level-2 person
    assert leaves["E1.3"]["raw"] == "1.000000"
    assert leaves["D1.4"]["raw"] == "1.000000"
    assert leaves["E1.4"]["raw"] == "0.000000"
    # no ratings yet: unmeasured with the reason, never a silent 0
    assert leaves["E4.2"]["raw"] is None and leaves["E4.2"]["reason"]
    assert leaves["E1.1"]["reason"].startswith("缺少常住人口基数")


def test_collector_evidence_names_the_items_that_failed(catalogue: object) -> None:
    leaves = platform.collect("330100", ["B3.5", "C1.2"], as_of=timezone.localdate())
    for leaf in leaves.values():
        evidence = leaf["evidence"]
        assert evidence["total"] >= 1
        assert evidence["failed_count"] == len(evidence["failed"]) or len(evidence["failed"]) == 10
        assert all(set(f) == {"code", "name"} for f in evidence["failed"])


def test_unknown_region_is_unmeasured_everywhere() -> None:
    leaves = platform.collect("990000", ["B2.1", "E1.3"], as_of=dt.date(2025, 12, 31))
    assert {v["reason"] for v in leaves.values()} == {"本平台没有行政区划 990000"}


def test_a_run_snapshots_its_inputs_and_reproduces(catalogue: object) -> None:
    round_ = services.create_round("城市自评", actor=None, subject_kind="city")
    services.add_regions(round_, ["330100", "330200"], actor=None)
    first = services.run_round(round_, actor=None)
    second = services.run_round(round_, actor=None)
    assert (first.number, second.number) == (1, 2)
    assert first.inputs_digest == second.inputs_digest
    assert first.results_digest == second.results_digest
    assert services.recompute(first) == first.results_digest
    hangzhou = first.results.get(region_code="330100")
    ningbo = first.results.get(region_code="330200")
    assert hangzhou.total > ningbo.total
    assert ningbo.coverage < hangzhou.coverage
    leaf = LeafResult.objects.get(result=hangzhou, indicator="B2.1")
    assert (leaf.raw, leaf.score) == ("0.800000", Decimal("80.0000"))
    assert first.statistics["ranking"][0]["region"] == "330100"
    assert round_.tree.__class__.objects.get(pk=round_.tree_id).frozen
    assert Run.objects.filter(round=round_).count() == 2
