"""Appointment writes: generate slots, book, cancel, arrive (queue number), mark no-shows.

Each runs in one transaction with a guarded update or a row lock, writes an audit row and announces an
`appointment.*` event after commit. Refusals are AppointmentError with a Chinese message.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts import permissions
from yiwang.accounts.models import Role
from yiwang.catalog.models import Implementation, PublicStatus
from yiwang.core import audit, events, inbox
from yiwang.core.models import Organisation
from yiwang.core.workdays import is_working_day

from .models import ACTIVE_STATUSES, Appointment, AppointmentStatus, QueueCounter, Slot

DEFAULT_TIMES = (
    (dt.time(9, 0), dt.time(10, 0)),
    (dt.time(10, 0), dt.time(11, 0)),
    (dt.time(11, 0), dt.time(12, 0)),
    (dt.time(14, 0), dt.time(15, 0)),
    (dt.time(15, 0), dt.time(16, 0)),
    (dt.time(16, 0), dt.time(17, 0)),
)
ARRIVAL_EARLY = dt.timedelta(minutes=60)  # check in from an hour before the slot …
ARRIVAL_GRACE = dt.timedelta(minutes=15)  # … until a quarter of an hour after it ends
NO_SHOW_LIMIT = 3  # this many no-shows within NO_SHOW_WINDOW_DAYS suspend booking
NO_SHOW_WINDOW_DAYS = 90
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


class AppointmentError(Exception):
    """A refused appointment operation; the message says why and what to do."""


def _aware(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


def slot_start(slot: Slot) -> dt.datetime:
    return _aware(slot.day, slot.starts_at)


def slot_end(slot: Slot) -> dt.datetime:
    return _aware(slot.day, slot.ends_at)


def _state(appointment: Appointment) -> dict[str, Any]:
    return {"code": appointment.code, "status": appointment.status, "slot": appointment.slot_id}


def _announce(name: str, appointment: Appointment) -> None:
    events.publish(
        name,
        {
            "appointment_id": appointment.pk,
            "code": appointment.code,
            "slot_id": appointment.slot_id,
            "person_id": appointment.person_id,
            "status": appointment.status,
        },
    )


def _require_hall_staff(actor: Any, hall: Organisation) -> None:
    if not permissions.has_role(actor, Role.WINDOW, hall):
        raise AppointmentError(_("只有该大厅的窗口工作人员可以办理此操作。"))


# --- slots -------------------------------------------------------------------------------------------


def working_days_from(start: dt.date, count: int) -> list[dt.date]:
    days: list[dt.date] = []
    day = start
    while len(days) < count:
        if is_working_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


@transaction.atomic
def generate_slots(
    hall: Organisation,
    implementation: Implementation,
    *,
    start: dt.date,
    working_days: int = 10,
    times: Iterable[tuple[dt.time, dt.time]] = DEFAULT_TIMES,
    capacity: int = 4,
    actor: Any = None,
) -> int:
    """Open slots at `hall` for `implementation` on the next `working_days` working days from `start`.
    Existing slots are kept as they are (idempotent); returns how many were created."""
    if capacity < 1:
        raise AppointmentError(_("每个时段的号源数至少为 1。"))
    times = list(times)
    for begins, ends in times:
        if ends <= begins:
            raise AppointmentError(_("时段的结束时间须晚于开始时间。"))
    existing = set(
        Slot.objects.filter(hall=hall, implementation=implementation, day__gte=start).values_list(
            "day", "starts_at"
        )
    )
    rows = [
        Slot(hall=hall, implementation=implementation, day=day, starts_at=b, ends_at=e, capacity=capacity)
        for day in working_days_from(start, working_days)
        for b, e in times
        if (day, b) not in existing
    ]
    Slot.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        audit.record(
            actor=actor,
            action="appointments.generate_slots",
            object_type="core.Organisation",
            object_id=hall.pk,
            summary=f"开放预约号源 {len(rows)} 个：{implementation.name}",
            data={"implementation": implementation.pk, "from": start.isoformat(), "days": working_days},
        )
    return len(rows)


# --- booking -----------------------------------------------------------------------------------------


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _position in range(8))


def recent_no_shows(person: Any, now: dt.datetime | None = None) -> int:
    since = (now or timezone.now()) - dt.timedelta(days=NO_SHOW_WINDOW_DAYS)
    return Appointment.objects.filter(
        person=person, status=AppointmentStatus.NO_SHOW, no_show_at__gte=since
    ).count()


@transaction.atomic
def book(slot: Slot, *, person: Any, contact_phone: str = "") -> Appointment:
    """Take one place in `slot` for `person`."""
    if not getattr(person, "is_authenticated", False):
        raise AppointmentError(_("请先登录再预约。"))
    slot = Slot.objects.select_related("implementation__published_version", "hall").get(pk=slot.pk)
    implementation = slot.implementation
    guide = implementation.published_version
    if implementation.public_status != PublicStatus.PUBLISHED or guide is None:
        raise AppointmentError(_("事项“%(n)s”目前未发布，不能预约。") % {"n": implementation.name})
    if not guide.supports_appointment:
        raise AppointmentError(
            _("事项“%(n)s”不支持预约办理，请直接到大厅办理或在网上申请。") % {"n": guide.name}
        )
    if not slot.is_open or slot_start(slot) <= timezone.now():
        raise AppointmentError(_("该时段已开始或已停止预约，请选择其他时段。"))
    if recent_no_shows(person) >= NO_SHOW_LIMIT:
        raise AppointmentError(
            _("您在 %(d)d 天内已有 %(n)d 次预约未到场，暂不能在网上预约，请直接到大厅取号办理。")
            % {"d": NO_SHOW_WINDOW_DAYS, "n": NO_SHOW_LIMIT}
        )
    if Appointment.objects.filter(
        person=person, status__in=ACTIVE_STATUSES, slot__implementation=implementation, slot__day=slot.day
    ).exists():
        raise AppointmentError(_("您已预约了同一天办理该事项，如需更改请先取消原预约。"))
    taken = Slot.objects.filter(pk=slot.pk, is_open=True, booked__lt=F("capacity")).update(
        booked=F("booked") + 1
    )
    if taken != 1:
        raise AppointmentError(_("该时段的号源刚刚已被约满，请选择其他时段。"))
    phone = (contact_phone or getattr(person, "phone", "") or "").strip()[:20]
    for _attempt in range(5):
        try:
            with transaction.atomic():
                appointment = Appointment.objects.create(
                    code=_new_code(), slot=slot, person=person, contact_phone=phone
                )
            break
        except IntegrityError as exc:
            if (
                "uniq_active_appointment" in str(exc)
                or Appointment.objects.filter(slot=slot, person=person, status__in=ACTIVE_STATUSES).exists()
            ):
                raise AppointmentError(_("您已预约了该时段。")) from None
    else:  # pragma: no cover - eight characters from 32 make a collision five times running implausible
        raise AppointmentError(_("生成预约码失败，请重试。"))
    audit.record(
        actor=person,
        action="appointments.book",
        object_type="appointments.appointment",
        object_id=appointment.pk,
        after=_state(appointment),
        summary=f"预约 {slot.hall.name} {slot}：{guide.name}",
    )
    when = f"{slot.day:%Y-%m-%d} {slot.starts_at:%H:%M}-{slot.ends_at:%H:%M}"
    transaction.on_commit(
        lambda: inbox.send(
            person,
            title=_("预约成功：%(n)s") % {"n": guide.name},
            body=_("预约码 %(c)s，请于 %(w)s 携带身份证件到 %(h)s 取号办理。")
            % {"c": appointment.code, "w": when, "h": slot.hall.name},
            category="appointment",
        )
    )
    _announce("appointment.booked", appointment)
    return appointment


def _release(slot_id: int) -> None:
    Slot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


@transaction.atomic
def cancel(appointment: Appointment, *, actor: Any, reason: str = "") -> Appointment:
    """The person (or hall staff) cancels a booking before its slot starts; the place is released."""
    appointment = Appointment.objects.select_for_update().select_related("slot__hall").get(pk=appointment.pk)
    if appointment.person_id != getattr(actor, "pk", None):
        _require_hall_staff(actor, appointment.slot.hall)
    if appointment.status != AppointmentStatus.BOOKED:
        raise AppointmentError(
            _("该预约当前为“%(s)s”，不能取消。") % {"s": AppointmentStatus(appointment.status).label}
        )
    if slot_start(appointment.slot) <= timezone.now():
        raise AppointmentError(_("预约时段已开始，不能再取消；未到场的将记为爽约。"))
    before = _state(appointment)
    changed = Appointment.objects.filter(pk=appointment.pk, status=AppointmentStatus.BOOKED).update(
        status=AppointmentStatus.CANCELLED, cancelled_at=timezone.now(), cancel_reason=reason.strip()[:200]
    )
    if changed != 1:  # pragma: no cover - the row is locked
        raise AppointmentError(_("该预约刚刚已被处理，请刷新后查看。"))
    _release(appointment.slot_id)
    appointment.refresh_from_db()
    audit.record(
        actor=actor,
        action="appointments.cancel",
        object_type="appointments.appointment",
        object_id=appointment.pk,
        before=before,
        after=_state(appointment),
        summary=f"取消预约 {appointment.code}",
    )
    _announce("appointment.cancelled", appointment)
    return appointment


def _next_queue_number(hall: Organisation, day: dt.date) -> str:
    QueueCounter.objects.get_or_create(hall=hall, day=day)
    counter = QueueCounter.objects.select_for_update().get(hall=hall, day=day)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"Y{counter.last:03d}"  # Y = 预约 (appointment) queue, served before walk-ins of the hour


@transaction.atomic
def arrive(code: str, *, actor: Any, hall: Organisation | None = None) -> Appointment:
    """The person shows their booking at the hall: check in and hand out a queue number."""
    value = (code or "").strip().upper()
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("slot__hall", "slot__implementation")
        .filter(code=value)
        .first()
    )
    if appointment is None:
        raise AppointmentError(_("没有预约码为 %(c)s 的预约，请核对。") % {"c": value or "—"})
    slot = appointment.slot
    if hall is not None and slot.hall_id != hall.pk:
        raise AppointmentError(_("该预约在“%(h)s”办理，不在本大厅。") % {"h": slot.hall.name})
    _require_hall_staff(actor, slot.hall)
    if appointment.status == AppointmentStatus.ARRIVED:
        raise AppointmentError(
            _("该预约已于 %(t)s 取号，排队号 %(q)s。")
            % {"t": f"{timezone.localtime(appointment.arrived_at):%H:%M}", "q": appointment.queue_number}
        )
    if appointment.status != AppointmentStatus.BOOKED:
        raise AppointmentError(
            _("该预约当前为“%(s)s”，不能取号。") % {"s": AppointmentStatus(appointment.status).label}
        )
    now = timezone.now()
    if now < slot_start(slot) - ARRIVAL_EARLY:
        raise AppointmentError(
            _("预约时段为 %(w)s，请在开始前一小时内取号。")
            % {"w": f"{slot.day:%Y-%m-%d} {slot.starts_at:%H:%M}"}
        )
    if now > slot_end(slot) + ARRIVAL_GRACE:
        raise AppointmentError(_("预约时段已过，预约已失效；可现场普通取号办理。"))
    before = _state(appointment)
    appointment.status = AppointmentStatus.ARRIVED
    appointment.arrived_at = now
    appointment.queue_number = _next_queue_number(slot.hall, slot.day)
    appointment.save(update_fields=["status", "arrived_at", "queue_number"])
    audit.record(
        actor=actor,
        action="appointments.arrive",
        object_type="appointments.appointment",
        object_id=appointment.pk,
        before=before,
        after=_state(appointment),
        summary=f"预约到场取号 {appointment.code} → {appointment.queue_number}",
    )
    _announce("appointment.arrived", appointment)
    return appointment


def mark_no_shows(*, now: dt.datetime | None = None, actor: Any = None) -> int:
    """Bookings whose slot ended (plus the grace period) without arrival become no-shows."""
    now = now or timezone.now()
    cutoff = timezone.localtime(now - ARRIVAL_GRACE)
    candidates = Appointment.objects.filter(status=AppointmentStatus.BOOKED, slot__day__lte=cutoff.date())
    marked = 0
    for appointment in candidates.select_related("slot").iterator():
        if slot_end(appointment.slot) + ARRIVAL_GRACE > now:
            continue
        with transaction.atomic():
            changed = Appointment.objects.filter(pk=appointment.pk, status=AppointmentStatus.BOOKED).update(
                status=AppointmentStatus.NO_SHOW, no_show_at=now
            )
            if changed != 1:
                continue
            appointment.status = AppointmentStatus.NO_SHOW
            audit.record(
                actor=actor,
                action="appointments.no_show",
                object_type="appointments.appointment",
                object_id=appointment.pk,
                after=_state(appointment),
                summary=f"预约未到场 {appointment.code}",
            )
            _announce("appointment.no_show", appointment)
            marked += 1
    return marked
