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


STATS_EVERY_SECONDS = float(os.environ.get("YIWANG_FEDERATION_STATS_SECONDS", str(6 * 3600)))


@task(name="federation.stats_report")
def stats_report() -> int:
    """Report the last 7 days' figures to the hub (re-reporting corrects late changes; the hub replaces)."""
    from .identity import enabled, local_node
    from .statistics import report

    if not enabled() or local_node().is_hub:
        return 0
    return report(7)


periodic("federation-stats-report", "federation.stats_report", STATS_EVERY_SECONDS)
