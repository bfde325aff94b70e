"""Who may issue, change status, rotate keys and define types; holders' own actions."""

from __future__ import annotations

import pytest

from accounts.identity_factories import make_person, make_staff
from catalog.factories import make_organisation
from licences.licence_factories import approver, issue_to, make_type, person_holder
from yiwang.accounts.models import Role
from yiwang.licences import keys, services
from yiwang.licences.errors import LicenceError, NotPermitted
from yiwang.licences.models import HolderKind

pytestmark = pytest.mark.django_db


def test_only_an_approver_of_the_issuer_may_issue() -> None:
    licence_type = make_type()
    issuer = licence_type.issuers.get()
    person = make_person()
    data = {"address": "杭州市西湖区", "application_matter": "施工"}
    for actor in (
        make_staff(issuer, Role.WINDOW),
        make_staff(issuer, Role.REVIEWER),
        approver(make_organisation()),  # an approver elsewhere
        person,  # the holder themself
    ):
        with pytest.raises(NotPermitted, match="无权"):
            services.issue(licence_type, issuer=issuer, holder=person_holder(person), data=data, actor=actor)
    licence = services.issue(
        licence_type, issuer=issuer, holder=person_holder(person), data=data, actor=approver(issuer)
    )
    assert licence.issued_by is not None


def test_an_organisation_not_listed_as_issuer_cannot_issue_the_type() -> None:
    licence_type = make_type()
    other = make_organisation()
    with pytest.raises(LicenceError, match=r"不是.*颁发机构"):
        issue_to(licence_type=licence_type, issuer=other, actor=approver(other))


def test_only_officials_of_the_issuer_change_status() -> None:
    licence = issue_to()
    for actor in (make_staff(licence.issuer, Role.WINDOW), approver(make_organisation()), make_person()):
        with pytest.raises(NotPermitted):
            services.change_status(licence, "revoke", actor=actor, reason="违法")
    # a supervisor covering the region does not revoke licences either
    with pytest.raises(NotPermitted):
        services.change_status(
            licence, "revoke", actor=make_staff(licence.issuer, Role.SUPERVISOR, subtree=True), reason="违法"
        )
    services.change_status(licence, "revoke", actor=approver(licence.issuer), reason="违法")


def test_key_rotation_and_type_definition_need_an_administrator() -> None:
    organisation = make_organisation()
    with pytest.raises(NotPermitted):
        keys.rotate(organisation, actor=approver(organisation), reason="轮换")
    admin = make_staff(organisation, Role.ADMIN)
    assert keys.rotate(organisation, actor=admin, reason="轮换").organisation == organisation
    with pytest.raises(NotPermitted):
        services.define_type(
            actor=approver(organisation),
            defining_organisation=organisation,
            sequence=1,
            name="测试证",
            holder_kind=HolderKind.PERSON,
            fields=[],
        )
    defined = services.define_type(
        actor=admin,
        defining_organisation=organisation,
        sequence=1,
        name="测试证",
        holder_kind="person",
        fields=[],
    )
    assert defined.code == organisation.uscc + "001"


def test_only_the_holder_sets_disclosure_and_grants() -> None:
    holder = make_person()
    licence = issue_to(holder)
    with pytest.raises(NotPermitted):
        services.set_disclosure(licence, actor=make_person(), public_fields=["holder_name"])
    with pytest.raises(NotPermitted):
        services.set_disclosure(licence, actor=approver(licence.issuer), public_fields=["holder_name"])
    services.set_disclosure(licence, actor=holder, public_fields=["holder_name"])
