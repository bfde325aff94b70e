from __future__ import annotations

import pytest

from accounts.identity_factories import make_enterprise_uscc, make_resident_id
from yiwang.accounts import registries
from yiwang.accounts.models import EntityStatus, RegistryPerson

pytestmark = pytest.mark.django_db


def test_population_registry_verifies_only_a_known_matching_person() -> None:
    number = make_resident_id()
    registries.add_registry_person("张三", number)
    registry = registries.population_registry()
    assert registry.verify("张三", number).verified
    assert registry.verify("张三", number.lower()).verified  # a lower-case x is the same number
    wrong_name = registry.verify("李四", number)
    assert not wrong_name.verified and "姓名" in wrong_name.reason
    unknown = registry.verify("张三", make_resident_id())
    assert not unknown.verified and "没有该身份证号码" in unknown.reason


def test_deceased_person_is_not_verified() -> None:
    number = make_resident_id()
    registries.add_registry_person("王五", number, is_deceased=True)
    result = registries.population_registry().verify("王五", number)
    assert not result.verified and "注销" in result.reason


def test_registry_stores_the_id_number_only_encrypted() -> None:
    number = make_resident_id()
    registries.add_registry_person("赵六", number)
    row = RegistryPerson.objects.get()
    assert number not in row.resident_id_ciphertext and number not in row.resident_id_index


def test_legal_entity_registry_lookup() -> None:
    code = make_enterprise_uscc()
    registries.add_registry_entity(
        code,
        "杭州示例有限公司",
        representative_name="张三",
        representative_resident_id=make_resident_id(),
        status=EntityStatus.CANCELLED,
    )
    record = registries.legal_entity_registry().lookup(code.lower())
    assert record is not None and record.name == "杭州示例有限公司" and not record.is_active
    assert registries.legal_entity_registry().lookup(make_enterprise_uscc()) is None
