"""Periodic delivery of the federation outbox (Celery beat); the same is `yiwang federation deliver`."""

from __future__ import annotations

import os

from yiwang.core.tasks import periodic, task

DELIVER_EVERY_SECONDS = float(os.environ.get("YIWANG_FEDERATION_DELIVER_SECONDS", "10"))


@task(name="federation.deliver")
def deliver() -> dict[str, int]:
    from .identity import enabled
    from .outbox import deliver_due

    return deliver_due().as_dict() if enabled() else {}


periodic("federation-deliver", "federation.deliver", DELIVER_EVERY_SECONDS)
