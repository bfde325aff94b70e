"""A case approved for an item whose result is a licence issues it (case.approved, after commit); the
catch-up job covers a missed event; the holder can share it with a department for one case."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.identity_factories import make_enterprise
from cases.case_factories import Office, applicant, filed_case, form_for, publish, upload_required
from licences.licence_factories import approve_case, make_type
from yiwang.accounts import services as account_services
from yiwang.cases import services as case_services
from yiwang.core.models import AuditEntry
from yiwang.licences import selectors, services, verification
from yiwang.licences.errors import LicenceError, NotPermitted
from yiwang.licences.models import HolderKind, Licence

pytestmark = pytest.mark.django_db


def test_approving_a_case_issues_its_licence(django_capture_on_commit_callbacks: Any) -> None:
    office = Office()
    licence_type = make_type(office.organisation)
    implementation = publish(office.organisation)
    person = applicant()
    case = filed_case(implementation, person)
    with django_capture_on_commit_callbacks(execute=True):
        case = approve_case(case, office)
    licence = Licence.objects.get(case=case)
    assert licence.licence_type == licence_type and licence.issuer == office.organisation
    assert licence.holder_kind == HolderKind.PERSON and licence.holder_name == person.display_name
    assert licence.data == {
        "address": case.form_data["address"],
        "application_matter": case.form_data["application_matter"],
    }
    assert licence.events.get().reason == f"依办件 {case.number} 签发"
    assert verification.by_identifier(licence.identifier).valid
    # the holder sees it in the wallet; the contract selectors find it by the resident ID in clear
    assert list(selectors.wallet(person)) == [licence]
    resident_id = account_services.resident_id_of(person)
    assert list(selectors.valid_licences_of(resident_id)) == [licence]
    assert list(selectors.valid_licences_of(resident_id, licence_type.code)) == [licence]
    assert not selectors.valid_licences_of(resident_id, licence_type.code[:-1] + "9").exists()
    assert selectors.licence_by_identifier(licence.identifier.lower()) == licence
    assert selectors.licence_payload(licence) == licence.data
    assert selectors.trust_level(licence) == "A"
    # the ID number is never stored in clear
    assert resident_id not in licence.holder_id_ciphertext and resident_id != licence.holder_id_masked
    # a second delivery of the event does not issue twice
    assert services.issue_for_case(case.pk) == licence
    assert Licence.objects.filter(case=case).count() == 1


def test_enterprise_case_issues_to_the_enterprise(django_capture_on_commit_callbacks: Any) -> None:
    office = Office()
    make_type(office.organisation, holder_kind=HolderKind.ENTERPRISE)
    implementation = publish(office.organisation)
    enterprise = make_enterprise()
    representative = enterprise.representative
    case = case_services.create_draft(
        implementation,
        applicant=representative,
        enterprise=enterprise,
        form_data=form_for(representative, enterprise_name=enterprise.name, enterprise_uscc=enterprise.uscc),
    )
    upload_required(case, representative)
    case = case_services.submit(case, actor=representative)
    with django_capture_on_commit_callbacks(execute=True):
        approve_case(case, office)
    licence = Licence.objects.get(case=case)
    assert licence.holder_kind == HolderKind.ENTERPRISE and licence.holder_name == enterprise.name
    assert licence.holder_id_masked == enterprise.uscc  # a USCC is public
    assert list(selectors.valid_licences_of(enterprise.uscc)) == [licence]
    assert licence in selectors.wallet(representative)


def test_no_licence_when_no_type_matches_and_catch_up_after_a_missed_event() -> None:
    office = Office()
    implementation = publish(office.organisation)
    case = approve_case(filed_case(implementation, applicant()), office)  # callbacks not run: event "lost"
    assert not Licence.objects.filter(case=case).exists()
    assert services.issue_missing() == 0  # no type maps the result yet
    make_type(office.organisation)
    assert services.issue_missing() == 1
    assert Licence.objects.filter(case=case).exists()
    assert services.issue_missing() == 0


def test_a_case_whose_data_misses_a_required_field_is_logged_not_issued() -> None:
    office = Office()
    make_type(office.organisation, fields=[{"name": "capital", "label": "注册资本", "required": True}])
    case = approve_case(filed_case(publish(office.organisation), applicant()), office)
    assert services.issue_for_case(case.pk) is None
    assert AuditEntry.objects.filter(action="licences.issue_failed", object_id=str(case.pk)).exists()


def test_holder_grants_a_department_one_case(django_capture_on_commit_callbacks: Any) -> None:
    office = Office()
    make_type(office.organisation)
    person = applicant()
    with django_capture_on_commit_callbacks(execute=True):
        approved = approve_case(filed_case(publish(office.organisation), person), office)
    licence = Licence.objects.get(case=approved)
    other_office = Office()
    new_case = filed_case(publish(other_office.organisation), person)
    assert not selectors.may_read(licence, other_office.organisation.pk, new_case.pk)
    assert not services.record_read(
        licence, organisation_id=other_office.organisation.pk, case_id=new_case.pk
    )

    grant = services.grant_use(licence, actor=person, case=new_case)
    assert grant.organisation == other_office.organisation
    assert selectors.may_read(licence, other_office.organisation.pk, new_case.pk)
    assert not selectors.may_read(licence, office.organisation.pk, new_case.pk)  # another department
    assert not selectors.may_read(licence, other_office.organisation.pk, approved.pk)  # another case
    assert services.record_read(licence, organisation_id=other_office.organisation.pk, case_id=new_case.pk)
    grant.refresh_from_db()
    assert grant.read_count == 1
    assert services.grant_use(licence, actor=person, case=new_case) == grant  # idempotent

    stranger_case = filed_case(publish(other_office.organisation), applicant())
    with pytest.raises(NotPermitted, match="本人"):
        services.grant_use(licence, actor=person, case=stranger_case)
    services.revoke_grant(grant, actor=person)
    assert not selectors.may_read(licence, other_office.organisation.pk, new_case.pk)

    services.change_status(licence, "suspend", actor=office.approver, reason="暂扣")
    with pytest.raises(LicenceError, match="不能授权"):
        services.grant_use(licence, actor=person, case=new_case)
