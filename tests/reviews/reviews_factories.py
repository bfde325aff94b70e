"""Completed cases to rate, and a department with a supervisor. Import as
``from reviews.reviews_factories import completed_case``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from cases.case_factories import Office, applicant, filed_case, publish, staff
from yiwang.accounts.models import Role, User
from yiwang.cases import services as case_services
from yiwang.cases.models import Case
from yiwang.catalog.models import Implementation
from yiwang.reviews import services
from yiwang.reviews.models import Review


class Department(Office):
    """An organisation with a clerk per role and a supervisor over it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.supervisor = staff(self.organisation, Role.SUPERVISOR)


def complete(case: Case, office: Office) -> Case:
    """Take a filed case through acceptance, every step and approval to completion (real services)."""
    case_services.accept(case, actor=office.window)
    case_services.start_review(case, actor=office.reviewer)
    for step in case.steps.order_by("order"):
        case_services.complete_step(case, step, actor=office.reviewer)
    case_services.approve(case, actor=office.approver, reason="符合条件")
    case_services.complete(case, actor=office.approver)
    return Case.objects.get(pk=case.pk)


def completed_case(
    office: Office, person: User | None = None, implementation: Implementation | None = None
) -> Case:
    person = person or applicant()
    implementation = implementation or publish(office.organisation)
    return complete(filed_case(implementation, person), office)


def rated(
    office: Office,
    level: int,
    day: dt.date,
    *,
    comment: str = "",
    person: User | None = None,
    channel: str = "hall_tablet",
) -> Review:
    """A review of a fresh completed case, recorded by a hall device as given on `day` (10:00)."""
    person = person or applicant()
    case = completed_case(office, person)
    # Arrange the past: the case was completed the day before the rating the device hands over.
    Case.objects.filter(pk=case.pk).update(completed_on=day - dt.timedelta(days=1))
    case.refresh_from_db()
    at = timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))
    return services.rate(
        case,
        rater=person,
        level=level,
        channel=channel,
        comment=comment or ("不满意的原因" if level >= 4 else ""),
        rated_at=at,
    )
