"""跨省通办 and national statistics records (imported into federation.models).

On the node where the person applies (收件地, "origin"): a `CrossCase` with one `CrossCasePart` per
deciding node; each part follows the case filed there by the status messages that come back.
On the deciding node (办理地): a `ForwardedCase` links the local case to the origin's part, so every
status change of that case is reported back.
On the hub: `NodeStatistic` rows, one per (node, region, day), as the nodes last reported them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CrossMode(models.TextChoices):
    ONLINE = "online", _("全程网办")
    PROXY = "proxy", _("异地代收代办")
    JOINT = "joint", _("多地联办")


class CrossDelivery(models.TextChoices):
    POST = "post", _("邮寄送达")
    ELECTRONIC = "electronic", _("电子送达")


class PartState(models.TextChoices):
    SENDING = "sending", _("正在转交办理地")
    FILED = "filed", _("办理地已收件")
    REJECTED = "rejected", _("办理地未能收件")
    DECIDED = "decided", _("已作出决定")
    CLOSED = "closed", _("已办结")


class CrossCase(models.Model):
    """At the origin: one cross-province application, as the person and the window follow it."""

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mode = models.CharField(_("通办模式"), max_length=8, choices=CrossMode.choices)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人账户"),
        on_delete=models.PROTECT,
        related_name="cross_cases",
        null=True,
        blank=True,
    )
    applicant_name = models.CharField(_("申请人姓名"), max_length=64)
    resident_id_ciphertext = models.TextField(_("身份证号码（加密）"))
    resident_id_masked = models.CharField(_("身份证号码（脱敏）"), max_length=32)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    delivery = models.CharField(_("送达方式"), max_length=12, choices=CrossDelivery.choices)
    delivery_address = models.CharField(_("邮寄地址"), max_length=200, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收件人员"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("收件时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("跨省通办件")
        verbose_name_plural = _("跨省通办件")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} {self.reference}"


class CrossCasePart(models.Model):
    """At the origin: the part one deciding node handles, with the last status it reported."""

    cross_case = models.ForeignKey(
        CrossCase, verbose_name=_("跨省通办件"), on_delete=models.CASCADE, related_name="parts"
    )
    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    node = models.CharField(_("办理地节点"), max_length=6)
    implementation_code = models.CharField(_("实施编码"), max_length=40)
    item_name = models.CharField(_("事项名称"), max_length=200)
    state = models.CharField(_("进度"), max_length=10, choices=PartState.choices, default=PartState.SENDING)
    remote_number = models.CharField(_("办理地办件编号"), max_length=20, blank=True)
    remote_status = models.CharField(_("办理地状态"), max_length=16, blank=True)
    remote_status_label = models.CharField(_("办理地状态说明"), max_length=64, blank=True)
    remote_version = models.IntegerField(_("状态序号"), default=-1)
    decision_due = models.CharField(_("办结期限（办理地日历）"), max_length=10, blank=True)
    detail = models.CharField(_("说明"), max_length=500, blank=True)
    tracking_number = models.CharField(_("快递单号"), max_length=64, blank=True)
    decision_document = models.FileField(_("决定文书"), upload_to="federation/decisions/%Y/%m/", blank=True)
    decision_sm3 = models.CharField(_("决定文书 SM3"), max_length=64, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("跨省通办分项")
        verbose_name_plural = _("跨省通办分项")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.node} {self.item_name}"


class ForwardedCase(models.Model):
    """At the deciding node: a local case filed for another node's applicant, reported back on change."""

    part_reference = models.UUIDField(unique=True)
    origin = models.CharField(_("收件地节点"), max_length=6)
    mode = models.CharField(_("通办模式"), max_length=8, choices=CrossMode.choices)
    case = models.OneToOneField(
        "cases.Case", verbose_name=_("办件"), on_delete=models.PROTECT, related_name="forwarded_from"
    )
    delivery = models.CharField(_("送达方式"), max_length=12, choices=CrossDelivery.choices)
    received_at = models.DateTimeField(_("收到时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("外地转来办件")
        verbose_name_plural = _("外地转来办件")

    def __str__(self) -> str:
        return f"{self.origin} → {self.case_id}"


class NodeStatistic(models.Model):
    """On the hub: one region's figures for one day, as its node last reported them."""

    node = models.CharField(_("上报节点"), max_length=6)
    region_code = models.CharField(_("行政区划代码"), max_length=6)
    day = models.DateField(_("日期"))
    filed = models.PositiveIntegerField(_("受理申请数"), default=0)
    completed = models.PositiveIntegerField(_("办结数"), default=0)
    completed_on_time = models.PositiveIntegerField(_("按时办结数"), default=0)
    overdue_open = models.PositiveIntegerField(_("超期未办结数"), default=0)
    cross_province = models.PositiveIntegerField(_("跨省通办收件数"), default=0)
    reviews = models.PositiveIntegerField(_("评价数"), default=0)
    reviews_satisfied = models.PositiveIntegerField(_("满意评价数"), default=0)
    reported_at = models.DateTimeField(_("上报时间"), auto_now=True)

    class Meta:
        verbose_name = _("节点统计")
        verbose_name_plural = _("节点统计")
        constraints = [
            models.UniqueConstraint(fields=["node", "region_code", "day"], name="federation_stat_unique")
        ]
        indexes = [models.Index(fields=["day", "region_code"], name="federation_stat_day")]

    def __str__(self) -> str:
        return f"{self.region_code} {self.day}"


__all__ = [
    "CrossCase",
    "CrossCasePart",
    "CrossDelivery",
    "CrossMode",
    "ForwardedCase",
    "NodeStatistic",
    "PartState",
]
