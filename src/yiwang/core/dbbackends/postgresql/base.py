"""Django's PostgreSQL backend with a health check that costs no round trip on a sound connection.

Django's health check (CONN_HEALTH_CHECKS) sends ``SELECT 1`` before a request's first query on a
persistent connection: one extra round trip per request, which on the catalogue read API was as much as
the request's own query. A connection the server has closed (restart, failover, idle timeout,
pg_terminate_backend) is not silent, though: the server sends its termination notice and closes the
socket, so the idle connection's socket turns readable. The check therefore polls the socket without
waiting: nothing to read on an idle connection means nothing happened to it, and the request goes
ahead; anything else (data waiting, a hang-up, a broken or non-idle connection) falls back to Django's
real ``SELECT 1``, which closes the connection when it fails so the request reconnects.

What this cannot see, a network that drops packets without a reset, ``SELECT 1`` could not see quickly
either: both wait on TCP.
"""

from __future__ import annotations

import select
from typing import Any

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus

# Prepared statements kept per connection when server-side binding is on (psycopg's default is 100). The
# public catalogue list compiles one statement per filter combination and page, and a worker thread sees
# a few hundred of them; past the limit psycopg deallocates the oldest (one more round trip) and re-plans
# it when it comes back.
PREPARED_MAX = 1000


class DatabaseWrapper(base.DatabaseWrapper):
    # Set by Django's BaseDatabaseWrapper (not in django-stubs).
    health_check_enabled: bool
    health_check_done: bool

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        if self.settings_dict["OPTIONS"].get("prepare_threshold") is not None:
            connection.prepared_max = PREPARED_MAX
        return connection

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.pool
            and self.idle_and_quiet()
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def idle_and_quiet(self) -> bool:
        """Whether the connection is open, idle, and the server has sent nothing since the last result."""
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != TransactionStatus.IDLE:
            return False
        try:
            poller = select.poll()
            poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
            return not poller.poll(0)  # POLLERR / POLLHUP / POLLNVAL are reported whatever is asked
        except (OSError, ValueError):
            return False
