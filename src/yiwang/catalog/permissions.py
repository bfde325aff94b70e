"""Who may do what to the catalogue: organisation-scoped, by staff role.

A staff member acts on an implementation when one of their memberships is in the implementation's
organisation, or (covers_region_subtree) in any organisation of a region whose subtree contains the
implementation's region. The identity issue generalises this into one permission module; the rule stays.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from yiwang.accounts.models import Membership, Role

EDIT_ROLES = frozenset({Role.CATALOG_EDITOR, Role.ADMIN})
REVIEW_ROLES = frozenset({Role.CATALOG_REVIEWER, Role.ADMIN})

ACTION_ROLES: dict[str, frozenset[str]] = {
    "edit": EDIT_ROLES,
    "submit": EDIT_ROLES,
    "new_version": EDIT_ROLES,
    "reject": REVIEW_ROLES,
    "publish": REVIEW_ROLES,
    "withdraw": REVIEW_ROLES,
}


def is_system(actor: Any) -> bool:
    """Imports, the demo loader and migrations act as the system (actor None)."""
    return actor is None


def _memberships(user: Any, roles: frozenset[str]) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user, role__in=roles).select_related("organisation__region")


def organisation_scope_q(user: Any, roles: frozenset[str], *, prefix: str = "") -> Q:
    """A filter selecting rows (by `{prefix}organisation` / `{prefix}region`) the user may act on."""
    if user is None or getattr(user, "is_superuser", False):
        return Q()
    scope = Q(pk__in=[])
    for membership in _memberships(user, roles):
        scope |= Q(**{f"{prefix}organisation_id": membership.organisation_id})
        if membership.covers_region_subtree:
            region = membership.organisation.region
            scope |= Q(**{f"{prefix}region__code__startswith": region.subtree_prefix})
    return scope


def can(user: Any, action: str, implementation: Any) -> bool:
    if is_system(user) or getattr(user, "is_superuser", False):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    roles = ACTION_ROLES[action]
    for membership in _memberships(user, roles):
        if membership.organisation_id == implementation.organisation_id:
            return True
        if membership.covers_region_subtree and implementation.region_id.startswith(
            membership.organisation.region.subtree_prefix
        ):
            return True
    return False
