"""One search interface, two engines: SQLite FTS5 (embedded default) and PostgreSQL full text."""

from __future__ import annotations

from django.db import connection

from yiwang.search.backends.base import Filters, Hit, SearchBackend

__all__ = ["Filters", "Hit", "SearchBackend", "UnsupportedDatabase", "get_backend"]


class UnsupportedDatabase(RuntimeError):
    pass


def get_backend() -> SearchBackend:
    """The backend for the default database (by `connection.vendor`)."""
    if connection.vendor == "sqlite":
        from yiwang.search.backends.sqlite import SQLiteBackend

        return SQLiteBackend()
    if connection.vendor == "postgresql":
        from yiwang.search.backends.postgres import PostgresBackend

        return PostgresBackend()
    raise UnsupportedDatabase(f"search supports SQLite and PostgreSQL, not {connection.vendor}")
