"""Which enterprise a token speaks for: the acting-as context at authorisation time travels with the
access token (and across refreshes), so relying parties see the enterprise claim."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TokenContext(models.Model):
    access_token = models.OneToOneField(
        "oauth2_provider.AccessToken",
        verbose_name=_("访问令牌"),
        on_delete=models.CASCADE,
        related_name="yiwang_context",
    )
    enterprise = models.ForeignKey(
        "accounts.Enterprise", verbose_name=_("代表企业"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("令牌办事身份")
        verbose_name_plural = _("令牌办事身份")

    def __str__(self) -> str:
        return f"{self.access_token_id} → {self.enterprise_id}"
