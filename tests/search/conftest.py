"""Search test fixtures: one indexed catalogue per test module, rolled back when the module ends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction

from search.fixtures import Catalogue, build_catalogue
from yiwang.search import indexer, vocabulary


@pytest.fixture(autouse=True)
def fresh_vocabulary() -> Iterator[None]:
    # The vocabulary is cached per process; a rolled-back test must not leave its copy to the next one.
    vocabulary.invalidate()
    yield
    vocabulary.invalidate()


@pytest.fixture(scope="module")
def catalogue(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[Catalogue]:
    """The fixture catalogue, built and indexed once for the module inside a transaction that is rolled
    back afterwards (each test then runs in its own savepoint on top)."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            built = build_catalogue()
            indexer.reindex_all()
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            vocabulary.invalidate()
