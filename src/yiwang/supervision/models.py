"""Supervision data: per-case facts, daily summary tables refreshed from case events, and yellow/red cards.

- CaseFact: one row per filed case with what the metrics need (docs/apps/supervision.md "Definitions").
  It remembers what the case currently contributes to the summary tables, so a refresh can take the old
  contribution away and add the new one (deltas with F() increments: safe when refreshes run at once).
- FiledSummary / CompletedSummary / DurationSummary: the summary tables the dashboard panels read, at
  three grains (day × item, day, month). Filed rows are keyed by the filing day, completed and duration
  rows by the completion day (a case filed in one period and completed in the next counts in each period
  for what happened in it). Each row is the count of facts with exactly its key.
- ReviewFact / ReviewSummary: the same for 好差评 reviews (rating day × organisation × item × region →
  reviews, satisfied, bad, rectified), refreshed from `review.*` events.
- RefreshCursor: the last CaseEvent id the catch-up job has folded in (the durable side of the refresh).
- Alert / AlertAction: 黄牌/红牌 supervision cards raised by rules, and the record of how each was closed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def _loose_fk(to: str, verbose_name: Any) -> Any:
    """The rollups' references: no database constraint, no reverse accessor, nothing done on delete."""
    return models.ForeignKey(
        to, verbose_name=verbose_name, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )


class CaseFact(models.Model):
    case = models.OneToOneField(
        "cases.Case", verbose_name=_("办件"), primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    organisation = _loose_fk("core.Organisation", _("办理机构"))
    implementation = _loose_fk("catalog.Implementation", _("事项"))
    region = _loose_fk("core.Region", _("行政区划"))
    channel = models.CharField(_("申请渠道"), max_length=8)
    status = models.CharField(_("状态"), max_length=16)
    submitted_on = models.DateField(_("提交日期"))
    completed_on = models.DateField(_("办结日期"), null=True, blank=True)
    on_time = models.BooleanField(_("按期办结"), default=False)
    one_visit = models.BooleanField(_("最多跑一次"), default=False)
    handling_days = models.IntegerField(_("办理时长（工作日）"), default=0)
    promised_days = models.IntegerField(_("承诺时限（工作日）"), default=0)
    legal_days = models.IntegerField(_("法定时限（工作日）"), null=True, blank=True)
    exempted_materials = models.IntegerField(_("免提交材料数"), default=0)
    refreshed_at = models.DateTimeField(_("刷新时间"), auto_now=True)

    class Meta:
        verbose_name = _("办件监督事实")
        verbose_name_plural = _("办件监督事实")
        indexes = [
            # Drill-down lists find their cases by date through these (the cases table has no index on
            # its filing or completion day).
            models.Index(fields=["submitted_on"], name="sv_fact_filed"),
            models.Index(fields=["organisation", "submitted_on"], name="sv_fact_org_filed"),
            models.Index(fields=["completed_on", "handling_days"], name="sv_fact_completed"),
            models.Index(fields=["organisation", "completed_on"], name="sv_fact_org_completed"),
            models.Index(fields=["implementation", "completed_on"], name="sv_fact_item_completed"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}"


class Grain(models.TextChoices):
    ITEM_DAY = "i", _("按日、按事项")
    DAY = "d", _("按日")
    MONTH = "m", _("按月")


ALL_ITEMS = 0  # item_id of the rows that add up every item (grains "d" and "m")


class SummaryRow(models.Model):
    """Shared key columns. Each fact is counted at three grains: per day and item ("i", for item filters),
    per day over all items ("d") and per month over all items ("m", day = the first of the month), so a
    year over a province reads a few thousand monthly rows instead of one row per case."""

    grain = models.CharField(_("粒度"), max_length=1, choices=Grain.choices)
    day = models.DateField(_("日期"))
    organisation = _loose_fk("core.Organisation", _("办理机构"))
    item_id = models.IntegerField(_("事项"), default=ALL_ITEMS)
    region = _loose_fk("core.Region", _("行政区划"))
    cases = models.IntegerField(_("办件数"), default=0)

    class Meta:
        abstract = True


class FiledSummary(SummaryRow):
    """Cases filed on `day` (or in its month) with this channel and current status."""

    channel = models.CharField(_("申请渠道"), max_length=8)
    status = models.CharField(_("状态"), max_length=16)
    exempted_materials = models.IntegerField(_("免提交材料数"), default=0)

    class Meta:
        verbose_name = _("收件汇总")
        verbose_name_plural = _("收件汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "day", "organisation", "item_id", "region", "channel", "status"],
                name="uniq_sv_filed_key",
            )
        ]
        indexes = [
            models.Index(fields=["grain", "day", "region"], name="sv_filed_day_region"),
            models.Index(fields=["organisation", "grain", "day"], name="sv_filed_org_day"),
            models.Index(fields=["item_id", "grain", "day"], name="sv_filed_item_day"),
        ]

    def __str__(self) -> str:
        return f"{self.grain} {self.day} · {self.cases}"


class CompletedSummary(SummaryRow):
    """Cases completed (办结) on `day` (or in its month) with this channel and outcome."""

    channel = models.CharField(_("申请渠道"), max_length=8)
    on_time = models.BooleanField(_("按期办结"))
    one_visit = models.BooleanField(_("最多跑一次"))
    handling_days = models.IntegerField(_("办理时长合计（工作日）"), default=0)
    promised_days = models.IntegerField(_("承诺时限合计"), default=0)
    legal_days = models.IntegerField(_("法定时限合计"), default=0)
    legal_cases = models.IntegerField(_("有法定时限的办件数"), default=0)
    legal_handling_days = models.IntegerField(_("有法定时限办件的办理时长合计"), default=0)
    legal_promised_days = models.IntegerField(_("有法定时限办件的承诺时限合计"), default=0)

    class Meta:
        verbose_name = _("办结汇总")
        verbose_name_plural = _("办结汇总")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "grain",
                    "day",
                    "organisation",
                    "item_id",
                    "region",
                    "channel",
                    "on_time",
                    "one_visit",
                ],
                name="uniq_sv_completed_key",
            )
        ]
        indexes = [
            models.Index(fields=["grain", "day", "region"], name="sv_done_day_region"),
            models.Index(fields=["organisation", "grain", "day"], name="sv_done_org_day"),
            models.Index(fields=["item_id", "grain", "day"], name="sv_done_item_day"),
        ]

    def __str__(self) -> str:
        return f"{self.grain} {self.day} · {self.cases}"


