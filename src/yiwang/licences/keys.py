"""Each issuing organisation's SM2 signing keys: generated here, private halves stored SM4-GCM encrypted
(accounts.fieldcrypto, authenticated with the key's fingerprint), rotatable. A retired key is never
deleted: licences it signed stay verifiable, and the public key stays published."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts import fieldcrypto, permissions
from yiwang.accounts.models import Role
from yiwang.core import audit, sm2
from yiwang.core.models import Organisation

from .errors import LicenceError, NotPermitted
from .models import SigningKey

KEY_ADMIN_ROLES = (Role.ADMIN,)


def _context(fingerprint: str) -> str:
    return f"licences.sm2_private:{fingerprint}"


def private_key_of(key: SigningKey) -> str:
    return fieldcrypto.decrypt(key.private_ciphertext, context=_context(key.fingerprint))


def active_key(organisation: Organisation | int) -> SigningKey | None:
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    return SigningKey.objects.filter(organisation_id=org_id, retired_at__isnull=True).first()


def _require_admin(actor: Any, organisation: Organisation) -> None:
    if (
        actor is None
    ):  # the system itself (demo loader, first issuance) may create an organisation's first key
        return
    if not permissions.has_role(actor, KEY_ADMIN_ROLES, organisation):
        raise NotPermitted(_("您无权管理“%(o)s”的签名密钥。") % {"o": organisation.name})


def _create(organisation: Organisation, reason: str) -> SigningKey:
    pair = sm2.generate_keypair()
    key = SigningKey.objects.create(
        organisation=organisation,
        public_hex=pair.public_hex,
        fingerprint=pair.fingerprint,
        private_ciphertext=fieldcrypto.encrypt(pair.private_hex, context=_context(pair.fingerprint)),
        created_at=timezone.now(),
    )
    return key


@transaction.atomic
def ensure_key(organisation: Organisation, *, actor: Any = None) -> SigningKey:
    """The organisation's active key, generated on first use."""
    key = active_key(organisation)
    if key is not None:  # the usual case: no lock at all
        return key
    # One generator at a time. NO KEY UPDATE, not UPDATE: the foreign-key checks of every case, licence and
    # membership row inserted for this organisation meanwhile take KEY SHARE, which only FOR UPDATE blocks.
    Organisation.objects.select_for_update(no_key=True).get(pk=organisation.pk)
    key = active_key(organisation)
    if key is not None:
        return key
    _require_admin(actor, organisation)
    key = _create(organisation, "")
    audit.record(
        actor=actor,
        action="licences.key.generate",
        object_type="licences.signingkey",
        object_id=key.pk,
        after={"organisation": organisation.uscc, "fingerprint": key.fingerprint},
        summary=f"{organisation.name} 生成 SM2 签名密钥 {key.fingerprint}",
    )
    return key


@transaction.atomic
def rotate(organisation: Organisation, *, actor: Any, reason: str) -> SigningKey:
    """Retire the active key and generate a new one; old signatures remain verifiable."""
    if actor is not None:
        _require_admin(actor, organisation)
    if not reason.strip():
        raise LicenceError(_("更换签名密钥须说明原因（如定期轮换、私钥疑似泄露）。"))
    Organisation.objects.select_for_update(no_key=True).get(pk=organisation.pk)
    old = active_key(organisation)
    now = timezone.now()
    if old is not None:
        SigningKey.objects.filter(pk=old.pk, retired_at__isnull=True).update(
            retired_at=now, retire_reason=reason.strip()[:200]
        )
    try:
        key = _create(organisation, reason)
    except IntegrityError:
        raise LicenceError(_("签名密钥刚刚已被他人更换，请刷新后查看。")) from None
    audit.record(
        actor=actor,
        action="licences.key.rotate",
        object_type="licences.signingkey",
        object_id=key.pk,
        before={"fingerprint": old.fingerprint} if old else None,
        after={"organisation": organisation.uscc, "fingerprint": key.fingerprint},
        summary=f"{organisation.name} 更换 SM2 签名密钥 → {key.fingerprint}",
        data={"reason": reason.strip()[:200]},
    )
    return key
