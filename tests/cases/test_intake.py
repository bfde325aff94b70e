"""Hall window intake: identity at the window, filing for the person, scans, receipt; then a normal case."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.identity_factories import make_person, make_phone, make_resident_id
from cases.case_factories import PDF_BYTES, PNG_BYTES, Office, form_for, publish
from yiwang.accounts import registries
from yiwang.accounts.models import PersonIdentity, RealNameLevel, User
from yiwang.cases import intake, services
from yiwang.cases.errors import NotPermitted
from yiwang.cases.formschema import FormInvalid
from yiwang.cases.models import CaseStatus, Channel
from yiwang.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_a_registered_person_is_checked_against_the_registry_and_raised_to_level_3() -> None:
    office = Office()
    person = make_person(level=RealNameLevel.L1)
    number = PersonIdentity.objects.get(user=person)
    from yiwang.accounts.services import resident_id_of

    found = intake.identify_person(
        actor=office.window, name=person.display_name, resident_id=resident_id_of(person)
    )
    assert found == person
    number.refresh_from_db()
    assert number.level == RealNameLevel.L3 and number.level_source == "in_person"


def test_a_mismatch_at_the_window_is_an_error_never_silent() -> None:
    office = Office()
    person = make_person()
    from yiwang.accounts.services import resident_id_of

    with pytest.raises(intake.IntakeError, match="姓名与人口库登记的姓名不一致"):
        intake.identify_person(actor=office.window, name="别人", resident_id=resident_id_of(person))
    assert AuditEntry.objects.filter(action="cases.window_identity_failed").count() == 1
    assert PersonIdentity.objects.get(user=person).level == RealNameLevel.L1
    with pytest.raises(intake.IntakeError, match="校验位"):
        intake.identify_person(actor=office.window, name="某人", resident_id="330106199003070010")
    with pytest.raises(intake.IntakeError, match="人口库中没有该身份证号码"):
        intake.identify_person(actor=office.window, name="某人", resident_id=make_resident_id())
    with pytest.raises(NotPermitted):
        intake.identify_person(
            actor=make_person(), name=person.display_name, resident_id=resident_id_of(person)
        )


def test_a_person_without_an_account_gets_one_opened_at_the_window() -> None:
    office = Office()
    number = make_resident_id()
    registries.add_registry_person("窗口新人", number)
    with pytest.raises(intake.IntakeError, match="手机号码"):
        intake.identify_person(actor=office.window, name="窗口新人", resident_id=number)
    phone = make_phone()
    person = intake.identify_person(actor=office.window, name="窗口新人", resident_id=number, phone=phone)
    assert person.username == phone and not person.has_usable_password()
    identity = PersonIdentity.objects.get(user=person)
    assert identity.level == RealNameLevel.L3 and identity.resident_id_masked.endswith(number[-4:])
    assert AuditEntry.objects.filter(action="accounts.window_registered", object_id=str(person.pk)).exists()
    # Identified again later: the same account, not a second one.
    again = intake.identify_person(actor=office.window, name="窗口新人", resident_id=number)
    assert again == person and User.objects.filter(phone=phone).count() == 1


def test_file_at_the_window_then_the_case_runs_like_an_online_one() -> None:
    office = Office()
    item = publish(office.organisation)
    person = make_person()
    with pytest.raises(FormInvalid):
        intake.open_case(item, actor=office.window, person=person, form_data={"applicant_name": "x"})
    with pytest.raises(NotPermitted):
        intake.open_case(item, actor=Office().window, person=person, form_data=form_for(person))
    case = intake.open_case(item, actor=office.window, person=person, form_data=form_for(person))
    assert case.channel == Channel.WINDOW and case.applicant == person and case.status == CaseStatus.DRAFT
    for material in case.materials.filter(necessity="required", status="missing"):
        intake.scan_material(
            case, material, actor=office.window, name="scan.png", content_type="image/png", data=PNG_BYTES
        )
    case = intake.file_at_window(case, actor=office.window)
    assert case.status == CaseStatus.SUBMITTED and case.number
    submit_event = case.events.get(action="submit")
    assert submit_event.actor == office.window
    notice = intake.receipt(case)
    text = "\n".join(notice.lines)
    assert case.number in text and PersonIdentity.objects.get(user=person).resident_id_masked in text
    assert "scan.png" in text and case.acceptance_due.strftime("%Y年%m月%d日") in text  # type: ignore[union-attr]
    assert intake.receipt_pdf(case).startswith(b"%PDF")
    services.accept(case, actor=office.window)
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED


def test_window_intake_pages(client: Client, settings: Any) -> None:
    office = Office()
    item = publish(office.organisation)
    person = make_person(level=RealNameLevel.L1)
    from yiwang.accounts.services import resident_id_of

    client.force_login(office.window)
    assert client.get("/workbench/intake/application/")["Location"] == "/workbench/intake/"
    refused = client.post("/workbench/intake/", {"name": "冒名者", "resident_id": resident_id_of(person)})
    assert refused.status_code == 400 and "身份核验未通过" in refused.content.decode()
    assert 'value="冒名者"' in refused.content.decode()
    done = client.post(
        "/workbench/intake/", {"name": person.display_name, "resident_id": resident_id_of(person)}
    )
    assert done["Location"] == "/workbench/intake/application/"
    page = client.get("/workbench/intake/application/", {"item": item.implementation_code}).content.decode()
    assert "申请人姓名或名称" in page and PersonIdentity.objects.get(user=person).resident_id_masked in page
    assert resident_id_of(person) not in page  # never unmasked
    bad = client.post(
        f"/workbench/intake/application/?item={item.implementation_code}",
        {"item": item.implementation_code, "applicant_name": person.display_name, "contact_phone": "12"},
    )
    assert bad.status_code == 400 and "格式不正确" in bad.content.decode()
    created = client.post(
        f"/workbench/intake/application/?item={item.implementation_code}",
        {"item": item.implementation_code, **form_for(person)},
    )
    assert created.status_code == 302
    case = person.cases.get()
    assert created["Location"] == f"/workbench/cases/{case.pk}/#materials"
    for material in case.materials.filter(necessity="required", status="missing"):
        upload = SimpleUploadedFile("scan.pdf", PDF_BYTES, content_type="application/pdf")
        response = client.post(
            f"/workbench/cases/{case.pk}/act/upload/", {"material": material.pk, "file": upload}
        )
        assert response.status_code == 302
    case.refresh_from_db()
    assert (
        client.post(f"/workbench/cases/{case.pk}/act/submit/", {"version": case.version}).status_code == 302
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    page = client.get(f"/workbench/cases/{case.pk}/").content.decode()
    assert f"/workbench/cases/{case.pk}/receipt/" in page
    receipt = client.get(f"/workbench/cases/{case.pk}/receipt/")
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
    html = client.get("/workbench/?queue=to_accept").content.decode()
    assert case.number in html  # a window case is pre-reviewed at the window: straight to acceptance
