from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created

# Prepared statements kept per PostgreSQL connection (psycopg's default is 100). The public list compiles
# one statement per filter combination and page, and a worker thread sees a few hundred of them; past the
# limit psycopg deallocates the oldest (one more round trip) and re-plans it when it comes back.
PREPARED_STATEMENTS_PER_CONNECTION = 1000


def _keep_more_prepared_statements(sender: Any, connection: Any, **kwargs: Any) -> None:
    raw: Any = getattr(connection, "connection", None)
    if connection.vendor == "postgresql" and getattr(raw, "prepare_threshold", None) is not None:
        raw.prepared_max = PREPARED_STATEMENTS_PER_CONNECTION


class CatalogConfig(AppConfig):
    name = "yiwang.catalog"
    verbose_name = "事项目录"

    def ready(self) -> None:
        connection_created.connect(_keep_more_prepared_statements, dispatch_uid="catalog-prepared-max")
