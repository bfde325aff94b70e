"""政民互动: consultations, complaints, suggestions and help requests (GB/T 39046-2020 表10), their
attachments and history, and the knowledge base (FAQ) behind "intelligent Q&A".

A message's status is changed only by `interaction.services` (guarded updates). The reply deadline is a
column (`due_on`, working days per kind, core.workdays) so the sweep reads an index.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    CONSULTATION = "consultation", _("咨询")
    COMPLAINT = "complaint", _("投诉")
    SUGGESTION = "suggestion", _("建议")
    HELP = "help", _("求助")


NUMBER_PREFIX = {Kind.CONSULTATION: "ZX", Kind.COMPLAINT: "TS", Kind.SUGGESTION: "JY", Kind.HELP: "QZ"}


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("待答复")
    REPLIED = "replied", _("已答复")


class WarningLevel(models.TextChoices):
    NONE = "", _("正常")
    YELLOW = "yellow", _("临近答复期限")
    RED = "red", _("已超期")


class Satisfaction(models.IntegerChoices):
    VERY_SATISFIED = 1, _("非常满意")
    SATISFIED = 2, _("满意")
    BASICALLY_SATISFIED = 3, _("基本满意")
    DISSATISFIED = 4, _("不满意")
    VERY_DISSATISFIED = 5, _("非常不满意")


class Message(models.Model):
    """One consultation, complaint, suggestion or help request from a signed-in person."""

    number = models.CharField(_("编号"), max_length=24, unique=True, null=True, blank=True)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("标题"), max_length=100)
    content = models.TextField(_("内容"))
    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提问人"),
        on_delete=models.PROTECT,
        related_name="interaction_messages",
    )
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("承办单位"),
        on_delete=models.PROTECT,
        related_name="interaction_messages",
    )
    region = models.ForeignKey(
        "core.Region", verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="+"
    )
    implementation = models.ForeignKey(
        "catalog.Implementation",
        verbose_name=_("相关事项"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    complained_about = models.CharField(_("被投诉单位或人员"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED, editable=False
    )
    version = models.PositiveIntegerField(_("修改次数"), default=0, editable=False)
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    clock_started_on = models.DateField(_("计时起始日"))
    limit_days = models.PositiveSmallIntegerField(_("答复时限（工作日）"))
    extension_days = models.PositiveSmallIntegerField(_("延期工作日"), default=0)
    extension_reason = models.CharField(_("延期原因"), max_length=300, blank=True)
    due_on = models.DateField(_("答复期限"), null=True, blank=True)
    warn_on = models.DateField(_("预警起始日"), null=True, blank=True)
    warning_level = models.CharField(
        _("预警"), max_length=8, choices=WarningLevel.choices, default=WarningLevel.NONE, blank=True
    )
    transfer_count = models.PositiveSmallIntegerField(_("转办次数"), default=0)
    reply = models.TextField(_("答复意见"), blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("答复人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    overdue_days = models.PositiveSmallIntegerField(_("超期天数（工作日）"), default=0)
    satisfaction = models.PositiveSmallIntegerField(
        _("对答复的满意度"), choices=Satisfaction.choices, null=True, blank=True
    )
    satisfaction_comment = models.CharField(_("满意度说明"), max_length=300, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    publish_consent = models.BooleanField(_("同意公开"), default=False)
    published_at = models.DateTimeField(_("公开时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("政民互动件")
        verbose_name_plural = _("政民互动件")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "status", "due_on"], name="msg_org_queue"),
            models.Index(fields=["asker", "-submitted_at"], name="msg_asker"),
            models.Index(
                fields=["-published_at"], name="msg_published", condition=Q(published_at__isnull=False)
            ),
            models.Index(
                fields=["due_on"],
                name="msg_due_on",
                condition=Q(due_on__isnull=False) & ~Q(warning_level="red"),
            ),
            models.Index(
                fields=["warn_on"],
                name="msg_warn_on",
                condition=Q(warn_on__isnull=False) & Q(warning_level=""),
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    @property
    def is_public(self) -> bool:
        return self.published_at is not None


class Attachment(models.Model):
    """A file of a message, checked by content (cases.uploads). Never replaced."""

    message = models.ForeignKey(
        Message, verbose_name=_("政民互动件"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("文件"), upload_to="interaction/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=64)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sm3 = models.CharField(_("SM3 摘要"), max_length=64)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class MessageEvent(models.Model):
    """Append-only history: submission, transfers (from → to), extension, reply, rating, publication."""

    message = models.ForeignKey(
        Message, verbose_name=_("政民互动件"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("操作"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("原承办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("新承办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    occurred_at = models.DateTimeField(_("时间"))
    comment = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return self.action


class FaqSource(models.TextChoices):
    CONSULTATION = "consultation", _("已答复的咨询")
    GUIDE = "guide", _("办事指南常见问题")
    MANUAL = "manual", _("人工录入")


class FaqEntry(models.Model):
    """One question and answer of the knowledge base."""

    question = models.CharField(_("问题"), max_length=300)
    answer = models.TextField(_("解答"))
    source = models.CharField(_("来源"), max_length=16, choices=FaqSource.choices)
    message = models.OneToOneField(
        Message,
        verbose_name=_("来源咨询"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="faq_entry",
    )
    catalog_faq = models.OneToOneField(
        "catalog.Faq",
        verbose_name=_("来源指南问答"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    implementation = models.ForeignKey(
        "catalog.Implementation",
        verbose_name=_("相关事项"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("答复单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("知识库问答")
        verbose_name_plural = _("知识库问答")
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.question


class FaqTerm(models.Model):
    """An index token of a knowledge-base entry (question tokens weigh more than answer tokens)."""

    entry = models.ForeignKey(
        FaqEntry, verbose_name=_("问答"), on_delete=models.CASCADE, related_name="terms"
    )
    term = models.CharField(_("词"), max_length=64)
    in_question = models.BooleanField(_("出现在问题中"), default=False)

    class Meta:
        verbose_name = _("知识库索引词")
        verbose_name_plural = _("知识库索引词")
        constraints = [models.UniqueConstraint(fields=["entry", "term"], name="uniq_faq_term")]
        indexes = [models.Index(fields=["term"], name="faq_term")]

    def __str__(self) -> str:
        return self.term
