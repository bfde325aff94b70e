"""The index follows publication: the catalogue's events update it after commit, never before."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from search.fixtures import ITEMS, build_catalogue
from yiwang.catalog.models import GuideStatus, GuideVersion, Material, PublicStatus
from yiwang.core import events
from yiwang.search.models import SearchDocument, SearchTerm
from yiwang.search.selectors import SearchRequest, search, suggest

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


def _names(q: str) -> list[str]:
    return [result.name for result in search(SearchRequest(q=q, page_size=50)).results]


def test_publication_indexes_after_commit(django_capture_on_commit_callbacks: Capture) -> None:
    catalogue = build_catalogue(ITEMS[:2], places=("330100",))
    implementation = catalogue.implementations[("居民身份证申领", "330100")]
    assert not SearchDocument.objects.exists()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        events.publish(
            "catalog.published",
            {"implementation_id": implementation.pk, "guide_id": implementation.published_version_id},
        )
        assert not SearchDocument.objects.exists()  # nothing before commit
    assert callbacks
    assert SearchDocument.objects.filter(pk=implementation.pk).exists()
    assert _names("身份证申领") == ["居民身份证申领"]
    assert [suggestion.text for suggestion in suggest("居民身份证")] == ["居民身份证申领"]


def test_a_rolled_back_publication_is_not_indexed(django_capture_on_commit_callbacks: Capture) -> None:
    catalogue = build_catalogue(ITEMS[:1], places=("330100",))
    implementation = catalogue.implementations[("居民身份证申领", "330100")]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                events.publish("catalog.published", {"implementation_id": implementation.pk, "guide_id": 0})
                raise RuntimeError("the publication fails")
        except RuntimeError:
            pass
    assert not callbacks
    assert not SearchDocument.objects.exists()


def test_new_version_replaces_the_row(django_capture_on_commit_callbacks: Capture) -> None:
    catalogue = build_catalogue(ITEMS[:1], places=("330100",))
    implementation = catalogue.implementations[("居民身份证申领", "330100")]
    payload = {"implementation_id": implementation.pk, "guide_id": implementation.published_version_id}
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("catalog.published", payload)
    assert _names("户口簿") == ["居民身份证申领"]

    old = implementation.published_version
    assert old is not None
    GuideVersion.objects.filter(pk=old.pk).update(status=GuideStatus.SUPERSEDED)
    new = GuideVersion.objects.create(
        implementation=implementation,
        version=2,
        status=GuideStatus.PUBLISHED,
        name="居民身份证申领",
        aliases="第一次办身份证",
        item_type=old.item_type,
        exercise_level=old.exercise_level,
        online_depth=4,
    )
    Material.objects.create(guide=new, name="电子证照授权书")
    implementation.published_version = new
    implementation.online_depth = 4
    implementation.save()
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("catalog.published", {"implementation_id": implementation.pk, "guide_id": new.pk})

    assert SearchDocument.objects.count() == 1
    assert _names("户口簿") == []  # the old version's material is gone
    assert _names("电子证照授权书") == ["居民身份证申领"]
    assert _names("第一次办身份证") == ["居民身份证申领"]
    assert search(SearchRequest(fully_online=True)).total == 1
    # The old version's material is no longer a live term.
    assert not SearchTerm.objects.filter(term="居民户口簿", doc_count__gt=0).exists()


def test_withdrawal_removes_the_row(django_capture_on_commit_callbacks: Capture) -> None:
    catalogue = build_catalogue(ITEMS[:2], places=("330100",))
    kept = catalogue.implementations[("居民身份证换领", "330100")]
    withdrawn = catalogue.implementations[("居民身份证申领", "330100")]
    with django_capture_on_commit_callbacks(execute=True):
        for implementation in (kept, withdrawn):
            events.publish(
                "catalog.published",
                {"implementation_id": implementation.pk, "guide_id": implementation.published_version_id},
            )
    assert set(_names("身份证")) == {"居民身份证申领", "居民身份证换领"}

    withdrawn.public_status = PublicStatus.WITHDRAWN
    withdrawn.save(update_fields=["public_status"])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.publish("catalog.withdrawn", {"implementation_id": withdrawn.pk})
    assert _names("身份证") == ["居民身份证换领"]
    assert "居民身份证申领" not in [suggestion.text for suggestion in suggest("居民身份证")]
    assert not SearchDocument.objects.filter(pk=withdrawn.pk).exists()


def test_an_unpublished_implementation_is_not_indexed(django_capture_on_commit_callbacks: Capture) -> None:
    catalogue = build_catalogue(ITEMS[:1], places=("330100",))
    implementation = catalogue.implementations[("居民身份证申领", "330100")]
    implementation.public_status = PublicStatus.UNPUBLISHED
    implementation.save(update_fields=["public_status"])
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("catalog.published", {"implementation_id": implementation.pk, "guide_id": 0})
    assert not SearchDocument.objects.exists()