class DurationSummary(SummaryRow):
    """How many cases completed on `day` (or in its month) took exactly `handling_days` working days —
    the histogram behind exact medians and the duration distribution."""

    handling_days = models.IntegerField(_("办理时长（工作日）"))

    class Meta:
        verbose_name = _("办理时长汇总")
        verbose_name_plural = _("办理时长汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "day", "organisation", "item_id", "region", "handling_days"],
                name="uniq_sv_duration_key",
            )
        ]
        indexes = [
            models.Index(fields=["grain", "day", "region"], name="sv_dur_day_region"),
            models.Index(fields=["organisation", "grain", "day"], name="sv_dur_org_day"),
            models.Index(fields=["item_id", "grain", "day"], name="sv_dur_item_day"),
        ]

    def __str__(self) -> str:
        return f"{self.grain} {self.day} · {self.handling_days} · {self.cases}"


class ReviewFact(models.Model):
    """What one 好差评 review contributes to ReviewSummary (docs/apps/reviews.md's definitions): kept so a
    refresh can take the old contribution away. Reviews excluded by an upheld appeal have no fact."""

    # A plain id, not a foreign key: supervision keeps working (without reviews figures) where the
    # reviews app is not installed.
    review_id = models.BigIntegerField(_("评价"), primary_key=True)
    organisation = _loose_fk("core.Organisation", _("被评价机构"))
    implementation = _loose_fk("catalog.Implementation", _("事项"))
    region = _loose_fk("core.Region", _("行政区划"))
    rated_on = models.DateField(_("评价日期"))
    satisfied = models.BooleanField(_("满意"), default=False)
    bad = models.BooleanField(_("差评"), default=False)
    rectified = models.BooleanField(_("已整改反馈"), default=False)

    class Meta:
        verbose_name = _("评价监督事实")
        verbose_name_plural = _("评价监督事实")

    def __str__(self) -> str:
        return f"{self.review_id}"


