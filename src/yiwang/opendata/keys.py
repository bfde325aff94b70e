"""API keys for heavier open-data use: created by a signed-in person, shown once, stored as an SM3 digest,
sent as CKAN clients send them (the Authorization or X-CKAN-API-Key header)."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.crypto import sm3_hex
from yiwang.opendata.models import ApiKey

PREFIX = "ywod_"
MAX_ACTIVE_KEYS = 5


class InvalidKey(Exception):
    """A key that is unknown or revoked: refused rather than silently treated as anonymous."""


@transaction.atomic
def create_key(user: Any, *, label: str) -> tuple[ApiKey, str]:
    """A new key for `user`; returns the row and the key itself, which is never stored nor shown again."""
    label = label.strip()
    if not label:
        raise ValueError(_("请说明密钥的用途，例如“交通数据分析程序”。"))
    if (
        ApiKey.objects.select_for_update().filter(user=user, revoked_at__isnull=True).count()
        >= MAX_ACTIVE_KEYS
    ):
        raise ValueError(
            _("每人最多同时持有 %(n)d 个有效密钥，请先停用不用的密钥。") % {"n": MAX_ACTIVE_KEYS}
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(user=user, label=label[:100], prefix=secret[:8], digest=sm3_hex(secret))
    audit.record(actor=user, action="opendata.apikey.create", object_type="opendata.ApiKey", object_id=key.pk)
    return key, secret


@transaction.atomic
def revoke_key(user: Any, key_id: int) -> None:
    changed = ApiKey.objects.filter(pk=key_id, user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if changed:
        audit.record(
            actor=user, action="opendata.apikey.revoke", object_type="opendata.ApiKey", object_id=key_id
        )


def from_request(request: HttpRequest) -> ApiKey | None:
    raw = request.META.get("HTTP_X_CKAN_API_KEY") or request.META.get("HTTP_AUTHORIZATION") or ""
    raw = raw.strip()
    if raw.lower().startswith("bearer "):
        raw = raw[7:].strip()
    if not raw:
        return None
    if not raw.startswith(PREFIX):
        raise InvalidKey(_("接口密钥格式不正确。"))
    key = ApiKey.objects.select_related("user").filter(digest=sm3_hex(raw), revoked_at__isnull=True).first()
    if key is None or not key.user.is_active:
        raise InvalidKey(_("接口密钥无效或已停用。"))
    # One write per minute at most, so the API's hot path stays read-only.
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key
