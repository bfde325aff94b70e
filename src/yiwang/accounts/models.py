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
