"""Electronic licences (电子证照): types, issued licences with their version chain, the issuing
organisations' SM2 keys, lifecycle history, per-use authorisations and the registry of rendered files.

The status column is changed only by `licences.services` through `licences.transitions`. A licence's
signed content (`signed_content`, canonical JSON) is frozen at issuance: a renewal or change issues the
next version (`previous`) instead of editing it. Holder IDs are stored SM4-encrypted beside an HMAC-SM3
blind index (the same index accounts uses for resident IDs, so a person's wallet is one indexed lookup)
and a masked form for display.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class HolderKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ENTERPRISE = "enterprise", _("法人或其他组织")


class LicenceTemplate(models.TextChoices):
    CERTIFICATE = "certificate", _("证书（横版）")
    PERMIT = "permit", _("许可证（竖版）")


class LicenceType(models.Model):
    """证照类型: defined once by a body (its USCC + 3 digits is the type code), issued by listed bodies."""

    code = models.CharField(_("证照类型代码"), max_length=21, unique=True)
    name = models.CharField(_("证照名称"), max_length=100)
    defining_organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("定义机构"),
        on_delete=models.PROTECT,
        related_name="defined_licence_types",
    )
    issuers = models.ManyToManyField(
        "core.Organisation", verbose_name=_("颁发机构"), blank=True, related_name="issued_licence_types"
    )
    holder_kind = models.CharField(_("持证主体类型"), max_length=16, choices=HolderKind.choices)
    fields = models.JSONField(
        _("照面信息项"),
        default=list,
        help_text=_('[{"name": "英文字段名", "label": "中文名称", "required": true, "public": false}]'),
    )
    validity_months = models.PositiveIntegerField(
        _("有效期（月）"), null=True, blank=True, help_text=_("为空表示长期有效。")
    )
    template = models.CharField(
        _("版式"), max_length=16, choices=LicenceTemplate.choices, default=LicenceTemplate.CERTIFICATE
    )
    result_names = models.JSONField(
        _("对应的办理结果名称"),
        default=list,
        blank=True,
        help_text=_("办事指南“结果名称”等于其中之一且审批结果类型为证照时，准予后自动签发本类证照。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("证照类型")
        verbose_name_plural = _("证照类型")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def field_labels(self) -> dict[str, str]:
        return {f["name"]: f.get("label", f["name"]) for f in self.fields}


class SigningKey(models.Model):
    """An organisation's SM2 key. One active key per organisation; retired keys stay to verify old
    signatures. The private key is stored SM4-GCM encrypted (accounts.fieldcrypto)."""

    organisation = models.ForeignKey(
        "core.Organisation", verbose_name=_("机构"), on_delete=models.PROTECT, related_name="signing_keys"
    )
    public_hex = models.CharField(_("SM2 公钥"), max_length=128)
    fingerprint = models.CharField(_("公钥指纹"), max_length=16, unique=True)
    private_ciphertext = models.TextField(_("SM2 私钥（密文）"))
    created_at = models.DateTimeField(_("生成时间"))
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    retire_reason = models.CharField(_("停用原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("签名密钥")
        verbose_name_plural = _("签名密钥")
        ordering = ["organisation_id", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"], condition=Q(retired_at__isnull=True), name="one_active_signing_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.fingerprint}"


class LicenceStatus(models.TextChoices):
    VALID = "valid", _("有效")
    SUSPENDED = "suspended", _("暂扣")
    REVOKED = "revoked", _("撤销")
    CANCELLED = "cancelled", _("注销")
    EXPIRED = "expired", _("已过期")
    SUPERSEDED = "superseded", _("已换发新版本")


class Licence(models.Model):
    identifier = models.CharField(_("证照标识"), max_length=100, unique=True)
    licence_type = models.ForeignKey(
        LicenceType, verbose_name=_("证照类型"), on_delete=models.PROTECT, related_name="licences"
    )
    issuer = models.ForeignKey(
        "core.Organisation", verbose_name=_("颁发机构"), on_delete=models.PROTECT, related_name="licences"
    )
    serial = models.CharField(_("流水号"), max_length=20)
    version = models.PositiveSmallIntegerField(_("版本号"))
    previous = models.OneToOneField(
        "self",
        verbose_name=_("关联证照（上一版本）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="successor",
    )

    holder_kind = models.CharField(_("持证主体类型"), max_length=16, choices=HolderKind.choices)
    holder_name = models.CharField(_("持证主体名称"), max_length=128)
    holder_id_ciphertext = models.TextField(_("持证主体证件号码（密文）"))
    holder_id_index = models.CharField(_("持证主体证件号码索引"), max_length=64, db_index=True)
    holder_id_masked = models.CharField(_("持证主体证件号码（脱敏）"), max_length=18)

    data = models.JSONField(_("照面信息"), default=dict)
    public_fields = models.JSONField(
        _("公开核验可见的信息项"), default=list, blank=True, help_text=_("由持证人决定。")
    )
    valid_from = models.DateField(_("有效期起始日期"))
    valid_until = models.DateField(_("有效期截止日期"), null=True, blank=True)
    issued_at = models.DateTimeField(_("签发时间"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签发人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("来源办件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licence",
    )

    salt = models.CharField(_("承诺盐值"), max_length=32, editable=False)
    signed_content = models.TextField(_("签名原文"), editable=False)
    signature = models.CharField(_("SM2 签名"), max_length=128, editable=False)
    signing_key = models.ForeignKey(
        SigningKey, verbose_name=_("签名密钥"), on_delete=models.PROTECT, related_name="licences"
    )

    status = models.CharField(
        _("状态"), max_length=16, choices=LicenceStatus.choices, default=LicenceStatus.VALID, editable=False
    )
    status_reason = models.CharField(_("状态变更原因"), max_length=300, blank=True, editable=False)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True, editable=False)
    lifecycle_version = models.PositiveIntegerField(_("状态修改次数"), default=0, editable=False)

    class Meta:
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["licence_type", "issuer", "serial", "version"], name="uniq_licence_version"
            )
        ]
        indexes = [
            models.Index(fields=["holder_id_index", "status"], name="licence_holder_status"),
            # The expiry job scans valid and suspended licences by the day they run out.
            models.Index(
                fields=["valid_until"],
                name="licence_expiry",
                condition=Q(status__in=["valid", "suspended"]) & Q(valid_until__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.licence_type.name} {self.identifier}"


class LicenceEvent(models.Model):
    """Append-only history of a licence: issue, suspend, reinstate, revoke, cancel, expire, supersede."""

    licence = models.ForeignKey(
        Licence, verbose_name=_("证照"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("操作"), max_length=16)
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16)
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人说明"), max_length=64, blank=True)
    occurred_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("证照记录")
        verbose_name_plural = _("证照记录")
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.from_status}→{self.to_status}"

    def get_action_label(self) -> str:
        from .transitions import label

        return label(self.action)


class UseGrant(models.Model):
    """用证授权: the holder lets one department read one licence for one case, until it ends or is revoked."""

    licence = models.ForeignKey(
        Licence, verbose_name=_("证照"), on_delete=models.CASCADE, related_name="grants"
    )
    organisation = models.ForeignKey(
        "core.Organisation", verbose_name=_("被授权部门"), on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("办件"), on_delete=models.CASCADE, related_name="licence_grants"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("授权人"), on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(_("授权时间"))
    valid_until = models.DateTimeField(_("授权有效期至"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    read_count = models.PositiveIntegerField(_("调用次数"), default=0)
    last_read_at = models.DateTimeField(_("最近调用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("用证授权")
        verbose_name_plural = _("用证授权")
        ordering = ["-granted_at"]
        indexes = [models.Index(fields=["licence", "organisation", "case"], name="licence_grant_lookup")]

    def __str__(self) -> str:
        return f"{self.licence.identifier} → {self.organisation}"


class LicenceFile(models.Model):
    """A rendered file (PDF) of a licence: its SM3 digest, signed by the issuer, so an uploaded copy is
    recognised byte for byte and any edit is detected."""

    licence = models.ForeignKey(
        Licence, verbose_name=_("证照"), on_delete=models.CASCADE, related_name="files"
    )
    sm3 = models.CharField(_("SM3 摘要"), max_length=64, unique=True)
    signature = models.CharField(_("SM2 签名"), max_length=128)
    signing_key = models.ForeignKey(
        SigningKey, verbose_name=_("签名密钥"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("证照文件")
        verbose_name_plural = _("证照文件")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.sm3


class SerialCounter(models.Model):
    """The last serial number (流水号) issued for one licence type by one issuer in one year."""

    licence_type = models.ForeignKey(
        LicenceType, verbose_name=_("证照类型"), on_delete=models.CASCADE, related_name="+"
    )
    issuer = models.ForeignKey(
        "core.Organisation", verbose_name=_("颁发机构"), on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年份"))
    last = models.PositiveIntegerField(_("已用序号"), default=0)

    class Meta:
        verbose_name = _("流水号计数器")
        verbose_name_plural = _("流水号计数器")
        constraints = [
            models.UniqueConstraint(
                fields=["licence_type", "issuer", "year"], name="uniq_licence_serial_counter"
            )
        ]

    def __str__(self) -> str:
        return f"{self.licence_type_id}/{self.issuer_id}/{self.year}: {self.last}"
