"""Demo appointment slots: for the items that support appointments at the demo staff's departments (and at
the first service hall, where window1 also gets a window role), slots for the next 10 working days; and
one booking by the demo person 王二级. Idempotent (slot generation skips existing slots)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from yiwang.accounts.models import Membership, Role, User
from yiwang.catalog.models import Implementation, PublicStatus
from yiwang.core.models import Organisation, OrganisationKind

from . import services
from .models import Appointment, Slot

ITEMS_PER_HALL = 3


def _bookable(**where: Any) -> list[Implementation]:
    return list(
        Implementation.objects.filter(
            public_status=PublicStatus.PUBLISHED, published_version__supports_appointment=True, **where
        ).order_by("implementation_code")[:ITEMS_PER_HALL]
    )


def load_demo(*, stdout: Any) -> None:
    pairs: list[tuple[Organisation, Implementation]] = []
    for membership in Membership.objects.filter(
        user__username__in=["window1", "window2"], role=Role.WINDOW
    ).select_related("organisation"):
        pairs += [(membership.organisation, item) for item in _bookable(organisation=membership.organisation)]
    hall = (
        Organisation.objects.filter(kind=OrganisationKind.HALL, is_active=True)
        .order_by("region_id", "pk")
        .first()
    )
    clerk = User.objects.filter(username="window1").first()
    if hall is not None:
        pairs += [(hall, item) for item in _bookable(region_id=hall.region_id)]
        if clerk is not None:
            Membership.objects.get_or_create(user=clerk, organisation=hall, role=Role.WINDOW)
    today = timezone.localdate()
    created = sum(services.generate_slots(h, i, start=today, working_days=10, capacity=4) for h, i in pairs)
    person = User.objects.filter(username="13800000002").first()
    if person is not None and pairs and not Appointment.objects.filter(person=person).exists():
        slot = (
            Slot.objects.filter(hall=pairs[0][0], implementation=pairs[0][1], day__gt=today)
            .order_by("day", "starts_at")
            .first()
        )
        if slot is not None:
            services.book(slot, person=person)
    stdout.write(
        f"预约演示：{len({h.pk for h, _i in pairs})} 个大厅/窗口、{len(pairs)} 个事项，新生成号源 {created} 个；"
        "工作人员在 /appointments/staff/ 查看预约日历。\n"
    )
