"""The reply-deadline sweep: yellow (near the deadline) and red (overdue) on unanswered messages, with an
SMS to the organisation's handlers. Set-based UPDATEs over the msg_due_on / msg_warn_on indexes. Run by
Celery beat (interaction.tasks) and by `yiwang interaction sweep`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit, events

from . import notify
from .models import Message, WarningLevel
from .services import HANDLER_ROLES


@dataclass
class SweepResult:
    today: dt.date
    yellow: int = 0
    red: int = 0

    def describe(self) -> str:
        return _("%(d)s 政民互动答复期限扫描：新增临近期限 %(y)d 件，新增超期 %(r)d 件。") % {
            "d": self.today.isoformat(),
            "y": self.yellow,
            "r": self.red,
        }


def sweep(today: dt.date | None = None) -> SweepResult:
    result = SweepResult(today=today or timezone.localdate())
    red = Message.objects.filter(due_on__lt=result.today).exclude(warning_level=WarningLevel.RED)
    yellow = Message.objects.filter(
        warn_on__lte=result.today, warning_level=WarningLevel.NONE, due_on__gte=result.today
    )
    with transaction.atomic():
        red_by_org = dict(
            red.values("organisation_id").annotate(n=Count("id")).values_list("organisation_id", "n")
        )
        result.red = red.update(warning_level=WarningLevel.RED)
        yellow_by_org = dict(
            yellow.values("organisation_id").annotate(n=Count("id")).values_list("organisation_id", "n")
        )
        result.yellow = yellow.update(warning_level=WarningLevel.YELLOW)
        organisations = sorted(set(red_by_org) | set(yellow_by_org))
        notify.staff(
            organisations,
            HANDLER_ROLES,
            {
                org: _("【一网】政民互动答复提醒：本单位新增超期未答复 %(r)d 件、临近期限 %(y)d 件。")
                % {"r": red_by_org.get(org, 0), "y": yellow_by_org.get(org, 0)}
                for org in organisations
            },
        )
        if result.red or result.yellow:
            audit.record(
                actor=None,
                action="interaction.sweep",
                object_type="interaction.sweep",
                object_id=result.today.isoformat(),
                summary=result.describe(),
                data={"yellow": result.yellow, "red": result.red},
            )
            events.publish(
                "interaction.warnings",
                {"today": result.today.isoformat(), "red": red_by_org, "yellow": yellow_by_org},
            )
    return result
