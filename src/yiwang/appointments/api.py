"""The appointments app's JSON API, mounted at /api/appointments/: bookable slots of an item (public) and
the signed-in person's own appointments."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from yiwang.catalog.models import Implementation, PublicStatus

from . import selectors
from .models import Appointment, Slot

router = Router(tags=["预约"])


class SlotOut(Schema):
    id: int = Field(description="号源编号（预约时提交）")
    hall: str = Field(description="办理大厅或窗口")
    day: dt.date = Field(description="日期")
    starts_at: dt.time = Field(description="开始时间")
    ends_at: dt.time = Field(description="结束时间")
    remaining: int = Field(description="剩余号源")

    @staticmethod
    def resolve_hall(slot: Slot) -> str:
        return slot.hall.name


class AppointmentOut(Schema):
    code: str = Field(description="预约码（到场凭此取号）")
    item: str = Field(description="事项名称")
    hall: str = Field(description="办理大厅或窗口")
    day: dt.date = Field(description="日期")
    starts_at: dt.time = Field(description="开始时间")
    status: str = Field(description="状态：booked 已预约、cancelled 已取消、arrived 已到场取号、no_show 爽约")
    queue_number: str = Field(description="到场后的排队号")

    @staticmethod
    def resolve_item(appointment: Appointment) -> str:
        return appointment.slot.implementation.name

    @staticmethod
    def resolve_hall(appointment: Appointment) -> str:
        return appointment.slot.hall.name

    @staticmethod
    def resolve_day(appointment: Appointment) -> dt.date:
        return appointment.slot.day

    @staticmethod
    def resolve_starts_at(appointment: Appointment) -> dt.time:
        return appointment.slot.starts_at


@router.get("/slots", response=list[SlotOut], summary="事项未来两周可预约的时段")
def slots(request: HttpRequest, item: str) -> list[Slot]:
    implementation = Implementation.objects.filter(
        implementation_code=item.strip(), public_status=PublicStatus.PUBLISHED
    ).first()
    if implementation is None:
        raise HttpError(404, _("没有该事项，或事项尚未发布。"))
    return list(selectors.bookable_slots(implementation)[:500])


@router.get("/mine", response=list[AppointmentOut], auth=django_auth, summary="我的预约")
def mine(request: HttpRequest) -> list[Appointment]:
    return list(selectors.my_appointments(request.user)[:100])
