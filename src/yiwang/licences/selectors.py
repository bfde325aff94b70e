"""Reads of the licences app, for pages, the API and other apps (the exchange gateway uses the first
four; their signatures are a contract — see docs/apps/licences.md).

- valid_licences_of(holder_identifier, type_code=None): the holder's licences that are valid today;
  the holder is a resident ID or a USCC in clear, matched through its blind index (never stored in clear).
- licence_by_identifier(identifier): one licence by its GB/T 36904 identifier, or None.
- licence_payload(licence): the licence's data fields (照面信息) as a dict.
- trust_level(licence): "A" for a licence whose issuer signature verifies, None otherwise.
- may_read(licence, organisation_id, case_id): whether the holder authorised that department for that case.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from yiwang.accounts import permissions
from yiwang.accounts.models import PersonIdentity

from . import content, holders, identifiers
from .models import Licence, LicenceStatus, UseGrant
from .trust import TrustLevel


def _with_related(qs: QuerySet[Licence]) -> QuerySet[Licence]:
    return qs.select_related("licence_type", "issuer", "signing_key")


def in_force_q(today: dt.date | None = None) -> Q:
    today = today or timezone.localdate()
    return (
        Q(status=LicenceStatus.VALID)
        & Q(valid_from__lte=today)
        & (Q(valid_until__isnull=True) | Q(valid_until__gte=today))
    )


def valid_licences_of(holder_identifier: str, type_code: str | None = None) -> QuerySet[Licence]:
    """Licences in force today held by this resident ID or USCC (given in clear), newest first."""
    qs = Licence.objects.filter(
        in_force_q(), holder_id_index__in=holders.candidate_indexes(holder_identifier)
    )
    if type_code:
        qs = qs.filter(licence_type__code=type_code.strip().upper())
    return _with_related(qs).order_by("-issued_at")


def licence_by_identifier(identifier: str) -> Licence | None:
    """The licence with this identifier (spaces and case forgiven), or None when unknown or malformed."""
    value = identifiers.normalise(identifier)
    if not identifiers.is_valid(value):
        return None
    found = list(_with_related(Licence.objects.filter(identifier=value)).order_by()[:1])
    return found[0] if found else None


def licence_payload(licence: Licence) -> dict[str, Any]:
    """The licence's data fields (照面信息), by field name; the same values the signature commits to."""
    return dict(licence.data)


def licence_summary(licence: Licence) -> dict[str, Any]:
    """The header a caller shows beside the data: identifier, type, issuer, holder (masked), validity."""
    return {
        "identifier": licence.identifier,
        "type_code": licence.licence_type.code,
        "type_name": licence.licence_type.name,
        "issuer_code": licence.issuer.uscc,
        "issuer_name": licence.issuer.name,
        "holder_kind": licence.holder_kind,
        "holder_name": licence.holder_name,
        "holder_id_masked": licence.holder_id_masked,
        "valid_from": licence.valid_from.isoformat(),
        "valid_until": licence.valid_until.isoformat() if licence.valid_until else "",
        "version": licence.version,
        "status": licence.status,
    }


def signature_ok(licence: Licence) -> bool:
    """The stored signed content still matches the row, and the issuer's signature over it verifies."""
    try:
        signed = json_loads(licence.signed_content)
    except ValueError:
        return False
    if signed.get("id") != licence.identifier:
        return False
    expected = content.commitments(licence.salt, full_field_values(licence))
    if signed.get("fields") != expected:
        return False
    return content.check(licence.signing_key.public_hex, signed, licence.signature).signature_ok


def json_loads(text: str) -> dict[str, Any]:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("signed content is not an object")
    return value


def full_field_values(licence: Licence) -> dict[str, Any]:
    """Every committed value: holder name and ID plus the data fields."""
    return {
        content.HOLDER_NAME: licence.holder_name,
        content.HOLDER_ID: holders.reveal(licence.holder_id_ciphertext),
        **licence.data,
    }


def trust_level(licence: Licence) -> str | None:
    """A for a licence signed by its issuer (the signature verifies); None when it does not."""
    return TrustLevel.A.value if signature_ok(licence) else None


def may_read(licence: Licence, organisation_id: int, case_id: int) -> bool:
    """Whether the holder lets this department read this licence for this case, now."""
    return active_grants(licence).filter(organisation_id=organisation_id, case_id=case_id).exists()


def active_grants(licence: Licence) -> QuerySet[UseGrant]:
    return licence.grants.filter(revoked_at__isnull=True, valid_until__gt=timezone.now())


# --- the holder's wallet ---------------------------------------------------------------------------


def holder_indexes_for(user: Any) -> list[str]:
    """The blind indexes a signed-in user holds licences under: their resident ID and the USCCs of the
    enterprises they may act for."""
    if not getattr(user, "is_authenticated", False):
        return []
    indexes = list(PersonIdentity.objects.filter(user=user).values_list("resident_id_index", flat=True))
    for enterprise in permissions.enterprises_for(user):
        indexes.append(holders.holder_index("enterprise", enterprise.uscc))
    return indexes


def wallet(user: Any) -> QuerySet[Licence]:
    """我的证照: every licence held by the user or their enterprises, newest version first."""
    return _with_related(Licence.objects.filter(holder_id_index__in=holder_indexes_for(user))).order_by(
        "licence_type__name", "-issued_at"
    )


def wallet_licence(user: Any, identifier: str) -> Licence | None:
    value = identifiers.normalise(identifier)
    return wallet(user).filter(identifier=value).first()


def history(licence: Licence) -> list[Licence]:
    """The version chain, oldest first."""
    chain = [licence]
    node = licence
    while node.previous_id is not None:
        node = _with_related(Licence.objects.filter(pk=node.previous_id)).get()
        chain.insert(0, node)
    node = licence
    while (nxt := Licence.objects.filter(previous=node).first()) is not None:
        chain.append(nxt)
        node = nxt
    return chain
