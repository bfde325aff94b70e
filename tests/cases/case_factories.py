"""Test data for case tests: a published implementation, applicants, staff, complete forms and real files.

Import as ``from cases.case_factories import ...`` (tests/ is on sys.path)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from accounts.identity_factories import make_person, make_staff
from catalog.factories import make_guide, make_implementation, make_organisation
from yiwang.accounts.models import RealNameLevel, Role, User
from yiwang.cases import services
from yiwang.cases.models import Case, CaseMaterial
from yiwang.catalog import codes
from yiwang.catalog import services as catalog_services
from yiwang.catalog.models import Implementation
from yiwang.core.models import Organisation

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 64

# A person-facing licensing guide: one material to upload, two shared ones, one deferrable (容缺).
PERSON_GUIDE: dict[str, Any] = {"service_objects": [codes.ServiceObject.PERSON.value]}
# An item that charges no fee: its result is delivered without waiting for payment (payments gate).
NO_FEE: dict[str, Any] = {"charges_fee": False, "fee_basis": "", "fees": [], "supports_online_payment": False}


def ofd_bytes(with_root: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("OFD.xml" if with_root else "Doc_0/Document.xml", "<ofd:OFD/>")
    return buffer.getvalue()


def publish(organisation: Organisation | None = None, **guide_fields: Any) -> Implementation:
    implementation = make_implementation(organisation=organisation or make_organisation())
    guide = make_guide(implementation=implementation, **{**PERSON_GUIDE, **guide_fields})
    catalog_services.publish(catalog_services.submit(guide))
    implementation.refresh_from_db()
    return implementation


def applicant(level: int = RealNameLevel.L1) -> User:
    return make_person(level=level)


def staff(organisation: Organisation, *roles: str) -> User:
    user = make_staff(organisation, roles[0] if roles else Role.WINDOW)
    for role in roles[1:]:
        user.memberships.create(organisation=organisation, role=role)
    return user


def form_for(user: User, **overrides: Any) -> dict[str, Any]:
    values = {
        "applicant_name": user.display_name,
        "contact_phone": user.phone,
        "address": "杭州市西湖区文三路100号",
        "application_matter": "申请新建住宅楼施工许可",
    }
    values.update(overrides)
    return values


def upload_required(case: Case, actor: User) -> None:
    for material in case.materials.filter(necessity="required", status="missing"):
        services.upload_material(
            case,
            material,
            actor=actor,
            name=f"{material.name}.pdf",
            content_type="application/pdf",
            data=PDF_BYTES,
        )


def material(case: Case, name: str) -> CaseMaterial:
    return case.materials.get(name=name)


def filed_case(implementation: Implementation, person: User, **draft: Any) -> Case:
    case = services.create_draft(implementation, applicant=person, form_data=form_for(person), **draft)
    upload_required(case, person)
    return services.submit(case, actor=person)


class Office:
    """An organisation with one clerk per role."""

    def __init__(self, organisation: Organisation | None = None) -> None:
        self.organisation = organisation or make_organisation()
        self.window = staff(self.organisation, Role.WINDOW)
        self.reviewer = staff(self.organisation, Role.REVIEWER)
        self.approver = staff(self.organisation, Role.APPROVER)
