"""The rectification deadline sweep: yellow and red warnings on open work orders, and SMS to the
responsible organisations. Set-based UPDATEs over the wo_due_on / wo_warn_on indexes. Run by Celery beat
(reviews.tasks) and by `yiwang reviews sweep`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit, events

from . import notify
from .models import WarningLevel, WorkOrder
from .services import DEPARTMENT_ROLES, SUPERVISOR_ROLES


@dataclass
class SweepResult:
    today: dt.date
    yellow: int = 0
    red: int = 0

    def describe(self) -> str:
        return _("%(d)s 差评整改期限扫描：新增黄牌预警 %(y)d 件，新增红牌（超期）%(r)d 件。") % {
            "d": self.today.isoformat(),
            "y": self.yellow,
            "r": self.red,
        }


def _by_org(queryset: object) -> dict[int, int]:
    return dict(
        queryset.values("organisation_id").annotate(n=Count("id")).values_list("organisation_id", "n")  # type: ignore[attr-defined]
    )


def sweep(today: dt.date | None = None) -> SweepResult:
    result = SweepResult(today=today or timezone.localdate())
    red = WorkOrder.objects.filter(due_on__lt=result.today).exclude(warning_level=WarningLevel.RED)
    yellow = WorkOrder.objects.filter(
        warn_on__lte=result.today, warning_level=WarningLevel.NONE, due_on__gte=result.today
    )
    with transaction.atomic():
        red_by_org = _by_org(red)
        result.red = red.update(warning_level=WarningLevel.RED)
        yellow_by_org = _by_org(yellow)
        result.yellow = yellow.update(warning_level=WarningLevel.YELLOW)
        organisations = sorted(set(red_by_org) | set(yellow_by_org))
        messages = {
            org: _(
                "【一网】差评整改时限提醒：本机构新增超期工单 %(r)d 件、临近期限工单 %(y)d 件，请及时整改并反馈。"
            )
            % {"r": red_by_org.get(org, 0), "y": yellow_by_org.get(org, 0)}
            for org in organisations
        }
        notify.staff(organisations, DEPARTMENT_ROLES, messages)
        notify.staff(list(red_by_org), SUPERVISOR_ROLES, messages)
        if result.red or result.yellow:
            audit.record(
                actor=None,
                action="reviews.sweep",
                object_type="reviews.sweep",
                object_id=result.today.isoformat(),
                summary=result.describe(),
                data={"yellow": result.yellow, "red": result.red},
            )
            events.publish(
                "review.warnings",
                {"today": result.today.isoformat(), "red": red_by_org, "yellow": yellow_by_org},
            )
    return result
