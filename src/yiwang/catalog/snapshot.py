"""The published document of a guide version: every element, frozen at publication (同源发布).

Every channel (portal, API, search, federation) serves this one dict, so what one channel shows is what
all show. It holds codes plus their Simplified Chinese labels, the published text of record.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from yiwang.catalog import codes
from yiwang.catalog.models import GuideVersion

SNAPSHOT_FORMAT = 1

# Guide fields copied as they are (codes are labelled separately below).
PLAIN_FIELDS = [
    "name",
    "aliases",
    "legal_basis",
    "authority_division",
    "exercise_content",
    "entrusting_department",
    "undertaking_organisation",
    "legal_limit",
    "legal_limit_note",
    "promised_limit",
    "promised_limit_note",
    "acceptance_conditions",
    "intermediary_services",
    "quantity_limit",
    "result_name",
    "charges_fee",
    "fee_basis",
    "jurisdiction",
    "online_url",
    "is_online",
    "sso_pc",
    "sso_mobile",
    "visits",
    "onsite_reason",
    "in_hall",
    "supports_appointment",
    "supports_online_payment",
    "supports_delivery",
    "place",
    "hours",
    "consultation_method",
    "consultation_phone",
    "supervision_phone",
]

CODED_FIELDS: dict[str, type[models.Choices]] = {
    "item_type": codes.ItemType,
    "exercise_level": codes.ExerciseLevel,
    "subject_nature": codes.SubjectNature,
    "power_source": codes.PowerSource,
    "legal_limit_unit": codes.TimeUnit,
    "promised_limit_unit": codes.TimeUnit,
    "case_type": codes.CaseType,
    "result_type": codes.ResultType,
    "handling_scope": codes.HandlingScope,
    "online_depth": codes.OnlineDepth,
    "system_level": codes.SystemLevel,
}

CODED_LIST_FIELDS: dict[str, type[models.Choices]] = {
    "service_objects": codes.ServiceObject,
    "handling_forms": codes.HandlingForm,
    "delivery_methods": codes.DeliveryMethod,
}


def _label(choices: type[models.Choices], value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return ""


def _file(field: Any) -> dict[str, str] | None:
    if not field:
        return None
    return {"name": field.name.rsplit("/", 1)[-1], "path": field.name}


def _date(value: Any) -> str | None:
    return value.isoformat() if value else None


def build_snapshot(guide: GuideVersion) -> dict[str, Any]:
    implementation = guide.implementation
    organisation = implementation.organisation
    region = implementation.region
    basic = implementation.basic_item
    doc: dict[str, Any] = {
        "format": SNAPSHOT_FORMAT,
        "implementation_code": implementation.implementation_code,
        "basic_code": basic.basic_code,
        "basic_item_name": basic.name,
        "parent_basic_code": basic.parent.basic_code if basic.parent_id and basic.parent else None,
        "competent_department": basic.competent_department,
        "version": guide.version,
        "published_at": _date(guide.published_at),
        "organisation": {
            "id": organisation.pk,
            "name": organisation.name,
            "short_name": organisation.short_name,
            "uscc": organisation.uscc,
        },
        "region": {"code": region.code, "name": region.name},
        "planned_effective_date": _date(guide.planned_effective_date),
        "planned_cancel_date": _date(guide.planned_cancel_date),
        "result_sample": _file(guide.result_sample),
    }
    for field in PLAIN_FIELDS:
        doc[field] = getattr(guide, field)
    for field, choices in CODED_FIELDS.items():
        value = getattr(guide, field)
        doc[field] = value
        doc[f"{field}_label"] = _label(choices, value)
    for field, choices in CODED_LIST_FIELDS.items():
        values = list(getattr(guide, field) or [])
        doc[field] = values
        doc[f"{field}_labels"] = [_label(choices, value) for value in values]
    doc["themes"] = [
        {"code": theme.code, "name": theme.name, "audience": theme.audience} for theme in guide.themes.all()
    ]
    doc["joint_organisations"] = [
        {"name": org.name, "uscc": org.uscc} for org in guide.joint_organisations.all()
    ]
    doc["variants"] = [
        {
            "code": implementation.implementation_code + v.code_suffix,
            "code_suffix": v.code_suffix,
            "name": v.name,
        }
        for v in guide.variants.all()
    ]
    situations = list(guide.situations.all())
    situation_names = {s.pk: s.name for s in situations}
    doc["situations"] = [
        {
            "name": s.name,
            "description": s.description,
            "variant": s.variant.code_suffix if s.variant else None,
        }
        for s in situations
    ]
    doc["materials"] = [
        {
            "name": m.name,
            "situation": situation_names.get(m.situation_id) if m.situation_id else None,
            "issuing_body": m.issuing_body,
            "issue_time_requirement": m.issue_time_requirement,
            "source_channel": m.source_channel,
            "source_channel_label": _label(codes.MaterialSourceChannel, m.source_channel),
            "original_count": m.original_count,
            "copy_count": m.copy_count,
            "form": m.form,
            "form_label": _label(codes.MaterialForm, m.form),
            "necessity": m.necessity,
            "necessity_label": _label(codes.MaterialNecessity, m.necessity),
            "notes": m.notes,
            "usage_notes": m.usage_notes,
            "blank_form": _file(m.blank_form),
            "sample": _file(m.sample),
            "obtainable_by": m.obtainable_by,
            "obtainable_by_label": _label(codes.MaterialObtainable, m.obtainable_by),
            "obtainable_source": m.obtainable_source,
        }
        for m in guide.materials.all()
    ]
    doc["steps"] = [
        {
            "name": s.name,
            "role": s.role,
            "time_limit": s.time_limit,
            "standard": s.standard,
            "result": s.result,
        }
        for s in guide.steps.all()
    ]
    doc["fees"] = [
        {
            "name": f.name,
            "standard": f.standard,
            "amount": str(f.amount) if f.amount is not None else None,
            "basis": f.basis,
            "reducible": f.reducible,
            "reduction_basis": f.reduction_basis,
        }
        for f in guide.fees.all()
    ]
    doc["special_procedures"] = [
        {
            "kind": p.kind,
            "kind_label": _label(codes.SpecialProcedureKind, p.kind),
            "name": p.name,
            "time_limit": p.time_limit,
            "time_limit_unit": p.time_limit_unit,
            "time_limit_unit_label": _label(codes.TimeUnit, p.time_limit_unit),
            "legal_basis": p.legal_basis,
            "charges_fee": p.charges_fee,
            "counts_toward_limit": p.counts_toward_limit,
        }
        for p in guide.special_procedures.all()
    ]
    doc["faqs"] = [{"question": q.question, "answer": q.answer} for q in guide.faqs.all()]
    doc["quality_score"] = guide.quality_score
    return doc
