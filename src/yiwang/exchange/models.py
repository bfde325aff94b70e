"""Data sharing (数据共享): the resource catalogue (政务信息资源目录), access grants, consumer credentials,
the gateway's call log and the materials obtained for cases (免提交).

Sharing types follow 国发〔2016〕51号《政务信息资源共享管理暂行办法》: 无条件共享 / 有条件共享 / 不予共享;
the latter two need a legal basis. Grant status changes only in `exchange.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SharingType(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("无条件共享")
    CONDITIONAL = "conditional", _("有条件共享")
    NOT_SHARED = "not_shared", _("不予共享")


class OpenType(models.TextChoices):
    OPEN = "open", _("无条件开放")
    CONDITIONAL = "conditional", _("有条件开放")
    NOT_OPEN = "not_open", _("不予开放")


class UpdateCycle(models.TextChoices):
    REALTIME = "realtime", _("实时")
    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    YEARLY = "yearly", _("每年")
    IRREGULAR = "irregular", _("不定期")


class SubjectKind(models.TextChoices):
    PERSON = "person", _("自然人（公民身份号码）")
    ENTERPRISE = "enterprise", _("法人（统一社会信用代码）")
    HOLDER = "holder", _("证照持有人（身份证号码或统一社会信用代码）")


class Resource(models.Model):
    """One shared data resource of one provider organisation, as its catalogue entry describes it."""

    code = models.CharField(_("资源代码"), max_length=40, unique=True)
    name = models.CharField(_("资源名称"), max_length=128)
    provider = models.ForeignKey(
        "core.Organisation", verbose_name=_("提供单位"), on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField(_("资源摘要"), blank=True)
    sharing_type = models.CharField(_("共享类型"), max_length=16, choices=SharingType.choices)
    sharing_conditions = models.TextField(_("共享条件"), blank=True)
    sharing_basis = models.TextField(
        _("共享类型依据"), blank=True, help_text=_("有条件共享、不予共享须写明法律、法规或政策依据。")
    )
    open_type = models.CharField(
        _("开放类型"), max_length=16, choices=OpenType.choices, default=OpenType.NOT_OPEN
    )
    update_cycle = models.CharField(
        _("更新周期"), max_length=16, choices=UpdateCycle.choices, default=UpdateCycle.REALTIME
    )
    subject_kind = models.CharField(_("查询对象"), max_length=16, choices=SubjectKind.choices)
    adapter = models.CharField(
        _("接入方式"),
        max_length=32,
        blank=True,
        help_text=_("交换网关内置数据源的名称（population、legal_entity、licence）；为空表示尚未接入网关。"),
    )
    source_names = models.TextField(
        _("材料来源名称"),
        blank=True,
        help_text=_("办事指南“共享数据或证照来源”中指称本资源的名称，每行一个；用于材料免提交的匹配。"),
    )
    prefill_fields = models.JSONField(_("免提交所取字段"), default=list, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("共享数据资源")
        verbose_name_plural = _("政务信息资源目录")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def source_name_list(self) -> list[str]:
        return [line.strip() for line in self.source_names.splitlines() if line.strip()]


class ResourceField(models.Model):
    """One data item (信息项) of a resource."""

    resource = models.ForeignKey(
        Resource, verbose_name=_("资源"), on_delete=models.CASCADE, related_name="fields"
    )
    code = models.CharField(_("信息项代码"), max_length=64)
    name = models.CharField(_("信息项名称"), max_length=64)
    data_type = models.CharField(_("数据类型"), max_length=16, default="string")
    is_sensitive = models.BooleanField(_("敏感信息"), default=False)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("信息项")
        verbose_name_plural = _("信息项")
        ordering = ["resource", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["resource", "code"], name="uniq_exchange_field")]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class GrantStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已授权")
    REFUSED = "refused", _("不予授权")
    REVOKED = "revoked", _("已撤销")


class Grant(models.Model):
    """A consuming organisation's access to some fields of a resource, for a stated purpose, until a date."""

    resource = models.ForeignKey(
        Resource, verbose_name=_("资源"), on_delete=models.PROTECT, related_name="grants"
    )
    consumer = models.ForeignKey(
        "core.Organisation", verbose_name=_("使用单位"), on_delete=models.PROTECT, related_name="+"
    )
    fields = models.JSONField(_("授权信息项"), default=list)
    purpose = models.TextField(_("使用用途"))
    basis = models.TextField(_("申请依据"), blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=GrantStatus.choices, default=GrantStatus.PENDING, editable=False
    )
    valid_until = models.DateTimeField(_("有效期至"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_reason = models.TextField(_("审批意见"), blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoke_reason = models.TextField(_("撤销理由"), blank=True)

    class Meta:
        verbose_name = _("共享授权")
        verbose_name_plural = _("共享授权")
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(
                fields=["consumer", "resource", "valid_until"],
                name="exchange_grant_active",
                condition=Q(status="approved"),
            ),
            models.Index(fields=["resource", "status"], name="exchange_grant_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.consumer} → {self.resource.code}"


class Credential(models.Model):
    """An SM2 public key with which a consuming organisation signs its gateway requests."""

    organisation = models.ForeignKey(
        "core.Organisation", verbose_name=_("使用单位"), on_delete=models.PROTECT, related_name="+"
    )
    key_id = models.CharField(_("密钥标识"), max_length=16, unique=True)
    public_hex = models.CharField(_("SM2 公钥"), max_length=128)
    label = models.CharField(_("说明"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("接入密钥")
        verbose_name_plural = _("接入密钥")
        ordering = ["organisation", "-created_at"]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.key_id}"


class SeenNonce(models.Model):
    """A nonce already used by a key inside the accepted time window: a second use is a replay."""

    key_id = models.CharField(_("密钥标识"), max_length=16)
    nonce = models.CharField(_("随机串"), max_length=64)
    seen_at = models.DateTimeField(_("使用时间"), db_index=True)

    class Meta:
        verbose_name = _("已用随机串")
        verbose_name_plural = _("已用随机串")
        constraints = [models.UniqueConstraint(fields=["key_id", "nonce"], name="uniq_exchange_nonce")]

    def __str__(self) -> str:
        return f"{self.key_id}:{self.nonce}"


class InternalUse(models.TextChoices):
    IDENTITY = "identity", _("统一身份认证（实名核验、企业核验）")


class InternalConsumer(models.Model):
    """The organisation in whose name the platform itself reads shared data (e.g. identity checks)."""

    use = models.CharField(_("用途"), max_length=16, choices=InternalUse.choices, unique=True)
    organisation = models.ForeignKey(
        "core.Organisation", verbose_name=_("使用单位"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("平台内部使用单位")
        verbose_name_plural = _("平台内部使用单位")

    def __str__(self) -> str:
        return f"{self.get_use_display()} · {self.organisation}"


class CallResult(models.TextChoices):
    OK = "ok", _("已提供数据")
    NOT_FOUND = "not_found", _("无此记录")
    DENIED = "denied", _("未授权，拒绝")
    RATE_LIMITED = "rate_limited", _("超出调用频率，拒绝")
    ERROR = "error", _("数据源故障")


class CallLog(models.Model):
    """One gateway call (the searchable copy; the tamper-evident record is the audit row whose id is `audit_seq`)."""

    occurred_at = models.DateTimeField(_("时间"))
    consumer = models.ForeignKey(
        "core.Organisation", verbose_name=_("使用单位"), on_delete=models.PROTECT, related_name="+"
    )
    provider = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("提供单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resource = models.ForeignKey(
        Resource, verbose_name=_("资源"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resource_code = models.CharField(_("资源代码"), max_length=40)
    key_id = models.CharField(_("密钥标识"), max_length=16, blank=True, help_text=_("平台内部调用为空。"))
    purpose = models.CharField(_("用途"), max_length=300)
    case_id = models.PositiveBigIntegerField(_("办件内部编号"), null=True, blank=True)
    case_number = models.CharField(_("办件编号"), max_length=50, blank=True)
    subject_index = models.CharField(_("数据主体索引"), max_length=64, blank=True)
    subject_masked = models.CharField(_("数据主体（脱敏）"), max_length=32, blank=True)
    fields = models.JSONField(_("信息项"), default=list)
    result = models.CharField(_("结果"), max_length=16, choices=CallResult.choices)
    reason = models.CharField(_("说明"), max_length=300, blank=True)
    response_digest = models.CharField(_("返回数据 SM3 摘要"), max_length=64, blank=True)
    audit_seq = models.PositiveBigIntegerField(_("审计日志编号"))

    class Meta:
        verbose_name = _("交换调用记录")
        verbose_name_plural = _("交换调用记录")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["subject_index", "-occurred_at"], name="exchange_call_subject"),
            models.Index(fields=["consumer", "-occurred_at"], name="exchange_call_consumer"),
            models.Index(fields=["provider", "-occurred_at"], name="exchange_call_provider"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.resource_code} {self.result}"


class PrefillOutcome(models.TextChoices):
    OBTAINED = "obtained", _("已共享获取，无需提交")
    FAILED = "failed", _("未能获取，请提交")


class PrefilledMaterial(models.Model):
    """A case material the exchange tried to obtain for the applicant, and what it got (a trust-level-A
    document: issued by a government body and used directly, 108号)."""

    case_id = models.PositiveBigIntegerField(_("办件内部编号"), db_index=True)
    case_material_id = models.PositiveBigIntegerField(_("办件材料内部编号"), unique=True)
    implementation_id = models.PositiveBigIntegerField(_("事项内部编号"), db_index=True)
    catalog_material_id = models.PositiveBigIntegerField(_("目录材料内部编号"), null=True, blank=True)
    material_name = models.CharField(_("材料名称"), max_length=200)
    resource = models.ForeignKey(
        Resource, verbose_name=_("资源"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    provider_name = models.CharField(_("提供单位"), max_length=128, blank=True)
    outcome = models.CharField(_("结果"), max_length=16, choices=PrefillOutcome.choices)
    reason = models.CharField(_("未能获取的原因"), max_length=300, blank=True)
    trust_level = models.CharField(_("可信等级"), max_length=1, default="A")
    document = models.JSONField(_("获取的数据"), default=dict, blank=True)
    document_sm3 = models.CharField(_("数据 SM3 摘要"), max_length=64, blank=True)
    call = models.ForeignKey(
        CallLog, verbose_name=_("调用记录"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("免提交材料")
        verbose_name_plural = _("免提交材料")
        ordering = ["case_id", "id"]
        indexes = [models.Index(fields=["implementation_id", "outcome"], name="exchange_prefill_item")]

    def __str__(self) -> str:
        return f"{self.material_name} · {self.get_outcome_display()}"
