"""The population registry (人口库) and the legal-entity registry (法人库) behind one interface.

The built-in backends answer from RegistryPerson / RegistryEntity (demo records loaded by `yiwang demo load`).
The data-sharing issue will add backends that route these lookups through the exchange; choose a backend
with the settings YIWANG_POPULATION_REGISTRY / YIWANG_LEGAL_ENTITY_REGISTRY (dotted class paths).
An unknown person is never "verified": every negative answer carries its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from yiwang.accounts import fieldcrypto
from yiwang.accounts.models import EntityStatus, RegistryEntity, RegistryPerson
from yiwang.core.validators import normalise_resident_id

RESIDENT_ID_CONTEXT = "resident_id"


def resident_id_index(resident_id: str) -> str:
    return fieldcrypto.blind_index(normalise_resident_id(resident_id), context=RESIDENT_ID_CONTEXT)


@dataclass(frozen=True)
class PersonVerification:
    verified: bool
    reason: str = ""  # why not, in words the person can act on


@dataclass(frozen=True)
class EntityRecord:
    uscc: str
    name: str
    representative_name: str
    representative_id_index: str
    status: str
    region_code: str

    @property
    def is_active(self) -> bool:
        return self.status == EntityStatus.ACTIVE


class PopulationRegistry(Protocol):
    def verify(self, name: str, resident_id: str) -> PersonVerification: ...


class LegalEntityRegistry(Protocol):
    def lookup(self, uscc: str) -> EntityRecord | None: ...


class BuiltinPopulationRegistry:
    def verify(self, name: str, resident_id: str) -> PersonVerification:
        record = RegistryPerson.objects.filter(resident_id_index=resident_id_index(resident_id)).first()
        if record is None:
            return PersonVerification(
                False, _("人口库中没有该身份证号码，请核对号码，或携带身份证到政务服务大厅办理实名核验。")
            )
        if record.is_deceased:
            return PersonVerification(False, _("该身份证号码在人口库中的户籍已注销，无法完成核验。"))
        if record.name.strip() != (name or "").strip():
            return PersonVerification(False, _("姓名与人口库登记的姓名不一致，请按身份证上的姓名填写。"))
        return PersonVerification(True)


class BuiltinLegalEntityRegistry:
    def lookup(self, uscc: str) -> EntityRecord | None:
        record = RegistryEntity.objects.filter(uscc=(uscc or "").strip().upper()).first()
        if record is None:
            return None
        return EntityRecord(
            uscc=record.uscc,
            name=record.name,
            representative_name=record.representative_name,
            representative_id_index=record.representative_id_index,
            status=record.status,
            region_code=record.region_code,
        )


def population_registry() -> PopulationRegistry:
    path = getattr(
        settings, "YIWANG_POPULATION_REGISTRY", "yiwang.accounts.registries.BuiltinPopulationRegistry"
    )
    return import_string(path)()


def legal_entity_registry() -> LegalEntityRegistry:
    path = getattr(
        settings, "YIWANG_LEGAL_ENTITY_REGISTRY", "yiwang.accounts.registries.BuiltinLegalEntityRegistry"
    )
    return import_string(path)()


def add_registry_person(name: str, resident_id: str, *, is_deceased: bool = False) -> RegistryPerson:
    """Load one record into the built-in population registry (demo data and tests)."""
    number = normalise_resident_id(resident_id)
    record, _created = RegistryPerson.objects.update_or_create(
        resident_id_index=resident_id_index(number),
        defaults={
            "name": name,
            "resident_id_ciphertext": fieldcrypto.encrypt(number, context=RESIDENT_ID_CONTEXT),
            "is_deceased": is_deceased,
        },
    )
    return record


def add_registry_entity(
    uscc: str,
    name: str,
    *,
    representative_name: str,
    representative_resident_id: str,
    status: str = EntityStatus.ACTIVE,
    region_code: str = "330100",
) -> RegistryEntity:
    record, _created = RegistryEntity.objects.update_or_create(
        uscc=uscc,
        defaults={
            "name": name,
            "representative_name": representative_name,
            "representative_id_index": resident_id_index(representative_resident_id),
            "status": status,
            "region_code": region_code,
        },
    )
    return record
