"""The claims Yiwang releases to relying parties, by scope."""

from __future__ import annotations

from typing import Any

from yiwang.accounts import permissions
from yiwang.accounts.models import Enterprise, PersonIdentity, User

CLAIM_SCOPE = {
    "name": "profile",
    "preferred_username": "profile",
    "resident_id_masked": "identity",
    "real_name_level": "identity",
    "enterprise": "enterprise",
    "staff_roles": "staff",
}


def person_claims(user: User) -> dict[str, Any]:
    identity = PersonIdentity.objects.filter(user=user).first()
    return {
        "name": user.display_name or user.get_username(),
        "preferred_username": user.get_username(),
        "resident_id_masked": identity.resident_id_masked if identity else None,
        "real_name_level": identity.level if identity else 0,
    }


def enterprise_claim(user: User, enterprise_id: int | None) -> dict[str, Any] | None:
    """The enterprise context, re-checked now: a revoked or expired authorisation releases nothing."""
    if not enterprise_id:
        return None
    enterprise = Enterprise.objects.filter(pk=enterprise_id).first()
    if enterprise is None or not permissions.may_act_for(user, enterprise):
        return None
    codes = permissions.authorised_item_codes(user, enterprise)
    return {
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "role": "representative" if enterprise.representative_id == user.pk else "agent",
        "item_codes": "all" if codes is None else sorted(codes),
    }


def staff_roles(user: User) -> list[dict[str, Any]]:
    return [
        {
            "organisation": m.organisation.name,
            "organisation_uscc": m.organisation.uscc,
            "region": m.organisation.region_id,
            "role": m.role,
            "covers_region_subtree": m.covers_region_subtree,
        }
        for m in permissions.memberships(user)
    ]
