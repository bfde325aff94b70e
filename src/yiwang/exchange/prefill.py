"""The exchange's prefill provider: obtain a case's shareable materials through the gateway.

Registered into cases.prefill in ExchangeConfig.ready(). For each material still "待共享获取" it finds the
connected catalogue resource the guide's "共享数据或证照来源" names (Resource.source_names), reads the
resource's prefill fields about the applicant (a person's resident ID, an enterprise's USCC) in the name of
the case's handling department, under the case's purpose, and keeps what came back as a trust-level-A
document (PrefilledMaterial). A material no connected resource matches is left to the department.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from yiwang.accounts import services as account_services
from yiwang.accounts.models import PersonIdentity
from yiwang.cases.models import Case, CaseMaterial
from yiwang.cases.prefill import PrefillResult
from yiwang.core.crypto import digest

from . import gateway, selectors
from .models import PrefilledMaterial, PrefillOutcome, Resource, SubjectKind


class _NoSubject(Exception):
    pass


def _person_id(case: Case) -> str:
    try:
        return account_services.resident_id_of(case.applicant)
    except PersonIdentity.DoesNotExist:
        raise _NoSubject(_("申请人的账户未登记身份证号码，无法从人口库获取。")) from None


def subject_for(case: Case, resource: Resource) -> str:
    if resource.subject_kind == SubjectKind.ENTERPRISE:
        if case.enterprise is None:
            raise _NoSubject(_("本申请不是以企业名义提交的，无法从法人库获取企业信息。"))
        return case.enterprise.uscc
    if resource.subject_kind == SubjectKind.HOLDER and case.enterprise is not None:
        return case.enterprise.uscc
    return _person_id(case)


def case_reference(case: Case) -> str:
    return case.number or _("草稿 #%(id)s") % {"id": case.pk}


def purpose_of(case: Case) -> str:
    return _("办理“%(item)s”（%(ref)s），申请材料免提交") % {
        "item": case.implementation.name or case.implementation.implementation_code,
        "ref": case_reference(case),
    }


def _record(
    case: Case,
    material: CaseMaterial,
    resource: Resource | None,
    outcome: str,
    *,
    reason: str = "",
    document: dict[str, Any] | None = None,
    call_id: int | None = None,
) -> PrefillResult:
    row, _created = PrefilledMaterial.objects.update_or_create(
        case_material_id=material.pk,
        defaults={
            "case_id": case.pk,
            "implementation_id": case.implementation_id,
            "catalog_material_id": material.catalog_material_id,
            "material_name": material.name,
            "resource": resource,
            "provider_name": resource.provider.name if resource else "",
            "outcome": outcome,
            "reason": reason[:300],
            "trust_level": "A",
            "document": document or {},
            "document_sm3": digest(document) if document else "",
            "call_id": call_id,
        },
    )
    return PrefillResult(
        material.pk, outcome == PrefillOutcome.OBTAINED, row.provider_name, selectors.prefill_message(row)
    )


def _obtain(case: Case, material: CaseMaterial, resource: Resource) -> PrefillResult:
    fields = list(resource.prefill_fields) or list(resource.fields.values_list("code", flat=True))
    try:
        subject = subject_for(case, resource)
    except _NoSubject as problem:
        return _record(case, material, resource, PrefillOutcome.FAILED, reason=str(problem))
    reply = gateway.query(
        case.organisation,
        gateway.Query(
            resource_code=resource.code,
            fields=fields,
            subject=subject,
            purpose=purpose_of(case),
            case_id=case.pk,
            case_number=case.number or "",
            options={"material_source": material.obtainable_source},
        ),
    )
    if reply.ok:
        document = {
            "resource": resource.code,
            "resource_name": resource.name,
            "provider": resource.provider.name,
            "values": reply.data,
            "audit_seq": reply.audit_seq,
        }
        return _record(
            case, material, resource, PrefillOutcome.OBTAINED, document=document, call_id=reply.call_id
        )
    return _record(
        case, material, resource, PrefillOutcome.FAILED, reason=reply.reason, call_id=reply.call_id
    )


def connected_materials(materials: Sequence[CaseMaterial]) -> list[CaseMaterial]:
    """The materials a connected resource can provide (registered as the provider's read-only selector)."""
    # Only the names are needed to decide (one narrow read; the provider reads the resources it uses).
    aliases = [
        alias
        for names in selectors.connected_source_names()
        for alias in Resource(source_names=names).source_name_list
    ]
    return [m for m in materials if any(a in f"{m.obtainable_source}\n{m.name}" for a in aliases)]


def prefill_case(case: Case, materials: Sequence[CaseMaterial]) -> list[PrefillResult]:
    """The provider registered into cases.prefill."""
    resources = selectors.connected_resources()  # one read for all the case's materials
    wanted = []
    for material in materials:
        matches = selectors.resources_for_material(material.obtainable_source, material.name, resources)
        if matches:  # not connected: the department obtains it itself
            wanted.append((material, matches[0]))
    if not wanted:
        return []  # nothing to read: the case itself need not be read either
    case = Case.objects.select_related("implementation", "organisation", "applicant", "enterprise").get(
        pk=case.pk
    )
    return [_obtain(case, material, resource) for material, resource in wanted]
