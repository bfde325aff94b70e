"""Cases with fixed dates for supervision tests, written straight to the table (the metric definitions are
what is under test, not the case life cycle; tests/supervision/test_summary_tables.py drives the real
services instead). Import as ``from supervision.supervision_factories import …``."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from accounts.identity_factories import make_person, make_staff
from catalog.factories import make_guide, make_implementation, make_organisation, make_region
from yiwang.accounts.models import Role, User
from yiwang.cases.models import Case, CaseMaterial
from yiwang.catalog.models import GuideVersion, Implementation
from yiwang.core.models import Organisation

_numbers = itertools.count(1)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@dataclass
class Item:
    implementation: Implementation
    guide: GuideVersion

    @property
    def organisation(self) -> Organisation:
        return self.implementation.organisation


def make_item(organisation: Organisation | None = None, **guide_fields: Any) -> Item:
    implementation = make_implementation(
        organisation=organisation or make_organisation(make_region("330106"))
    )
    guide = make_guide(implementation=implementation, **guide_fields)
    return Item(implementation, guide)


def make_case(item: Item, applicant: User | None = None, **fields: Any) -> Case:
    """A filed case. Dates and status as given; limit 5 working days unless told."""
    submitted = fields.setdefault("submitted_on", d("2026-11-02"))
    values: dict[str, Any] = {
        "number": f"{item.implementation.region_id}{submitted:%Y%m%d}{next(_numbers):06d}",
        "status": "submitted",
        "channel": "web",
        "limit_days": 5,
    }
    values.update(fields)
    return Case.objects.create(
        implementation=item.implementation,
        guide=item.guide,
        organisation=item.implementation.organisation,
        region_id=item.implementation.region_id,
        applicant=applicant or make_person(),
        **values,
    )


def add_material(case: Case, name: str, obtainable_by: str = "", status: str = "submitted") -> CaseMaterial:
    return CaseMaterial.objects.create(
        case=case, name=name, necessity="required", obtainable_by=obtainable_by, status=status
    )


def supervisor(organisation: Organisation, *, subtree: bool = True) -> User:
    return make_staff(organisation, Role.SUPERVISOR, subtree=subtree)
