"""好差评 (国办发〔2019〕51号; GB/T 39046-2020 表9, 附录A.8): ratings of completed cases, the label sets
shown per level, invitations, and the rectification work order (差评整改) every bad review opens.

The work order's status is changed only by `reviews.services` through `reviews.transitions`. Its deadline
is a column (`due_on`, working days from `core.workdays`), with `warn_on` for the yellow warning, so the
periodic sweep (`reviews.sweep`) reads an index instead of every row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    """满意度 (GB/T 39046-2020 附录A.8)."""

    VERY_SATISFIED = 1, _("非常满意")
    SATISFIED = 2, _("满意")
    BASICALLY_SATISFIED = 3, _("基本满意")
    DISSATISFIED = 4, _("不满意")
    VERY_DISSATISFIED = 5, _("非常不满意")


# 不满意 and 非常不满意 are 差评 (bad reviews); they open a rectification work order.
BAD_LEVELS = (Level.DISSATISFIED, Level.VERY_DISSATISFIED)
SATISFIED_LEVELS = (Level.VERY_SATISFIED, Level.SATISFIED, Level.BASICALLY_SATISFIED)


class Channel(models.TextChoices):
    """评价渠道 (GB/T 39046-2020 表9)."""

    PC = "pc", _("PC端")
    MOBILE = "mobile", _("移动服务端")
    QR_CODE = "qrcode", _("二维码")
    HALL_TABLET = "hall_tablet", _("政务大厅平板电脑")
    HALL_TERMINAL = "hall_terminal", _("政务大厅其他终端")
    PHONE = "phone", _("电话")
    SMS = "sms", _("短信")


ONSITE_CHANNELS = (Channel.HALL_TABLET, Channel.HALL_TERMINAL)


class Mode(models.TextChoices):
    ONLINE = "online", _("网上服务“一事一评”")
    ONSITE = "onsite", _("现场服务“一次一评”")


class ReviewLabel(models.Model):
    """A selectable tag shown for one level (e.g. 办事效率高 for 非常满意, 多次跑腿 for 不满意)."""

    level = models.PositiveSmallIntegerField(_("满意度"), choices=Level.choices)
    text = models.CharField(_("标签"), max_length=32)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("评价标签")
        verbose_name_plural = _("评价标签")
        ordering = ["level", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["level", "text"], name="uniq_review_label")]

    def __str__(self) -> str:
        return f"{self.get_level_display()} · {self.text}"


class Invitation(models.Model):
    """An invitation to rate a completed case, sent once per case and rater (events may repeat)."""

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("办件"), on_delete=models.CASCADE, related_name="review_invitations"
    )
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("评价人"), on_delete=models.CASCADE, related_name="+"
    )
    sent_via = models.CharField(_("发送方式"), max_length=8)
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评价邀请")
        verbose_name_plural = _("评价邀请")
        constraints = [models.UniqueConstraint(fields=["case", "rater"], name="uniq_review_invitation")]

    def __str__(self) -> str:
        return f"{self.case} · {self.rater_id}"


class Review(models.Model):
    """One rating of one case by one rater (一事一评 online, 一次一评 at a window)."""

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("办件"), on_delete=models.PROTECT, related_name="reviews"
    )
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("评价人"), on_delete=models.PROTECT, related_name="reviews"
    )
    # Copied from the case so disclosure reads one table.
    organisation = models.ForeignKey(
        "core.Organisation", verbose_name=_("被评价机构"), on_delete=models.PROTECT, related_name="reviews"
    )
    implementation = models.ForeignKey(
        "catalog.Implementation", verbose_name=_("事项"), on_delete=models.PROTECT, related_name="reviews"
    )
    region = models.ForeignKey(
        "core.Region", verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.PositiveSmallIntegerField(_("满意度"), choices=Level.choices)
    channel = models.CharField(_("评价渠道"), max_length=16, choices=Channel.choices)
    mode = models.CharField(_("评价方式"), max_length=8, choices=Mode.choices)
    labels = models.JSONField(_("标签"), default=list, blank=True)
    comment = models.TextField(_("文字评价"), blank=True)
    rated_at = models.DateTimeField(_("评价时间"))
    rated_on = models.DateField(_("评价日期"))
    is_bad = models.BooleanField(_("差评"), default=False, editable=False)
    follow_up = models.TextField(_("追评"), blank=True)
    follow_up_at = models.DateTimeField(_("追评时间"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("现场评价终端所属窗口人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("现场“一次一评”：办事人在窗口的评价终端上评价，记录该终端所在窗口的工作人员。"),
    )
    excluded = models.BooleanField(
        _("不计入统计"), default=False, editable=False, help_text=_("申诉复核认定为误评或恶意差评。")
    )

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        ordering = ["-rated_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["case", "rater"], name="uniq_review_case_rater")]
        indexes = [
            models.Index(fields=["organisation", "rated_on"], name="review_org_day"),
            models.Index(fields=["implementation", "rated_on"], name="review_impl_day"),
            models.Index(fields=["region", "rated_on"], name="review_region_day"),
            models.Index(fields=["rated_on"], name="review_day"),
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.get_level_display()}"


class OrderStatus(models.TextChoices):
    OPEN = "open", _("待回访核实")
    VERIFIED = "verified", _("已核实，待处置")
    RECTIFIED = "rectified", _("已整改，待反馈")
    EXPLAINED = "explained", _("已解释说明，待反馈")
    APPEALING = "appealing", _("申诉复核中")
    APPEAL_UPHELD = "upheld", _("申诉成立（不计入统计）")
    FED_BACK = "fed_back", _("已反馈，待回访")
    VISITED = "visited", _("已回访，待办结")
    CLOSED = "closed", _("已办结")


# Statuses in which the rectification clock runs (until the rater has been told the outcome).
RUNNING_STATUSES = (OrderStatus.OPEN, OrderStatus.VERIFIED, OrderStatus.RECTIFIED, OrderStatus.EXPLAINED)
FINAL_STATUSES = (OrderStatus.APPEAL_UPHELD, OrderStatus.CLOSED)
# A bad review counts as rectified once the outcome (rectification or explanation) was fed back.
RECTIFIED_STATUSES = (OrderStatus.FED_BACK, OrderStatus.VISITED, OrderStatus.CLOSED)


class WarningLevel(models.TextChoices):
    NONE = "", _("正常")
    YELLOW = "yellow", _("黄牌预警")
    RED = "red", _("红牌（已超期）")


class Resolution(models.TextChoices):
    RECTIFY = "rectify", _("整改")
    EXPLAIN = "explain", _("解释说明")


class WorkOrder(models.Model):
    """差评整改工单: 回访核实 → 整改 / 解释说明 / 申诉复核 → 反馈 → 回访 → 办结 (谁办理、谁负责)."""

    review = models.OneToOneField(
        Review, verbose_name=_("差评"), on_delete=models.PROTECT, related_name="work_order"
    )
    organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("责任机构"),
        on_delete=models.PROTECT,
        related_name="review_work_orders",
    )
    region = models.ForeignKey(
        "core.Region", verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.OPEN, editable=False
    )
    version = models.PositiveIntegerField(_("修改次数"), default=0, editable=False)
    opened_on = models.DateField(_("立单日期"))
    limit_days = models.PositiveSmallIntegerField(_("整改时限（工作日）"))
    due_on = models.DateField(_("整改期限"), null=True, blank=True)
    warn_on = models.DateField(_("预警起始日"), null=True, blank=True)
    warning_level = models.CharField(
        _("预警"), max_length=8, choices=WarningLevel.choices, default=WarningLevel.NONE, blank=True
    )
    clock_stopped_on = models.DateField(_("计时中止日"), null=True, blank=True)
    suspended_days = models.PositiveSmallIntegerField(_("中止计时工作日"), default=0)

    verification = models.TextField(_("回访核实情况"), blank=True)
    verified_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    resolution = models.CharField(_("处置方式"), max_length=8, choices=Resolution.choices, blank=True)
    resolution_text = models.TextField(_("整改或解释说明"), blank=True)
    resolved_at = models.DateTimeField(_("处置时间"), null=True, blank=True)
    appeal_reason = models.TextField(_("申诉理由"), blank=True)
    appealed_at = models.DateTimeField(_("申诉时间"), null=True, blank=True)
    appeal_upheld = models.BooleanField(_("申诉成立"), null=True, blank=True)
    appeal_decision = models.TextField(_("复核意见"), blank=True)
    appeal_decided_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    appeal_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    feedback = models.TextField(_("反馈内容"), blank=True)
    fed_back_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    return_visit = models.TextField(_("回访情况"), blank=True)
    rater_satisfied = models.BooleanField(_("评价人对整改满意"), null=True, blank=True)
    visited_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("差评整改工单")
        verbose_name_plural = _("差评整改工单")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["organisation", "status", "due_on"], name="wo_org_queue"),
            models.Index(
                fields=["due_on"],
                name="wo_due_on",
                condition=Q(due_on__isnull=False) & ~Q(warning_level="red"),
            ),
            models.Index(
                fields=["warn_on"],
                name="wo_warn_on",
                condition=Q(warn_on__isnull=False) & Q(warning_level=""),
            ),
        ]

    def __str__(self) -> str:
        return f"整改工单 #{self.pk} · {self.review.case}"


class WorkOrderEvent(models.Model):
    """Append-only history of a work order (kept as the 台账 of 回访 and 整改)."""

    order = models.ForeignKey(
        WorkOrder, verbose_name=_("工单"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("操作"), max_length=32)
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    occurred_at = models.DateTimeField(_("时间"))
    comment = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("工单记录")
        verbose_name_plural = _("工单记录")
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.from_status}→{self.to_status}"