class ReviewSummary(SummaryRow):
    """Counted reviews rated on `day` (or in its month): `cases` is the number of reviews, with how many
    were satisfied, bad, and bad with the rectification fed back (now)."""

    satisfied = models.IntegerField(_("满意数"), default=0)
    bad = models.IntegerField(_("差评数"), default=0)
    rectified = models.IntegerField(_("已整改差评数"), default=0)

    class Meta:
        verbose_name = _("好差评汇总")
        verbose_name_plural = _("好差评汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "day", "organisation", "item_id", "region"], name="uniq_sv_review_key"
            )
        ]
        indexes = [
            models.Index(fields=["grain", "day", "region"], name="sv_review_day_region"),
            models.Index(fields=["organisation", "grain", "day"], name="sv_review_org_day"),
            models.Index(fields=["item_id", "grain", "day"], name="sv_review_item_day"),
        ]

    def __str__(self) -> str:
        return f"{self.grain} {self.day} · {self.cases}"


class RefreshCursor(models.Model):  # noqa: DJ008 (a bookmark row, never shown)
    name = models.CharField(max_length=32, primary_key=True)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("刷新游标")
        verbose_name_plural = _("刷新游标")


class AlertRule(models.TextChoices):
    OVERDUE_ACCEPTANCE = "overdue_acceptance", _("逾期未受理")
    OVERDUE_STEP = "overdue_step", _("办理环节超时")
    OVERDUE_DECISION = "overdue_decision", _("超期未办结")
    OVERDUE_RECTIFICATION = "overdue_rectification", _("差评整改超期")
    UNEXPLAINED_REFUSAL = "unexplained_refusal", _("不予受理或不予准予未说明理由")


class AlertLevel(models.TextChoices):
    YELLOW = "yellow", _("黄牌")
    RED = "red", _("红牌")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    ACKNOWLEDGED = "acknowledged", _("已签收")
    EXPLAINED = "explained", _("已说明情况")
    CLOSED = "closed", _("已办结销号")


class Alert(models.Model):
    """One yellow or red card: a rule found something wrong with one case (or one rectification order)."""

    rule = models.CharField(_("监察规则"), max_length=32, choices=AlertRule.choices)
    level = models.CharField(_("预警等级"), max_length=8, choices=AlertLevel.choices)
    subject_key = models.CharField(_("监察对象"), max_length=64)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("办件"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="supervision_alerts",
    )
    organisation = models.ForeignKey(
        "core.Organisation", verbose_name=_("责任部门"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        "core.Region", verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="+"
    )
    raised_on = models.DateField(_("发出日期"))
    raised_at = models.DateTimeField(_("发出时间"), auto_now_add=True)
    description = models.TextField(_("督办内容"))
    status = models.CharField(_("状态"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    explanation = models.TextField(_("情况说明"), blank=True)
    close_note = models.TextField(_("销号意见"), blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("销号人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("修改次数"), default=0)

    class Meta:
        verbose_name = _("红黄牌预警")
        verbose_name_plural = _("红黄牌预警")
        ordering = ["-raised_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["rule", "subject_key"], name="uniq_sv_alert_subject")]
        indexes = [
            models.Index(fields=["raised_on", "region"], name="sv_alert_day_region"),
            models.Index(fields=["organisation", "status"], name="sv_alert_org_status"),
            models.Index(fields=["status", "level"], name="sv_alert_status_level"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} · {self.get_rule_display()} · {self.subject_key}"


class AlertAction(models.Model):
    """Append-only record of what was done with an alert (签收, 说明情况, 销号)."""

    alert = models.ForeignKey(Alert, verbose_name=_("预警"), on_delete=models.CASCADE, related_name="actions")
    action = models.CharField(_("操作"), max_length=16)
    from_status = models.CharField(_("原状态"), max_length=16)
    to_status = models.CharField(_("新状态"), max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("说明"), blank=True)
    occurred_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("预警处理记录")
        verbose_name_plural = _("预警处理记录")
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.from_status}→{self.to_status}"
