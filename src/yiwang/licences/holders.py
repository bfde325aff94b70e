"""Licence holders: a resident ID (自然人) or a USCC (法人). IDs are never stored or shown in clear.

The blind index of a resident ID is the one accounts uses (accounts.registries.resident_id_index), so a
person's wallet joins on PersonIdentity.resident_id_index; USCCs get their own index context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from yiwang.accounts import fieldcrypto, registries
from yiwang.core.validators import check_uscc, mask_resident_id, validate_resident_id

from .models import HolderKind

USCC_CONTEXT = "licence_holder_uscc"
CIPHER_CONTEXT = "licence_holder_id"


@dataclass(frozen=True)
class Holder:
    kind: str
    identifier: str  # in clear: only in memory
    name: str

    @property
    def index(self) -> str:
        return holder_index(self.kind, self.identifier)

    @property
    def masked(self) -> str:
        return mask_identifier(self.kind, self.identifier)

    def ciphertext(self) -> str:
        return fieldcrypto.encrypt(self.identifier, context=CIPHER_CONTEXT)


def _clean(value: str) -> str:
    return re.sub(r"\s", "", value or "").upper()


def holder_index(kind: str, identifier: str) -> str:
    if kind == HolderKind.PERSON:
        return registries.resident_id_index(identifier)
    return fieldcrypto.blind_index(_clean(identifier), context=USCC_CONTEXT)


def mask_identifier(kind: str, identifier: str) -> str:
    """Resident IDs are masked (110***********002X); an organisation's USCC is public and shown whole."""
    return mask_resident_id(identifier) if kind == HolderKind.PERSON else _clean(identifier)


def candidate_indexes(identifier: str) -> list[str]:
    """Blind indexes an identifier in clear could have: as a resident ID and as a USCC (never both valid
    in practice, but the caller need not say which it is)."""
    value = _clean(identifier)
    return [holder_index(HolderKind.PERSON, value), holder_index(HolderKind.ENTERPRISE, value)]


def make_holder(kind: str, identifier: str, name: str) -> Holder:
    """A checked holder; raises ValidationError with a message in Chinese."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("请填写持证主体名称（姓名或单位名称）。"))
    if kind == HolderKind.PERSON:
        return Holder(kind, validate_resident_id(identifier), name)
    if kind == HolderKind.ENTERPRISE:
        return Holder(kind, check_uscc(identifier).code, name)
    raise ValidationError(_("持证主体类型应为自然人或法人。"))


def reveal(licence_ciphertext: str) -> str:
    """The holder's ID in clear: only for the holder's own view and the data-sharing gateway."""
    return fieldcrypto.decrypt(licence_ciphertext, context=CIPHER_CONTEXT)
