"""Time limits of a case, in working days (行政许可法 第八十二条), computed with core.workdays.

- Acceptance (第三十二条): 5 working days from submission, or the item's promised limit when shorter;
  即办件 the same day. Not answered by then: deemed accepted from the day of receipt.
- Decision (第四十二条): the promised limit from acceptance (即办件: the same day), plus one extension
  (at most EXTENSION_CEILING_DAYS), plus the working days the clock stood still (special procedures that
  do not count toward the limit, 第四十五条; 补正 after acceptance where configured).
- Delivery (第四十四条): 10 working days from the decision.
- Yellow warning from ceil(share × allowed days) working days into a phase (YIWANG_CASE_WARNING_SHARE,
  default 0.8); red once the deadline has passed.

`due_on` / `warn_on` hold the running phase's deadline and warning day; both are empty while the clock
is stopped and once the case is finished, so the sweep only ever looks at running clocks.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.conf import settings
from django.utils import timezone

from yiwang.catalog import codes
from yiwang.catalog.models import GuideVersion
from yiwang.core.workdays import add_working_days, deadline_is_provisional

from .models import Case, CaseStatus, WarningLevel

ACCEPTANCE_DAYS = 5
DELIVERY_DAYS = 10
EXTENSION_CEILING_DAYS = 10
DEFAULT_LIMIT_DAYS = 20

_DECISION_PHASE = (
    CaseStatus.ACCEPTED,
    CaseStatus.IN_REVIEW,
    CaseStatus.SUPPLEMENTING,
    CaseStatus.SPECIAL_PROCEDURE,
)
_DELIVERY_PHASE = (CaseStatus.APPROVED, CaseStatus.REFUSED, CaseStatus.COMPLETED)


def warning_share() -> float:
    return float(getattr(settings, "YIWANG_CASE_WARNING_SHARE", 0.8))


def is_immediate(guide: GuideVersion) -> bool:
    return (
        guide.case_type == codes.CaseType.IMMEDIATE
        or guide.promised_limit_unit == codes.TimeUnit.IMMEDIATE
        or guide.promised_limit == 0
    )


def limit_days_for(guide: GuideVersion) -> int:
    """The decision limit in working days: promised, else legal, else the statutory 20 (第四十二条).

    Limits in other units (calendar days, months) fall back to the legal limit in working days or 20;
    a guide with such a unit should state the working-day equivalent as its promised limit."""
    if is_immediate(guide):
        return 0
    if guide.promised_limit and guide.promised_limit_unit == codes.TimeUnit.WORKING_DAY:
        return guide.promised_limit
    if guide.legal_limit and guide.legal_limit_unit == codes.TimeUnit.WORKING_DAY:
        return guide.legal_limit
    return DEFAULT_LIMIT_DAYS


def acceptance_days_for(guide: GuideVersion) -> int:
    if is_immediate(guide):
        return 0
    return min(ACCEPTANCE_DAYS, limit_days_for(guide))


def warning_day(start: dt.date, allowed_days: int, shift: int = 0) -> dt.date:
    return add_working_days(start, math.ceil(allowed_days * warning_share()) + shift)


def decision_due(accepted_on: dt.date, limit_days: int, extension_days: int, suspended_days: int) -> dt.date:
    return add_working_days(accepted_on, limit_days + extension_days + suspended_days)


def level_on(today: dt.date, due: dt.date | None, warn: dt.date | None) -> str:
    if due is not None and due < today:
        return WarningLevel.RED
    if warn is not None and warn <= today:
        return WarningLevel.YELLOW
    return WarningLevel.NONE


def clock_fields(case: Case, status: str, today: dt.date | None = None) -> dict[str, Any]:
    """The deadline columns for `case` once it is in `status` (call with the case's dates already set)."""
    fields: dict[str, Any] = {"due_on": None, "warn_on": None, "warning_level": WarningLevel.NONE}
    start: dt.date | None = None
    due: dt.date | None = None
    if status == CaseStatus.SUBMITTED and case.submitted_on:
        start = case.submitted_on
        due = add_working_days(start, case.acceptance_days)
        fields["acceptance_due"] = due
        fields["warn_on"] = warning_day(start, case.acceptance_days)
    elif status in _DECISION_PHASE and case.accepted_on:
        start = case.accepted_on
        due = decision_due(start, case.limit_days, case.extension_days, case.suspended_days)
        fields["decision_due"] = due
        if case.suspended_since is None:
            fields["warn_on"] = warning_day(
                start, case.limit_days + case.extension_days, shift=case.suspended_days
            )
        else:
            due = None  # the clock stands still; decision_due shows where it stopped
    elif status in _DELIVERY_PHASE and case.decided_on:
        start = case.decided_on
        due = add_working_days(start, DELIVERY_DAYS)
        fields["delivery_due"] = due
        fields["warn_on"] = warning_day(start, DELIVERY_DAYS)
    fields["due_on"] = due
    fields["warning_level"] = level_on(today or timezone.localdate(), due, fields["warn_on"])
    if start is not None and due is not None:
        fields["deadline_provisional"] = deadline_is_provisional(start, due)
    return fields
