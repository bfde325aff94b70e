"""Test data for licence tests: a licence type with issuers, approvers, persons with licences, and an
approved case. Import as ``from licences.licence_factories import …``."""

from __future__ import annotations

from typing import Any

from accounts.identity_factories import make_person, make_staff
from catalog.factories import make_organisation
from yiwang.accounts import services as account_services
from yiwang.accounts.models import Role, User
from yiwang.core.models import Organisation
from yiwang.licences import holders, services
from yiwang.licences.models import HolderKind, Licence, LicenceTemplate, LicenceType

FIELDS = [
    {"name": "address", "label": "住所", "required": True, "public": False},
    {"name": "application_matter", "label": "许可事项", "required": True, "public": True},
]
RESULT_NAME = "建筑工程施工许可证"


def make_type(
    organisation: Organisation | None = None,
    *,
    sequence: int = 11,
    name: str = RESULT_NAME,
    holder_kind: str = HolderKind.PERSON,
    issuers: list[Organisation] | None = None,
    validity_months: int | None = 36,
    template: str = LicenceTemplate.PERMIT,
    result_names: tuple[str, ...] = (RESULT_NAME,),
    fields: list[dict[str, Any]] | None = None,
) -> LicenceType:
    organisation = organisation or make_organisation()
    return services.define_type(
        actor=services.SYSTEM,
        defining_organisation=organisation,
        sequence=sequence,
        name=name,
        holder_kind=holder_kind,
        fields=FIELDS if fields is None else fields,
        issuers=issuers if issuers is not None else [organisation],
        validity_months=validity_months,
        template=template,
        result_names=result_names,
    )


def approver(organisation: Organisation) -> User:
    return make_staff(organisation, Role.APPROVER)


def person_holder(user: User) -> holders.Holder:
    return holders.make_holder(HolderKind.PERSON, account_services.resident_id_of(user), user.display_name)


def issue_to(
    user: User | None = None,
    licence_type: LicenceType | None = None,
    *,
    actor: Any = None,
    data: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Licence:
    user = user or make_person()
    licence_type = licence_type or make_type()
    issuer = kwargs.pop("issuer", None) or licence_type.issuers.first() or licence_type.defining_organisation
    return services.issue(
        licence_type,
        issuer=issuer,
        holder=person_holder(user),
        data=data or {"address": "杭州市西湖区文三路100号", "application_matter": "新建住宅楼施工"},
        actor=actor or approver(issuer),
        **kwargs,
    )


def approve_case(case: Any, office: Any) -> Any:
    """Run a filed case through acceptance, every review step and approval, as the office's clerks."""
    from yiwang.cases import services as case_services
    from yiwang.cases.models import StepStatus

    case = case_services.accept(case, actor=office.window)
    case = case_services.start_review(case, actor=office.reviewer)
    while (step := case.steps.filter(status=StepStatus.ACTIVE).order_by("lane", "order").first()) is not None:
        case_services.complete_step(case, step, actor=office.reviewer, opinion="符合条件")
        case.refresh_from_db()
    return case_services.approve(case, actor=office.approver, reason="材料齐全，符合条件")
