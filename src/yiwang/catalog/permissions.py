"""Who may do what to the catalogue: organisation-scoped, by staff role.

A staff member acts on an implementation when one of their memberships is in the implementation's
organisation, or (covers_region_subtree) in any organisation of a region whose subtree contains the
implementation's region. The rule itself lives in yiwang.accounts.permissions; this module names the
catalogue's actions and roles.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from yiwang.accounts import permissions as central
from yiwang.accounts.models import Role

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


def organisation_scope_q(user: Any, roles: frozenset[str], *, prefix: str = "") -> Q:
    """A filter selecting rows (by `{prefix}organisation` / `{prefix}region`) the user may act on."""
    if user is None:
        return Q()
    return central.scope_q(user, roles, prefix)


def can(user: Any, action: str, implementation: Any) -> bool:
    if is_system(user):
        return True
    return central.has_role_at(
        user,
        ACTION_ROLES[action],
        organisation_id=implementation.organisation_id,
        region_code=implementation.region_id,
    )
