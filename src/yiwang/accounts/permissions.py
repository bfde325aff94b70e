"""The one place that decides who may act where.

Staff: a membership (user × organisation × role) covers its organisation, and with covers_region_subtree
every organisation whose region lies in the subtree of the membership organisation's region. Views, API
endpoints and querysets all ask here: `has_role` for one object, `scope_q` to filter lists and searches.

Enterprises: the legal representative acts for the enterprise on every item; an agent (经办人) only on
the items of an unexpired, unrevoked authorisation.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from yiwang.accounts.models import AgentAuthorisation, Enterprise, Membership

RoleSet = Iterable[str] | str


def _role_list(roles: RoleSet) -> list[str]:
    return [roles] if isinstance(roles, str) else list(roles)


def is_superuser(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False)) and bool(getattr(user, "is_active", False))


def memberships(user: Any, roles: RoleSet | None = None) -> QuerySet[Membership]:
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    qs = Membership.objects.filter(user=user, user__is_active=True).select_related("organisation__region")
    if roles is not None:
        qs = qs.filter(role__in=_role_list(roles))
    return qs


def is_staff_member(user: Any) -> bool:
    """Staff sign in with a second factor: anyone with admin access or any membership."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff or user.is_superuser) or memberships(user).exists()


def covers(membership: Membership, organisation_id: Any, region_code: str) -> bool:
    if membership.organisation_id == organisation_id:
        return True
    return membership.covers_region_subtree and (region_code or "").startswith(
        membership.organisation.region.subtree_prefix
    )


def has_role_at(user: Any, roles: RoleSet, *, organisation_id: Any, region_code: str) -> bool:
    """Whether `user` holds one of `roles` over an organisation (given by id and region code)."""
    if is_superuser(user):
        return True
    return any(covers(m, organisation_id, region_code) for m in memberships(user, roles))


def has_role(user: Any, role: RoleSet, organisation: Any) -> bool:
    """Whether `user` holds `role` (or one of several roles) over `organisation`."""
    return has_role_at(user, role, organisation_id=organisation.pk, region_code=organisation.region_id)


def scope_q(user: Any, roles: RoleSet, prefix: str = "") -> Q:
    """A filter selecting rows (by `{prefix}organisation` and `{prefix}region`) the user may act on.

    Anonymous users and users without a matching membership get a filter that selects nothing."""
    if is_superuser(user):
        return Q()
    scope = Q(pk__in=[])
    for membership in memberships(user, roles):
        scope |= Q(**{f"{prefix}organisation_id": membership.organisation_id})
        if membership.covers_region_subtree:
            region = membership.organisation.region
            scope |= Q(**{f"{prefix}region__code__startswith": region.subtree_prefix})
    return scope


def organisation_scope_q(user: Any, roles: RoleSet, prefix: str = "") -> Q:
    """Like scope_q, for querysets of Organisation itself (`{prefix}pk`, `{prefix}region`)."""
    if is_superuser(user):
        return Q()
    scope = Q(pk__in=[])
    for membership in memberships(user, roles):
        scope |= Q(**{f"{prefix}pk": membership.organisation_id})
        if membership.covers_region_subtree:
            scope |= Q(**{f"{prefix}region__code__startswith": membership.organisation.region.subtree_prefix})
    return scope


# --- Enterprises -------------------------------------------------------------------------------------


def active_authorisations(user: Any, enterprise: Enterprise | None = None) -> QuerySet[AgentAuthorisation]:
    if not getattr(user, "is_authenticated", False):
        return AgentAuthorisation.objects.none()
    qs = AgentAuthorisation.objects.filter(
        agent=user, revoked_at__isnull=True, valid_until__gt=timezone.now()
    ).select_related("enterprise")
    if enterprise is not None:
        qs = qs.filter(enterprise=enterprise)
    return qs


def enterprises_for(user: Any) -> QuerySet[Enterprise]:
    """Enterprises the user may act for: represented ones and those with an active authorisation."""
    if not getattr(user, "is_authenticated", False):
        return Enterprise.objects.none()
    agent_of = active_authorisations(user).values("enterprise_id")
    return Enterprise.objects.filter(Q(representative=user) | Q(pk__in=agent_of)).distinct().order_by("name")


def may_act_for(user: Any, enterprise: Enterprise, implementation_code: str | None = None) -> bool:
    """Whether `user` may act for `enterprise` (on one item when `implementation_code` is given)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if enterprise.representative_id == user.pk:
        return True
    for grant in active_authorisations(user, enterprise):
        if implementation_code is None or grant.all_items or implementation_code in grant.item_codes:
            return True
    return False


def authorised_item_codes(user: Any, enterprise: Enterprise) -> set[str] | None:
    """The implementation codes the user may handle for `enterprise`; None means every item."""
    if enterprise.representative_id == getattr(user, "pk", None):
        return None
    codes: set[str] = set()
    for grant in active_authorisations(user, enterprise):
        if grant.all_items:
            return None
        codes.update(grant.item_codes)
    return codes
