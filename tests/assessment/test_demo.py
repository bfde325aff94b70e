"""The demo rounds load, publish and are idempotent; the sample round is labelled as sample data."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse

from catalog.factories import make_region
from yiwang.assessment import demo
from yiwang.assessment.models import Round

pytestmark = pytest.mark.django_db


def test_demo_rounds_are_published_and_idempotent(settings: object) -> None:
    settings.YIWANG_REGION_CODE = "330000"  # type: ignore[attr-defined]
    for code in ("330100", "330200"):
        make_region(code)
    demo.load_demo(stdout=io.StringIO())
    demo.load_demo(stdout=io.StringIO())
    cities = Round.objects.get(subject_kind="city", is_sample=False, is_self_assessment=False)
    sample = Round.objects.get(name=demo.SAMPLE_ROUND)
    assert (cities.status, sample.status) == ("published", "published")
    assert (cities.runs.count(), sample.runs.count()) == (1, 1)
    assert sample.is_sample and sample.subjects.count() == 12
    page = Client().get(reverse("assessment:report", args=[sample.pk])).content.decode()
    assert "不是官方评估结果" in page
    # 90.00 (江苏省) is 非常高; 64.99 (四川省) is 低; 86.75 twice shares rank 7
    ranking = {r.region_code: (r.grade, r.rank) for r in sample.runs.get().results.all()}
    assert ranking["320000"][0] == "非常高" and ranking["510000"] == ("低", 12)
    assert ranking["340000"][1] == ranking["370000"][1] == 7
