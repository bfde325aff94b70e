"""Periodic jobs of the exchange (Celery beat); the same work is `yiwang exchange purge-nonces`."""

from __future__ import annotations

from yiwang.core.tasks import periodic, task

PURGE_EVERY_SECONDS = 600.0


@task(name="exchange.purge_nonces")
def purge_nonces() -> int:
    from .signing import purge_nonces as purge

    return purge()


periodic("exchange-purge-nonces", "exchange.purge_nonces", PURGE_EVERY_SECONDS)
