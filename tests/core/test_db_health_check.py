"""The PostgreSQL backend's health check: a socket poll on a sound connection, SELECT 1 otherwise."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connection as default_connection

connection: Any = default_connection  # the project's backend: health-check attributes django-stubs lacks
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend's own check"),
]


def _server_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _start_request() -> None:
    """What Django does at a request's start and before its first query on a persistent connection."""
    connection.close_if_unusable_or_obsolete()
    connection.close_if_health_check_failed()


@pytest.fixture
def checked() -> Iterator[None]:
    connection.health_check_enabled = True
    yield
    connection.health_check_enabled = connection.settings_dict["CONN_HEALTH_CHECKS"]


def test_the_project_runs_its_own_backend() -> None:
    assert connection.settings_dict["ENGINE"] == "yiwang.core.dbbackends.postgresql"


def test_a_sound_connection_passes_without_a_query(checked: None) -> None:
    pid = _server_pid()
    sent: list[str] = []
    raw = connection.connection
    original = raw.cursor

    def watched_cursor(*args: object, **kwargs: object) -> object:
        sent.append("cursor")
        return original(*args, **kwargs)

    raw.cursor = watched_cursor
    try:
        _start_request()
    finally:
        raw.cursor = original
    assert connection.health_check_done and not sent
    assert connection.connection is raw and _server_pid() == pid


def test_a_connection_the_server_closed_is_replaced_before_the_request_uses_it(checked: None) -> None:
    pid = _server_pid()
    dsn = connection.get_connection_params()
    with psycopg.connect(
        **{key: value for key, value in dsn.items() if key not in {"cursor_factory", "context"}},
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while connection.idle_and_quiet() and time.monotonic() < deadline:  # the notice is on its way
        time.sleep(0.01)
    assert not connection.idle_and_quiet()
    _start_request()
    assert _server_pid() != pid  # a new connection, and the request's query ran on it without an error


def test_a_connection_inside_a_transaction_is_not_waved_through() -> None:
    from django.db import transaction

    with transaction.atomic():
        _server_pid()
        assert not connection.idle_and_quiet()
