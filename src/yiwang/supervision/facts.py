"""What one case contributes to the efficiency metrics (the definitions, in code).

Every definition here has a twin in `drill` (a filter on the cases table) so that a number on a dashboard
and the list behind it are the same set; docs/apps/supervision.md spells the definitions out.

- filed: the case has a filing day (submitted_on); drafts never count.
- online: filed through any channel but the window (web, mobile, a system interface).
- completed (办结): completed_on is set; it counts on that day.
- handling_days: working days from acceptance to decision (the day of acceptance not counted, 民法典
  第二百零一条), minus the working days the clock stood still (special procedures not counted toward the
  limit, supplements after acceptance where configured) — the same clock as the legal limit.
- on_time: decided no later than the decision deadline (decision_due, which already carries any lawful
  extension and suspension); a completed case without a decision deadline counts as on time.
- one_visit (最多跑一次): at most one trip to a hall — one for applying at the window, one for collecting
  the result at the window; so only "applied at the window AND collected at the window" is two.
- promised_days / legal_days: the pinned guide's limits in working days (legal: only when the guide states
  it in working days).
- exempted_materials: materials the applicant did not have to hand in because the platform could obtain
  them by data sharing or an electronic licence (CaseMaterial.obtainable_by set and not uploaded).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q

from yiwang.cases.models import Case, CaseMaterial, Channel, DeliveryMethod, MaterialStatus
from yiwang.catalog import codes
from yiwang.core.workdays import working_days_between

from .models import ALL_ITEMS

CASE_COLUMNS = (
    "pk",
    "organisation_id",
    "implementation_id",
    "region_id",
    "channel",
    "status",
    "submitted_on",
    "accepted_on",
    "decided_on",
    "completed_on",
    "decision_due",
    "delivery_method",
    "limit_days",
    "suspended_days",
    "guide__legal_limit",
    "guide__legal_limit_unit",
)

EXEMPT_Q = ~Q(obtainable_by="") & ~Q(status=MaterialStatus.SUBMITTED)


@dataclass(frozen=True)
class Fact:
    case_id: int
    organisation_id: int
    implementation_id: int
    region_id: str
    channel: str
    status: str
    submitted_on: dt.date
    completed_on: dt.date | None
    on_time: bool
    one_visit: bool
    handling_days: int
    promised_days: int
    legal_days: int | None
    exempted_materials: int

    def _grains(self, day: dt.date) -> list[tuple[str, dt.date, int, int]]:
        """(grain, day, organisation, item) of the three rows a fact counts in."""
        return [
            ("i", day, self.organisation_id, self.implementation_id),
            ("d", day, self.organisation_id, ALL_ITEMS),
            ("m", day.replace(day=1), self.organisation_id, ALL_ITEMS),
        ]

    def contributions(self) -> list[tuple[str, tuple[Any, ...], dict[str, int]]]:
        """(table, key, values) for every summary row this fact adds to (see summary.TABLES)."""
        rows: list[tuple[str, tuple[Any, ...], dict[str, int]]] = []
        filed = {"cases": 1, "exempted_materials": self.exempted_materials}
        for grain, day, organisation, item in self._grains(self.submitted_on):
            rows.append(
                ("filed", (grain, day, organisation, item, self.region_id, self.channel, self.status), filed)
            )
        if self.completed_on is None:
            return rows
        has_legal = self.legal_days is not None
        completed = {
            "cases": 1,
            "handling_days": self.handling_days,
            "promised_days": self.promised_days,
            "legal_days": self.legal_days or 0,
            "legal_cases": 1 if has_legal else 0,
            "legal_handling_days": self.handling_days if has_legal else 0,
            "legal_promised_days": self.promised_days if has_legal else 0,
        }
        for grain, day, organisation, item in self._grains(self.completed_on):
            key = (grain, day, organisation, item, self.region_id, self.channel, self.on_time, self.one_visit)
            rows.append(("completed", key, completed))
            rows.append(
                (
                    "duration",
                    (grain, day, organisation, item, self.region_id, self.handling_days),
                    {"cases": 1},
                )
            )
        return rows


def is_online(channel: str) -> bool:
    return channel != Channel.WINDOW


def is_one_visit(channel: str, delivery_method: str) -> bool:
    return not (channel == Channel.WINDOW and delivery_method == DeliveryMethod.WINDOW)


def is_on_time(decided_on: dt.date | None, decision_due: dt.date | None) -> bool:
    return decision_due is None or (decided_on is not None and decided_on <= decision_due)


def handling_days(accepted_on: dt.date | None, decided_on: dt.date | None, suspended_days: int) -> int:
    if accepted_on is None or decided_on is None:
        return 0
    return max(0, working_days_between(accepted_on, decided_on) - (suspended_days or 0))


def exempted_counts(case_ids: Iterable[int]) -> dict[int, int]:
    ids = list(case_ids)
    if not ids:
        return {}
    rows = (
        CaseMaterial.objects.filter(EXEMPT_Q, case_id__in=ids)
        .values("case_id")
        .annotate(n=Count("id"))
        .values_list("case_id", "n")
    )
    return dict(rows)


def fact_from_row(row: dict[str, Any], exempted: int) -> Fact:
    legal = (
        row["guide__legal_limit"] if row["guide__legal_limit_unit"] == codes.TimeUnit.WORKING_DAY else None
    )
    completed_on = row["completed_on"]
    return Fact(
        case_id=row["pk"],
        organisation_id=row["organisation_id"],
        implementation_id=row["implementation_id"],
        region_id=row["region_id"],
        channel=row["channel"],
        status=row["status"],
        submitted_on=row["submitted_on"],
        completed_on=completed_on,
        on_time=is_on_time(row["decided_on"], row["decision_due"]) if completed_on else False,
        one_visit=is_one_visit(row["channel"], row["delivery_method"]) if completed_on else False,
        handling_days=(
            handling_days(row["accepted_on"], row["decided_on"], row["suspended_days"]) if completed_on else 0
        ),
        promised_days=row["limit_days"] or 0,
        legal_days=legal,
        exempted_materials=exempted,
    )


def facts_for(case_ids: Iterable[int]) -> dict[int, Fact]:
    """The facts of these cases as they stand now (filed cases only: drafts contribute nothing)."""
    ids = list(case_ids)
    rows = list(Case.objects.filter(pk__in=ids, submitted_on__isnull=False).values(*CASE_COLUMNS))
    exempted = exempted_counts(row["pk"] for row in rows)
    return {row["pk"]: fact_from_row(row, exempted.get(row["pk"], 0)) for row in rows}
