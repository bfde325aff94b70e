"""The deadline sweep: deemed acceptance, yellow and red warnings, notifications.

Set-based: each step is a few UPDATEs selected by the due-date indexes (case_status_due, case_due_on,
case_warn_on), never a Python loop over open cases. Deemed acceptance groups the overdue submissions by
(submission day, limit) — a handful of groups — and updates each group at once; its events are inserted
in bulk. Run by Celery beat (cases.tasks) and by `yiwang cases sweep`.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit, events
from yiwang.core.workdays import deadline_is_provisional

from . import deadlines, notify
from .models import Case, CaseEvent, CaseStatus, WarningLevel

CHUNK = 5000


@dataclass
class SweepResult:
    today: dt.date
    deemed_accepted: int = 0
    yellow: int = 0
    red: int = 0
    seconds: float = 0.0
    deemed_numbers: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return _(
            "%(d)s 期限扫描：视为受理 %(a)d 件，新增黄牌预警 %(y)d 件，新增红牌（超期）%(r)d 件，用时 %(s).1f 秒。"
        ) % {
            "d": self.today.isoformat(),
            "a": self.deemed_accepted,
            "y": self.yellow,
            "r": self.red,
            "s": self.seconds,
        }


def _deemed_acceptance(today: dt.date, result: SweepResult) -> None:
    """行政许可法 第三十二条: not told to supplement within the period → accepted from the day of receipt."""
    overdue = Case.objects.filter(status=CaseStatus.SUBMITTED, due_on__lt=today)
    groups = list(overdue.values_list("submitted_on", "limit_days").distinct())
    now = timezone.now()
    comment = _(
        "受理期限届满未作出受理决定或一次性告知补正，依法自收到申请材料之日起视为受理（行政许可法第三十二条）。"
    )
    for submitted_on, limit_days in groups:
        if submitted_on is None:  # pragma: no cover - a submitted case always has its submission day
            continue
        due = deadlines.decision_due(submitted_on, limit_days, 0, 0)
        warn = deadlines.warning_day(submitted_on, limit_days)
        fields: dict[str, Any] = {
            "status": CaseStatus.ACCEPTED,
            "accepted_on": submitted_on,
            "deemed_accepted": True,
            "decision_due": due,
            "due_on": due,
            "warn_on": warn,
            "warning_level": deadlines.level_on(today, due, warn),
            "deadline_provisional": deadline_is_provisional(submitted_on, due),
            "updated_at": now,
        }
        group = overdue.filter(submitted_on=submitted_on, limit_days=limit_days)
        while True:
            rows = list(group.values_list("pk", "number", "organisation_id", "applicant_id")[:CHUNK])
            if not rows:
                break
            ids = [row[0] for row in rows]
            with transaction.atomic():
                changed_ids = list(
                    Case.objects.filter(pk__in=ids, status=CaseStatus.SUBMITTED).values_list("pk", flat=True)
                )
                Case.objects.filter(pk__in=changed_ids, status=CaseStatus.SUBMITTED).update(
                    version=F("version") + 1, **fields
                )
                CaseEvent.objects.bulk_create(
                    CaseEvent(
                        case_id=pk,
                        action="deemed_accept",
                        from_status=CaseStatus.SUBMITTED,
                        to_status=CaseStatus.ACCEPTED,
                        actor_label="系统",
                        occurred_at=now,
                        comment=comment,
                        data={"accepted_on": submitted_on.isoformat(), "decision_due": due.isoformat()},
                    )
                    for pk in changed_ids
                )
                changed = set(changed_ids)
                for pk, number, organisation_id, applicant_id in rows:
                    if pk in changed:
                        result.deemed_numbers.append(number or str(pk))
                        events.publish(
                            "case.accepted",
                            {
                                "case_id": pk,
                                "number": number,
                                "action": "deemed_accept",
                                "from": CaseStatus.SUBMITTED,
                                "to": CaseStatus.ACCEPTED,
                                "organisation_id": organisation_id,
                                "applicant_id": applicant_id,
                            },
                        )
                for number, phone, form in Case.objects.filter(pk__in=changed_ids).values_list(
                    "number", "applicant__phone", "form_data"
                ):
                    notify.applicant(
                        str((form or {}).get("contact_phone") or phone or ""),
                        _("【一网】办件 %(n)s 受理期限已届满，依法视为自 %(d)s 起受理，将于 %(due)s 前办结。")
                        % {"n": number, "d": f"{submitted_on:%Y-%m-%d}", "due": f"{due:%Y-%m-%d}"},
                    )
                result.deemed_accepted += len(changed_ids)


def _escalate(today: dt.date, result: SweepResult) -> None:
    red = Case.objects.filter(due_on__lt=today).exclude(warning_level=WarningLevel.RED)
    yellow = Case.objects.filter(warn_on__lte=today, warning_level=WarningLevel.NONE, due_on__gte=today)
    with transaction.atomic():
        red_by_org = dict(
            red.values("organisation_id").annotate(n=Count("id")).values_list("organisation_id", "n")
        )
        result.red = red.update(warning_level=WarningLevel.RED)
        yellow_by_org = dict(
            yellow.values("organisation_id").annotate(n=Count("id")).values_list("organisation_id", "n")
        )
        result.yellow = yellow.update(warning_level=WarningLevel.YELLOW)
        messages: dict[int, str] = {}
        for organisation_id in set(red_by_org) | set(yellow_by_org):
            messages[organisation_id] = _(
                "【一网】办件时限提醒：本机构新增超期（红牌）办件 %(r)d 件、临近期限（黄牌）办件 %(y)d 件，请及时办理。"
            ) % {"r": red_by_org.get(organisation_id, 0), "y": yellow_by_org.get(organisation_id, 0)}
        notify.staff(messages, messages)
        if result.red or result.yellow:
            events.publish(
                "case.warnings",
                {"today": today.isoformat(), "red": red_by_org, "yellow": yellow_by_org},
            )


def sweep(today: dt.date | None = None) -> SweepResult:
    started = time.monotonic()
    result = SweepResult(today=today or timezone.localdate())
    _deemed_acceptance(result.today, result)
    _escalate(result.today, result)
    result.seconds = time.monotonic() - started
    if result.deemed_accepted or result.red or result.yellow:
        audit.record(
            actor=None,
            action="cases.sweep",
            object_type="cases.sweep",
            object_id=result.today.isoformat(),
            summary=result.describe(),
            data={
                "deemed_accepted": result.deemed_accepted,
                "deemed_numbers": result.deemed_numbers[:100],
                "yellow": result.yellow,
                "red": result.red,
            },
        )
    return result
