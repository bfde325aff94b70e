"""Accounts: the custom user model (from the very first migration) and staff memberships."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """Every account: citizens, enterprise agents and staff. Identity details grow with the identity issue."""

    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = models.CharField(_("手机号码"), max_length=20, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")  # type: ignore[assignment]
        verbose_name_plural = _("用户")  # type: ignore[assignment]
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.display_name or self.username


class Role(models.TextChoices):
    WINDOW = "window", _("窗口受理")
    REVIEWER = "reviewer", _("审查")
    APPROVER = "approver", _("审批/决定")
    SUPERVISOR = "supervisor", _("监督")
    ADMIN = "admin", _("管理")
    EVALUATOR = "evaluator", _("评估")
    CATALOG_EDITOR = "catalog_editor", _("事项编辑")
    CATALOG_REVIEWER = "catalog_reviewer", _("事项审核")


class Membership(models.Model):
    """A staff member's role in one organisation; scope covers that organisation (and, for region-wide
    roles, every organisation in the region subtree)."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        "core.Organisation", verbose_name=_("机构"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    covers_region_subtree = models.BooleanField(
        _("覆盖本区划及下级"),
        default=False,
        help_text=_("勾选后，权限延伸到本机构所在区划及其下级区划的所有机构。"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("岗位授权")
        verbose_name_plural = _("岗位授权")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="uniq_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} · {self.get_role_display()}"


# --- Identity (issue 4) ----------------------------------------------------------------------------


class RealNameLevel(models.IntegerChoices):
    """How sure the platform is of who a person is (实名等级)."""

    NONE = 0, _("未实名")
    L1 = 1, _("一级：已注册（手机号码验证、身份证号码格式校验）")
    L2 = 2, _("二级：姓名与身份证号码经人口库核验")
    L3 = 3, _("三级：窗口现场核验或更强认证")


class PersonIdentity(models.Model):
    """A natural person's identity details, one per user. The resident ID is stored only encrypted (SM4)
    beside a keyed SM3 blind index (exact lookup, uniqueness) and its masked form (display)."""

    user = models.OneToOneField(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="identity"
    )
    resident_id_ciphertext = models.TextField(_("身份证号码（密文）"))
    resident_id_index = models.CharField(_("身份证号码索引"), max_length=64, unique=True)
    resident_id_masked = models.CharField(_("身份证号码（脱敏）"), max_length=18)
    level = models.PositiveSmallIntegerField(
        _("实名等级"), choices=RealNameLevel.choices, default=RealNameLevel.L1
    )
    level_source = models.CharField(_("核验方式"), max_length=64, blank=True)
    level_verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("自然人身份")
        verbose_name_plural = _("自然人身份")

    def __str__(self) -> str:
        return f"{self.user} · {self.resident_id_masked}"


class OtpPurpose(models.TextChoices):
    REGISTER = "register", _("注册")
    LOGIN = "login", _("登录")
    RESET = "reset", _("重置密码")


class OneTimeCode(models.Model):
    """An SMS code, bound to a phone and a purpose; only its keyed hash is stored; usable once."""

    phone = models.CharField(_("手机号码"), max_length=20)
    purpose = models.CharField(_("用途"), max_length=16, choices=OtpPurpose.choices)
    code_hash = models.CharField(_("验证码摘要"), max_length=64)
    created_at = models.DateTimeField(_("发送时间"))
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    superseded = models.BooleanField(_("已被新验证码取代"), default=False)
    failed_attempts = models.PositiveSmallIntegerField(_("错误次数"), default=0)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        indexes = [models.Index(fields=["phone", "purpose", "created_at"])]

    def __str__(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]} · {self.get_purpose_display()}"


class UserSession(models.Model):
    """A signed-in browser session, so a person can see where they are signed in and end them all."""

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(_("会话标识"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("登录时间"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("最近活动"), auto_now_add=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=200, blank=True)
    method = models.CharField(_("登录方式"), max_length=32, blank=True)
    ended_at = models.DateTimeField(_("退出时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("登录会话")
        verbose_name_plural = _("登录会话")
        indexes = [models.Index(fields=["user", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%Y-%m-%d %H:%M}"


class TotpDevice(models.Model):
    """A staff member's authenticator app (TOTP, RFC 6238). The secret is stored SM4-encrypted."""

    user = models.OneToOneField(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="totp")
    secret_ciphertext = models.TextField(_("密钥（密文）"))
    confirmed_at = models.DateTimeField(_("启用时间"), null=True, blank=True)
    last_used_step = models.BigIntegerField(_("最近使用的时间步"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("动态口令设备")
        verbose_name_plural = _("动态口令设备")

    def __str__(self) -> str:
        return str(self.user)


class RegistryPerson(models.Model):
    """The built-in population registry (人口库) backend: demo records, never an always-yes stub."""

    name = models.CharField(_("姓名"), max_length=64)
    resident_id_ciphertext = models.TextField(_("身份证号码（密文）"))
    resident_id_index = models.CharField(_("身份证号码索引"), max_length=64, unique=True)
    is_deceased = models.BooleanField(_("已注销户籍"), default=False)

    class Meta:
        verbose_name = _("人口库记录")
        verbose_name_plural = _("人口库记录")

    def __str__(self) -> str:
        return self.name


class EntityStatus(models.TextChoices):
    ACTIVE = "active", _("存续")
    REVOKED = "revoked", _("吊销")
    CANCELLED = "cancelled", _("注销")


class RegistryEntity(models.Model):
    """The built-in legal-entity registry (法人库) backend."""

    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    representative_name = models.CharField(_("法定代表人"), max_length=64)
    representative_id_index = models.CharField(_("法定代表人身份证号码索引"), max_length=64)
    status = models.CharField(_("登记状态"), max_length=16, choices=EntityStatus.choices)
    region_code = models.CharField(_("登记机关区划"), max_length=6)

    class Meta:
        verbose_name = _("法人库记录")
        verbose_name_plural = _("法人库记录")

    def __str__(self) -> str:
        return f"{self.name}（{self.uscc}）"


class Enterprise(models.Model):
    """An enterprise (法人) on the platform, checked against the legal-entity registry."""

    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    representative = models.ForeignKey(
        User, verbose_name=_("法定代表人"), on_delete=models.PROTECT, related_name="represented_enterprises"
    )
    verified_at = models.DateTimeField(_("法人库核验时间"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("企业法人")
        verbose_name_plural = _("企业法人")

    def __str__(self) -> str:
        return self.name


class AgentAuthorisation(models.Model):
    """The representative lets an agent (经办人) act for the enterprise: for all items or chosen
    implementation codes, until an expiry; revocable."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="authorisations"
    )
    agent = models.ForeignKey(
        User, verbose_name=_("经办人"), on_delete=models.CASCADE, related_name="agent_authorisations"
    )
    all_items = models.BooleanField(_("全部事项"), default=False)
    item_codes = models.JSONField(_("授权事项实施编码"), default=list, blank=True)
    valid_until = models.DateTimeField(_("有效期至"))
    granted_by = models.ForeignKey(User, verbose_name=_("授权人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("授权时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("经办人授权")
        verbose_name_plural = _("经办人授权")
        indexes = [models.Index(fields=["agent", "revoked_at", "valid_until"])]

    def __str__(self) -> str:
        return f"{self.enterprise} → {self.agent}"
