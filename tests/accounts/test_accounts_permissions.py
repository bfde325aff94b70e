"""The central permission rule: organisation and region-subtree scope, for one object and for lists."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.identity_factories import make_person, make_staff
from catalog.factories import make_implementation, make_organisation, make_region
from yiwang.accounts import permissions
from yiwang.accounts.models import Role
from yiwang.catalog import permissions as catalog_permissions
from yiwang.catalog.models import Implementation

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, object]:
    city = make_region("330100")
    district = make_region("330106")
    other_city = make_region("330200", name="宁波市")
    city_org = make_organisation(city)
    district_org = make_organisation(district)
    other_org = make_organisation(other_city)
    return {"city_org": city_org, "district_org": district_org, "other_org": other_org}


def test_membership_covers_its_own_organisation_only(world: dict) -> None:
    clerk = make_staff(world["city_org"], Role.REVIEWER)
    assert permissions.has_role(clerk, Role.REVIEWER, world["city_org"])
    assert not permissions.has_role(clerk, Role.APPROVER, world["city_org"])
    assert not permissions.has_role(clerk, Role.REVIEWER, world["district_org"])
    assert not permissions.has_role(clerk, Role.REVIEWER, world["other_org"])


def test_subtree_membership_covers_lower_regions_but_not_other_cities(world: dict) -> None:
    supervisor = make_staff(world["city_org"], Role.SUPERVISOR, subtree=True)
    assert permissions.has_role(supervisor, Role.SUPERVISOR, world["district_org"])
    assert not permissions.has_role(supervisor, Role.SUPERVISOR, world["other_org"])


def test_anonymous_people_and_inactive_staff_have_no_role(world: dict) -> None:
    assert not permissions.has_role(AnonymousUser(), Role.ADMIN, world["city_org"])
    assert not permissions.has_role(make_person(), Role.ADMIN, world["city_org"])
    staff = make_staff(world["city_org"], Role.ADMIN)
    staff.is_active = False
    staff.save()
    assert not permissions.has_role(staff, Role.ADMIN, world["city_org"])


def test_scope_q_filters_lists_the_same_way(world: dict) -> None:
    own = make_implementation(organisation=world["city_org"])
    lower = make_implementation(organisation=world["district_org"])
    foreign = make_implementation(organisation=world["other_org"])
    editor = make_staff(world["city_org"], Role.CATALOG_EDITOR)
    regional = make_staff(world["city_org"], Role.CATALOG_EDITOR, subtree=True)

    def visible(user: object) -> set[int]:
        q = permissions.scope_q(user, {Role.CATALOG_EDITOR})
        return set(Implementation.objects.filter(q).values_list("pk", flat=True))

    assert visible(editor) == {own.pk}
    assert visible(regional) == {own.pk, lower.pk}
    assert visible(make_person()) == set()
    assert visible(AnonymousUser()) == set()
    assert foreign.pk not in visible(regional)


def test_catalog_permissions_delegate_with_unchanged_signatures(world: dict) -> None:
    implementation = make_implementation(organisation=world["district_org"])
    editor = make_staff(world["district_org"], Role.CATALOG_EDITOR)
    reviewer_elsewhere = make_staff(world["other_org"], Role.CATALOG_REVIEWER, subtree=True)
    assert catalog_permissions.can(editor, "edit", implementation)
    assert not catalog_permissions.can(editor, "publish", implementation)
    assert not catalog_permissions.can(reviewer_elsewhere, "publish", implementation)
    assert catalog_permissions.can(None, "publish", implementation)
    q = catalog_permissions.organisation_scope_q(editor, catalog_permissions.EDIT_ROLES)
    assert list(Implementation.objects.filter(q)) == [implementation]
