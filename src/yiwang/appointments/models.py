"""Appointments (预约): bookable slots per hall and item, a person's booking, arrival with a queue number.

A slot is one time window at one hall (an Organisation: a service hall or a department's own window)
for one item, with a capacity; `booked` counts the active bookings and only ever changes through a
guarded UPDATE (… WHERE booked < capacity), so two people cannot take the last place.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Slot(models.Model):
    hall = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("大厅"),
        on_delete=models.CASCADE,
        related_name="appointment_slots",
    )
    implementation = models.ForeignKey(
        "catalog.Implementation",
        verbose_name=_("事项"),
        on_delete=models.CASCADE,
        related_name="appointment_slots",
    )
    day = models.DateField(_("日期"))
    starts_at = models.TimeField(_("开始时间"))
    ends_at = models.TimeField(_("结束时间"))
    capacity = models.PositiveSmallIntegerField(_("号源数"))
    booked = models.PositiveSmallIntegerField(_("已预约"), default=0)
    is_open = models.BooleanField(_("开放预约"), default=True)

    class Meta:
        verbose_name = _("预约号源")
        verbose_name_plural = _("预约号源")
        ordering = ["day", "starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "implementation", "day", "starts_at"], name="uniq_slot"),
            models.CheckConstraint(condition=Q(booked__lte=models.F("capacity")), name="slot_not_overbooked"),
        ]
        indexes = [
            models.Index(fields=["implementation", "day"], name="slot_item_day"),
            models.Index(fields=["hall", "day"], name="slot_hall_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.starts_at:%H:%M}-{self.ends_at:%H:%M}"

    @property
    def remaining(self) -> int:
        return max(0, self.capacity - self.booked)


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("已预约")
    CANCELLED = "cancelled", _("已取消")
    ARRIVED = "arrived", _("已到场取号")
    NO_SHOW = "no_show", _("爽约")


ACTIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED)


class Appointment(models.Model):
    code = models.CharField(_("预约码"), max_length=12, unique=True)
    slot = models.ForeignKey(
        Slot, verbose_name=_("号源"), on_delete=models.PROTECT, related_name="appointments"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("预约人"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    booked_at = models.DateTimeField(_("预约时间"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    arrived_at = models.DateTimeField(_("到场时间"), null=True, blank=True)
    queue_number = models.CharField(_("排队号"), max_length=8, blank=True)
    no_show_at = models.DateTimeField(_("记为爽约时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        ordering = ["-booked_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "person"],
                condition=Q(status__in=["booked", "arrived"]),
                name="uniq_active_appointment",
            )
        ]
        indexes = [
            models.Index(fields=["person", "status"], name="appointment_person"),
            models.Index(fields=["slot", "status"], name="appointment_slot"),
        ]

    def __str__(self) -> str:
        return self.code


class QueueCounter(models.Model):
    """The last queue number handed out at a hall on a day."""

    hall = models.ForeignKey(
        "core.Organisation", verbose_name=_("大厅"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("日期"))
    last = models.PositiveIntegerField(_("已发号"), default=0)

    class Meta:
        verbose_name = _("排队号计数器")
        verbose_name_plural = _("排队号计数器")
        constraints = [models.UniqueConstraint(fields=["hall", "day"], name="uniq_queue_counter")]

    def __str__(self) -> str:
        return f"{self.hall_id} {self.day:%Y-%m-%d} · {self.last}"
