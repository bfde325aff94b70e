from __future__ import annotations

from collections.abc import Iterator

import pytest

from web.portal_data import PortalCatalog, build_portal_catalog, index_for_search
from yiwang.search import vocabulary


@pytest.fixture
def portal(db: None) -> Iterator[PortalCatalog]:
    catalog = build_portal_catalog()
    # Publication indexes after commit; a test transaction never commits, so index here.
    index_for_search()
    yield catalog
    vocabulary.invalidate()
