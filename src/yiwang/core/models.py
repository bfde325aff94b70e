"""Core registries: regions (GB/T 2260), organisations, the working-day calendar and the audit log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core import validators


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("省级")
    PREFECTURE = "prefecture", _("地级")
    COUNTY = "county", _("县级")


class Region(models.Model):
    """An administrative region. The 6-digit code is the key; a subtree is a code prefix."""

    code = models.CharField(
        _("行政区划代码"), max_length=6, primary_key=True, validators=[validators.region_code_validator]
    )
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("级别"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def subtree_prefix(self) -> str:
        """The code prefix shared by this region and everything below it (GB/T 2260 '00' tails)."""
        if self.level == RegionLevel.PROVINCE:
            return self.code[:2]
        if self.level == RegionLevel.PREFECTURE:
            return self.code[:4]
        return self.code


class OrganisationKind(models.TextChoices):
    DEPARTMENT = "department", _("部门")
    HALL = "hall", _("政务服务大厅")
    AUTHORISED = "authorised", _("授权组织")
    OTHER = "other", _("其他")


class Organisation(models.Model):
    """An implementing organisation (实施机构): a department or a service hall, in one region."""

    name = models.CharField(_("名称"), max_length=128)
    short_name = models.CharField(_("简称"), max_length=64, blank=True)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    uscc_warning = models.CharField(
        _("信用代码提示"), max_length=200, blank=True, help_text=_("校验位不符的试点代码：予以提示而不拒收。")
    )
    region = models.ForeignKey(
        Region, verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="organisations"
    )
    kind = models.CharField(
        _("类别"), max_length=16, choices=OrganisationKind.choices, default=OrganisationKind.DEPARTMENT
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("实施机构")
        verbose_name_plural = _("实施机构")
        ordering = ["region_id", "name"]
        indexes = [models.Index(fields=["region", "name"])]

    def __str__(self) -> str:
        return self.name


class CalendarYearStatus(models.TextChoices):
    OFFICIAL = "official", _("正式（国务院公布）")
    PROVISIONAL = "provisional", _("临时（推算）")


class CalendarYear(models.Model):
    """Which years the calendar knows, and whether their data is the official schedule or a provisional one."""

    year = models.PositiveSmallIntegerField(_("年份"), primary_key=True)
    status = models.CharField(_("状态"), max_length=16, choices=CalendarYearStatus.choices)
    source = models.CharField(_("来源"), max_length=200)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("日历年度")
        verbose_name_plural = _("日历年度")
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}（{self.get_status_display()}）"


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("法定节假日（休息）")
    WORKDAY = "workday", _("调休上班日")


class CalendarDay(models.Model):
    """An exception to the Monday–Friday rule: a weekday holiday or a weekend working day (调休)."""

    date = models.DateField(_("日期"), primary_key=True)
    kind = models.CharField(_("类型"), max_length=16, choices=CalendarDayKind.choices)
    name = models.CharField(_("名称"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name} {self.get_kind_display()}"


class AuditEntry(models.Model):
    """One append-only audit row, chained to the previous row of its chain by an SM3 hash (see core.audit)."""

    chain = models.PositiveSmallIntegerField(_("审计链"), default=1)
    seq = models.BigIntegerField(_("序号"))
    occurred_at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人标识"), max_length=150)
    action = models.CharField(_("动作"), max_length=64)
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象标识"), max_length=64)
    summary = models.CharField(_("摘要"), max_length=300, blank=True)
    before_digest = models.CharField(_("变更前摘要"), max_length=64, blank=True)
    after_digest = models.CharField(_("变更后摘要"), max_length=64, blank=True)
    data = models.JSONField(_("附加数据"), default=dict, blank=True)
    prev_hash = models.CharField(_("前一行哈希"), max_length=64)
    hash = models.CharField(_("本行哈希"), max_length=64)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id", "id"], name="core_audit_object_idx")]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="core_audit_chain_seq")]

    def __str__(self) -> str:
        return f"#{self.chain}.{self.seq} {self.action} {self.object_type}:{self.object_id}"

    # Append-only at the ORM level too. Bypassing this (raw SQL, queryset.update) is what
    # `yiwang audit verify` detects through the hash chain.
    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogImmutableError(
                _("审计日志只能追加：已写入的第 %(seq)s 行不能修改。") % {"seq": self.seq}
            )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogImmutableError(_("审计日志只能追加：第 %(seq)s 行不能删除。") % {"seq": self.seq})


class AuditLogImmutableError(RuntimeError):
    """Raised on any attempt to change or delete an audit row through the model."""


class AuditChainHead(models.Model):  # noqa: DJ008 (a lock row, never shown)
    """The head of one audit chain, locked while appending so two writers can never fork that chain.

    There are several chains (settings.YIWANG_AUDIT_CHAINS) so that concurrent transactions append in
    parallel instead of queueing on one row; each transaction appends to exactly one chain."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")


class InboxMessage(models.Model):
    """One message in a person's in-site inbox (站内信): case notices, deadline warnings, payment notices."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收件人"),
        on_delete=models.CASCADE,
        related_name="inbox_messages",
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"), blank=True)
    link = models.CharField(_("链接"), max_length=500, blank=True)
    category = models.CharField(_("类别"), max_length=32, blank=True)
    case_number = models.CharField(_("办件编号"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内信")
        verbose_name_plural = _("站内信")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "created_at"], name="core_inbox_user_read_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
