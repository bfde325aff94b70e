"""What filing a case needs from its published guide, read once per process and guide version.

A published guide version never changes (catalog.models: editing one creates the next version), so the
parts filing reads from it — the form schema and its compiled validator, the common material list, the
time limits, the name — are the same for every application on that version. Reading and re-deriving them
per call (the whole guide row with its publication snapshot, the materials, a new JSON Schema validator)
was a large share of a submission's cost.

Which version is published is still read from the implementation row on every call (services): only
the content of a version is cached, never the answer to "is this item open for applications". The cache
key includes the version's publication time, so a row id reused after a rolled-back test (SQLite) never
finds another guide's plan; a version without a publication time is never cached.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator

from yiwang.catalog.models import GuideVersion

from . import deadlines, formschema

MAX_PLANS = 512  # published versions kept per process; far more than a region's items filed in an hour


@dataclass(frozen=True)
class MaterialTemplate:
    """A material of the guide as copied into a case (the plan keeps those without a 办理情形)."""

    catalog_material_id: int
    name: str
    necessity: str
    obtainable_by: str
    obtainable_source: str
    order: int

    @classmethod
    def of(cls, material: Any) -> MaterialTemplate:
        """The template of a guide's material (a `catalog.Material` row)."""
        return cls(
            catalog_material_id=material.pk,
            name=material.name,
            necessity=material.necessity,
            obtainable_by=material.obtainable_by,
            obtainable_source=material.obtainable_source,
            order=material.order,
        )


@dataclass(frozen=True)
class GuidePlan:
    guide_id: int
    version: int
    name: str
    is_immediate: bool
    limit_days: int
    acceptance_days: int
    materials: tuple[MaterialTemplate, ...]
    schemas: dict[bool, dict[str, Any]] = field(repr=False)  # by "an enterprise applies"
    validators: dict[bool, Draft202012Validator] = field(repr=False)

    def schema(self, for_enterprise: bool) -> dict[str, Any]:
        return self.schemas[for_enterprise]

    def validate(self, data: Any, *, for_enterprise: bool, partial: bool = False) -> dict[str, Any]:
        """formschema.validate_form with the version's compiled validator."""
        schema = self.schemas[for_enterprise]
        errors = formschema.form_errors(
            schema, data, partial=partial, validator=self.validators[for_enterprise]
        )
        if errors:
            raise formschema.FormInvalid(errors)
        return dict(data)


_plans: dict[tuple[int, dt.datetime], GuidePlan] = {}
_guard = threading.Lock()


def build(guide: GuideVersion) -> GuidePlan:
    """The plan of `guide` (two queries: the materials; the guide row itself is given)."""
    schemas = {
        False: formschema.form_schema_for(guide, for_enterprise=None),
        True: formschema.form_schema_for(guide, for_enterprise=True),
    }
    materials = tuple(
        MaterialTemplate.of(m) for m in guide.materials.filter(situation__isnull=True).order_by("order", "id")
    )
    return GuidePlan(
        guide_id=guide.pk,
        version=guide.version,
        name=guide.name,
        is_immediate=deadlines.is_immediate(guide),
        limit_days=deadlines.limit_days_for(guide),
        acceptance_days=deadlines.acceptance_days_for(guide),
        materials=materials,
        schemas=schemas,
        validators={key: formschema.validator_for(schema) for key, schema in schemas.items()},
    )


def plan_for(guide_id: int, published_at: dt.datetime | None) -> GuidePlan:
    """The plan of the published version `guide_id` (published at `published_at`)."""
    if published_at is None:  # not published through catalog.services: nothing proves it is frozen
        return build(GuideVersion.objects.get(pk=guide_id))
    key = (guide_id, published_at)
    plan = _plans.get(key)
    if plan is None:
        plan = build(GuideVersion.objects.get(pk=guide_id))
        with _guard:
            if len(_plans) >= MAX_PLANS:
                _plans.clear()  # rare; a full reload costs one guide read per item
            _plans[key] = plan
    return plan


def clear() -> None:
    with _guard:
        _plans.clear()
