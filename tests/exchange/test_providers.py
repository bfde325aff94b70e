"""Built-in providers: identity checks through the exchange (population and legal-entity registries) and the
licence library as a prefill source."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.identity_factories import make_enterprise, make_person
from cases.case_factories import form_for, publish
from catalog.factories import make_organisation
from exchange.exchange_factories import grant, legal_entity_resource, population_resource
from yiwang.accounts import registries
from yiwang.accounts import services as account_services
from yiwang.accounts.models import RealNameLevel
from yiwang.cases import services as case_services
from yiwang.cases.models import MaterialStatus
from yiwang.exchange import services
from yiwang.exchange.models import (
    CallLog,
    CallResult,
    InternalUse,
    PrefilledMaterial,
    SharingType,
    SubjectKind,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def through_exchange(settings: Any) -> Any:
    settings.YIWANG_POPULATION_REGISTRY = "yiwang.exchange.registries.ExchangePopulationRegistry"
    settings.YIWANG_LEGAL_ENTITY_REGISTRY = "yiwang.exchange.registries.ExchangeLegalEntityRegistry"
    identity_office = make_organisation(name="省政务服务管理办公室")
    services.set_internal_consumer(InternalUse.IDENTITY, identity_office)
    return identity_office


def test_the_real_name_check_goes_through_the_gateway_and_the_person_sees_it(through_exchange: Any) -> None:
    population = population_resource()
    grant(population, through_exchange, ["name", "household_status"])
    person = make_person(level=RealNameLevel.L1, name="吴核验")

    account_services.upgrade_to_l2(person)

    person.identity.refresh_from_db()
    assert person.identity.level == RealNameLevel.L2
    call = CallLog.objects.get(subject_index=person.identity.resident_id_index)
    assert call.consumer == through_exchange and call.result == CallResult.OK and "实名核验" in call.purpose


def test_without_a_grant_the_check_fails_with_the_reason(through_exchange: Any) -> None:
    population_resource()
    person = make_person(name="郑无权")
    number = account_services.resident_id_of(person)
    result = registries.population_registry().verify("郑无权", number)
    assert not result.verified and "尚未获得" in result.reason


def test_a_wrong_name_is_not_verified_through_the_exchange(through_exchange: Any) -> None:
    grant(population_resource(), through_exchange, ["name", "household_status"])
    person = make_person(name="王真名")
    result = registries.population_registry().verify("王假名", account_services.resident_id_of(person))
    assert not result.verified and "姓名与人口库" in result.reason


def test_enterprise_registration_reads_the_legal_entity_registry_through_the_gateway(
    through_exchange: Any,
) -> None:
    legal = legal_entity_resource()
    services.request_grant(
        actor=None,
        resource=legal,
        consumer=through_exchange,
        fields=[
            "uscc",
            "name",
            "representative_name",
            "representative_id_index",
            "status_code",
            "region_code",
        ],
        purpose="统一身份认证：企业身份核验",
    )
    grant(population_resource(), through_exchange, ["name", "household_status"])
    enterprise = make_enterprise(name="杭州经由网关有限公司")
    assert enterprise.name == "杭州经由网关有限公司"
    assert CallLog.objects.filter(
        resource=legal, result=CallResult.OK, subject_index=enterprise.uscc
    ).exists()


def test_a_licence_from_the_licence_library_is_obtained_for_a_case() -> None:
    from licences.licence_factories import issue_to, make_type

    library_owner = make_organisation(name="省大数据发展管理局")
    resource = services.save_resource(
        actor=None,
        provider=library_owner,
        code="330000-DSJ-0001",
        name="电子证照库",
        sharing_type=SharingType.UNCONDITIONAL,
        subject_kind=SubjectKind.HOLDER,
        fields=[
            {"code": "identifier", "name": "证照标识"},
            {"code": "type_name", "name": "证照名称"},
            {"code": "issuer_name", "name": "颁发机构"},
            {"code": "holder_name", "name": "持证人"},
            {"code": "valid_until", "name": "有效期至"},
            {"code": "data", "name": "照面信息"},
        ],
        adapter="licence",
        source_names=["电子证照"],
        prefill_fields=["identifier", "type_name", "issuer_name", "holder_name", "valid_until", "data"],
    )
    office = make_organisation(name="区住建局")
    services.request_grant(
        actor=None,
        resource=resource,
        consumer=office,
        fields=resource.prefill_fields,
        purpose="办事材料免提交",
    )
    person = make_person(name="冯持证")
    licence = issue_to(person, make_type(name="建设工程规划许可证"))
    implementation = publish(
        office,
        materials=[
            {
                "name": "建设工程规划许可证",
                "obtainable_by": "licence",
                "obtainable_source": "建设工程规划许可证电子证照",
            },
            {"name": "施工合同"},
        ],
    )

    case = case_services.create_draft(implementation, applicant=person, form_data=form_for(person))

    material = case.materials.get(name="建设工程规划许可证")
    assert material.status == MaterialStatus.FETCHED
    record = PrefilledMaterial.objects.get(case_material_id=material.pk)
    assert record.document["values"]["identifier"] == licence.identifier
    assert record.document["values"]["holder_name"] == "冯持证"
