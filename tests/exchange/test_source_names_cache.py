"""The connected resources' source names are read for every new draft and cached: a resource saved or
deleted through the ORM shows at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exchange.exchange_factories import population_resource
from yiwang.exchange import selectors
from yiwang.exchange.models import Resource

pytestmark = pytest.mark.django_db


def test_source_names_are_read_once_and_follow_every_saved_or_deleted_resource() -> None:
    assert selectors.connected_source_names() == []
    resource = population_resource()
    assert selectors.connected_source_names() == [resource.source_names]  # the save dropped the cache
    with CaptureQueriesContext(connection) as captured:
        selectors.connected_source_names()
    assert len(captured) == 0  # cached
    Resource.objects.filter(pk=resource.pk).update(adapter="")  # bypasses signals: still cached …
    assert selectors.connected_source_names() == [resource.source_names]
    resource.refresh_from_db()
    resource.save()  # … until the resource is saved
    assert selectors.connected_source_names() == []
    resource.adapter = "population"
    resource.save()
    assert selectors.connected_source_names() == [resource.source_names]
    resource.fields.all().delete()
    resource.delete()
    assert selectors.connected_source_names() == []
