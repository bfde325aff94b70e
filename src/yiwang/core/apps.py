from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "yiwang.core"
    verbose_name = "基础"

    def ready(self) -> None:
        from yiwang.core import workdays

        # Drop the in-memory working-day cache whenever calendar rows change.
        workdays.connect_signals()
        post_migrate.connect(_create_audit_chain_heads, sender=self)


def _create_audit_chain_heads(using: str = "default", **kwargs: Any) -> None:
    """The chain heads exist before any writer needs one: created inside a writer's transaction, the
    uncommitted rows would make every other writer wait for that transaction."""
    from yiwang.core.audit import ensure_heads

    ensure_heads(using=using)
