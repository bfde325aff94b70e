"""The deadline sweep: deemed acceptance (with its 受理通知书), 补正 deadlines, yellow and red warnings on
cases and on review steps, notifications.

Set-based: each step is a few UPDATEs selected by the due-date indexes (case_status_due_warn, case_due_on,
case_warn_on), never a Python loop over open cases. Deemed acceptance groups the overdue submissions by
(submission day, limit) — a handful of groups — and updates each group at once; its events are inserted
in bulk. Run by Celery beat (cases.tasks) and by `yiwang cases sweep`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit, events
from yiwang.core.tasks import run_after_commit
from yiwang.core.workdays import deadline_is_provisional

from . import deadlines, notify
from .models import Case, CaseEvent, CaseStatus, CaseStep, StepStatus, SupplementRequest, WarningLevel
from .tasks import issue_acceptance_notices

CHUNK = 5000


@dataclass
class SweepResult:
    today: dt.date
    deemed_accepted: int = 0
    yellow: int = 0
    red: int = 0
    step_yellow: int = 0
    step_red: int = 0
    lapsed: int = 0
    recomputed: int = 0
    seconds: float = 0.0
    deemed_numbers: list[str] = field(default_factory=list)
    lapsed_numbers: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return _(
            "%(d)s 期限扫描：视为受理 %(a)d 件，补正逾期处理 %(l)d 件，新增黄牌预警 %(y)d 件，"
            "新增红牌（超期）%(r)d 件，环节黄牌 %(sy)d 个、环节红牌 %(sr)d 个，用时 %(s).1f 秒。"
        ) % {
            "d": self.today.isoformat(),
            "a": self.deemed_accepted,
            "l": self.lapsed,
            "y": self.yellow,
            "r": self.red,
            "sy": self.step_yellow,
            "sr": self.step_red,
            "s": self.seconds,
        }

    def as_dict(self) -> dict[str, int]:
        return {
            "deemed_accepted": self.deemed_accepted,
            "lapsed": self.lapsed,
            "yellow": self.yellow,
            "red": self.red,
            "step_yellow": self.step_yellow,
            "step_red": self.step_red,
        }

    @property
    def changed(self) -> bool:
        return any(self.as_dict().values()) or bool(self.recomputed)


def _deemed_acceptance(today: dt.date, result: SweepResult) -> None:
    """行政许可法 第三十二条: not told to supplement within the period → accepted from the day of receipt."""
    overdue = Case.objects.filter(status=CaseStatus.SUBMITTED, due_on__lt=today)
    # order_by(): the model's default ordering (-created_at) would join the DISTINCT and make every
    # case a group of its own (one query per case: 31 s for 4,948 cases at 1,000,000).
    groups = list(overdue.order_by().values_list("submitted_on", "limit_days").distinct())
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
                # Locked: a clerk accepting or returning one of them meanwhile must either finish first
                # (the row is no longer submitted and is left out) or wait, never be told "deemed accepted"
                # for a case this UPDATE then skips.
                changed_ids = list(
                    Case.objects.filter(pk__in=ids, status=CaseStatus.SUBMITTED)
                    .select_for_update()
                    .values_list("pk", flat=True)
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
                accepted = [
                    {
                        "case_id": pk,
                        "number": number,
                        "action": "deemed_accept",
                        "from": CaseStatus.SUBMITTED,
                        "to": CaseStatus.ACCEPTED,
                        "organisation_id": organisation_id,
                        "applicant_id": applicant_id,
                    }
                    for pk, number, organisation_id, applicant_id in rows
                    if pk in changed
                ]
                result.deemed_numbers.extend(str(p["number"] or p["case_id"]) for p in accepted)
                events.publish_many("case.accepted", accepted)  # one dispatch: subscribers take the batch
                notify.applicant_notices(
                    notify.Notice(
                        user_id=applicant_id,
                        phone=str((form or {}).get("contact_phone") or phone or ""),
                        email=email or "",
                        title=_("办件 %(n)s 已依法视为受理") % {"n": number},
                        text=_(
                            "【一网】办件 %(n)s 受理期限已届满，依法视为自 %(d)s 起受理，将于 %(due)s 前办结。"
                        )
                        % {"n": number, "d": f"{submitted_on:%Y-%m-%d}", "due": f"{due:%Y-%m-%d}"},
                        case_number=number or "",
                        link=notify.case_link(number),
                    )
                    for number, applicant_id, phone, email, form in Case.objects.filter(
                        pk__in=changed_ids
                    ).values_list(
                        "number", "applicant_id", "applicant__phone", "applicant__email", "form_data"
                    )
                )
                # The 受理通知书 of each deemed acceptance, rendered after commit (a task per chunk).
                if changed_ids:
                    run_after_commit(issue_acceptance_notices, changed_ids)
                result.deemed_accepted += len(changed_ids)


def _mark(queryset: Any, level: str) -> dict[int, int]:
    """Set `warning_level` on the rows `queryset` selects; how many per organisation (one statement:
    UPDATE … RETURNING, which PostgreSQL and SQLite ≥ 3.35 both have — counting first was a second pass
    over the same rows, each escalated row read twice)."""
    model = queryset.model
    query = queryset.query
    compiler = query.get_compiler(connection=connection)
    where, params = compiler.compile(query.where)
    q = connection.ops.quote_name
    sql = (
        f"UPDATE {q(model._meta.db_table)} SET {q('warning_level')} = %s "  # noqa: S608 - our names
        f"WHERE {where} RETURNING {q('organisation_id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [level, *params])
        return dict(Counter(row[0] for row in cursor.fetchall()))


def _escalate(today: dt.date, result: SweepResult) -> None:
    """Case deadlines and review-step deadlines: new yellow and red marks, one notice per organisation."""
    red = Case.objects.filter(due_on__lt=today).exclude(warning_level=WarningLevel.RED)
    yellow = Case.objects.filter(warn_on__lte=today, warning_level=WarningLevel.NONE, due_on__gte=today)
    active = CaseStep.objects.filter(status=StepStatus.ACTIVE)
    step_red = active.filter(due_on__lt=today).exclude(warning_level=WarningLevel.RED)
    step_yellow = active.filter(warn_on__lte=today, warning_level=WarningLevel.NONE, due_on__gte=today)
    with transaction.atomic():
        red_by_org = _mark(red, WarningLevel.RED)
        result.red = sum(red_by_org.values())
        yellow_by_org = _mark(yellow, WarningLevel.YELLOW)
        result.yellow = sum(yellow_by_org.values())
        # A step belongs to the department doing it (a bundle's lanes are other departments).
        step_red_by_org = _mark(step_red, WarningLevel.RED)
        result.step_red = sum(step_red_by_org.values())
        step_yellow_by_org = _mark(step_yellow, WarningLevel.YELLOW)
        result.step_yellow = sum(step_yellow_by_org.values())
        messages: dict[int, str] = {}
        organisations = set(red_by_org) | set(yellow_by_org) | set(step_red_by_org) | set(step_yellow_by_org)
        for organisation_id in organisations:
            messages[organisation_id] = _(
                "【一网】办件时限提醒：本机构新增超期（红牌）办件 %(r)d 件、临近期限（黄牌）办件 %(y)d 件；"
                "办理环节超时 %(sr)d 个、临近环节期限 %(sy)d 个，请及时办理。"
            ) % {
                "r": red_by_org.get(organisation_id, 0),
                "y": yellow_by_org.get(organisation_id, 0),
                "sr": step_red_by_org.get(organisation_id, 0),
                "sy": step_yellow_by_org.get(organisation_id, 0),
            }
        notify.staff(organisations, messages, title=_("办件时限提醒"))
        if result.red or result.yellow or result.step_red or result.step_yellow:
            events.publish(
                "case.warnings",
                {
                    "today": today.isoformat(),
                    "red": red_by_org,
                    "yellow": yellow_by_org,
                    "step_red": step_red_by_org,
                    "step_yellow": step_yellow_by_org,
                },
            )


def _recompute_provisional(today: dt.date, result: SweepResult) -> None:
    """Deadlines computed on a provisional calendar year are recomputed once that year's official
    schedule is entered (domain.md §7). Few cases (those reaching into next year): one guarded UPDATE each."""
    provisional = Case.objects.filter(deadline_provisional=True, due_on__isnull=False).only(
        "pk",
        "status",
        "version",
        "submitted_on",
        "accepted_on",
        "decided_on",
        "acceptance_days",
        "limit_days",
        "extension_days",
        "suspended_days",
        "suspended_since",
    )
    for case in provisional.iterator(chunk_size=500):
        fields = deadlines.clock_fields(case, case.status, today)
        if fields.get("deadline_provisional", True):
            continue  # still provisional: nothing official to recompute with yet
        Case.objects.filter(pk=case.pk, status=case.status, version=case.version).update(**fields)
        result.recomputed += 1


# The states in which an unanswered 补正 request lapses (services.lapse_supplement acts on these only).
LAPSING_STATUSES = (CaseStatus.RETURNED, CaseStatus.SUPPLEMENTING)


def _lapse_supplements(today: dt.date, result: SweepResult) -> None:
    """补正 deadlines passed without an answer (few a day: one service call each, its own transaction).

    Only requests whose case still waits for the answer (returned or supplementing) are taken. A request
    left unanswered on a case that moved on (not accepted, withdrawn) is never lapsed, so it stays open
    for good; selected by its deadline alone it was locked and re-read on every sweep, a growing list.
    `lapse_supplement` re-checks the status under the case lock, so a case that moves on meanwhile is
    still left alone."""
    from . import services  # services imports this module's siblings; import late to keep the graph flat

    overdue = SupplementRequest.objects.filter(
        answered_at__isnull=True,
        lapsed_at__isnull=True,
        deadline__lt=today,
        case__status__in=LAPSING_STATUSES,
    ).order_by("deadline", "id")
    for request in overdue.iterator(chunk_size=500):
        case = services.lapse_supplement(request, today=today)
        if case is not None:
            result.lapsed += 1
            result.lapsed_numbers.append(case.number or str(case.pk))


def sweep(today: dt.date | None = None) -> SweepResult:
    started = time.monotonic()
    result = SweepResult(today=today or timezone.localdate())
    _deemed_acceptance(result.today, result)
    _lapse_supplements(result.today, result)
    _recompute_provisional(result.today, result)
    _escalate(result.today, result)
    result.seconds = time.monotonic() - started
    if result.changed:
        audit.record(
            actor=None,
            action="cases.sweep",
            object_type="cases.sweep",
            object_id=result.today.isoformat(),
            summary=result.describe(),
            data={
                **result.as_dict(),
                "recomputed": result.recomputed,
                "deemed_numbers": result.deemed_numbers[:100],
                "lapsed_numbers": result.lapsed_numbers[:100],
            },
        )
    return result
