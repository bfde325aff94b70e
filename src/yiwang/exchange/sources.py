"""The data sources behind the gateway: each answers one kind of query with a dict of field values.

Built in: the population registry (人口库) and the legal-entity registry (法人库) of the accounts app, and
the licence library (电子证照库) of the licences app. A source returns every field it knows; the gateway
hands the caller only the granted fields it asked for. A source never sees the grant or the caller.
Another source (a department's own system behind an HTTP adapter) registers with `register_source`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from yiwang.accounts import registries
from yiwang.accounts.models import EntityStatus, RegistryPerson
from yiwang.core.validators import check_uscc, mask_resident_id, normalise_resident_id, validate_resident_id


class SubjectInvalid(ValueError):
    """The subject of a query is not a well-formed identifier for this source."""


@dataclass(frozen=True)
class Subject:
    """Who the data is about, as the call log keeps it: a blind index (never the ID itself) and a mask."""

    index: str
    masked: str


@dataclass(frozen=True)
class Answer:
    found: bool
    values: dict[str, Any] = field(default_factory=dict)


Fetch = Callable[[str, dict[str, str]], Answer]
Describe = Callable[[str], Subject]


@dataclass(frozen=True)
class Source:
    name: str
    describe: Describe
    fetch: Fetch


_sources: dict[str, Source] = {}


def register_source(source: Source) -> None:
    _sources[source.name] = source


def get_source(name: str) -> Source | None:
    return _sources.get(name)


def source_names() -> list[str]:
    return sorted(_sources)


# --- subjects -------------------------------------------------------------------------------------------


def person_subject(resident_id: str) -> Subject:
    try:
        number = validate_resident_id(resident_id)
    except ValidationError as exc:
        raise SubjectInvalid(" ".join(exc.messages)) from None
    return Subject(registries.resident_id_index(number), mask_resident_id(number))


def enterprise_subject(uscc: str) -> Subject:
    try:
        code = check_uscc(uscc).code
    except ValidationError as exc:
        raise SubjectInvalid(" ".join(exc.messages)) from None
    return Subject(code, code)


def holder_subject(identifier: str) -> Subject:
    """A licence holder: a person (18-character resident ID) or an organisation (18-character USCC)."""
    value = normalise_resident_id(identifier)
    if value[:17].isdigit():
        return person_subject(value)
    return enterprise_subject(value)


# --- population registry ------------------------------------------------------------------------------------

_GENDER = {0: "女", 1: "男"}


def _population(subject: str, options: dict[str, str]) -> Answer:
    number = normalise_resident_id(subject)
    record = RegistryPerson.objects.filter(resident_id_index=registries.resident_id_index(number)).first()
    if record is None:
        return Answer(False)
    birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return Answer(
        True,
        {
            "name": record.name,
            "resident_id_masked": mask_resident_id(number),
            "gender": _GENDER[int(number[16]) % 2],
            "birth_date": birth.isoformat(),
            "registration_region_code": number[:6],
            "household_status": "已注销" if record.is_deceased else "正常",
        },
    )


# --- legal-entity registry ------------------------------------------------------------------------------------


def _legal_entity(subject: str, options: dict[str, str]) -> Answer:
    record = registries.BuiltinLegalEntityRegistry().lookup(subject)
    if record is None:
        return Answer(False)
    return Answer(
        True,
        {
            "uscc": record.uscc,
            "name": record.name,
            "representative_name": record.representative_name,
            "representative_id_index": record.representative_id_index,
            "status": str(EntityStatus(record.status).label) if record.status in EntityStatus.values else "",
            "status_code": record.status,
            "region_code": record.region_code,
        },
    )


# --- licence library ---------------------------------------------------------------------------------------------


def _licence(subject: str, options: dict[str, str]) -> Answer:
    """The holder's newest licence in force, of the type asked for: by `type_code`, or the type whose name
    the guide's material source names (`material_source`, e.g. "营业执照电子证照（市场监管总局）")."""
    from yiwang.licences import selectors as licences

    type_code = (options.get("type_code") or "").strip() or None
    wanted = options.get("material_source", "")
    for licence in licences.valid_licences_of(subject, type_code):
        summary = licences.licence_summary(licence)
        if type_code is None and wanted and summary["type_name"] not in wanted:
            continue
        return Answer(True, {**summary, "data": licences.licence_payload(licence)})
    return Answer(False)


register_source(Source("population", person_subject, _population))
register_source(Source("legal_entity", enterprise_subject, _legal_entity))
register_source(Source("licence", holder_subject, _licence))


def describe_subject(source_name: str, subject: str) -> Subject:
    source = get_source(source_name)
    if source is None:
        raise SubjectInvalid(_("该资源尚未接入交换网关。"))
    return source.describe(subject)
