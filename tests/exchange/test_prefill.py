"""Prefill end to end: a draft's shareable material is obtained from the population registry through the
gateway in the handling department's name; a failed fetch asks the applicant for it and says why."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.identity_factories import make_person
from cases.case_factories import form_for, publish, upload_required
from catalog.factories import DEFAULT_MATERIALS, make_organisation
from exchange.exchange_factories import grant, population_resource
from yiwang.cases import services as case_services
from yiwang.cases.models import CaseStatus, MaterialStatus
from yiwang.exchange import selectors
from yiwang.exchange.models import CallLog, CallResult, PrefilledMaterial, PrefillOutcome

pytestmark = pytest.mark.django_db

HOUSEHOLD = {
    "name": "户口簿",
    "obtainable_by": "sharing",
    "obtainable_source": "浙江省人口综合库（公安人口库）",
    "source_channel": "government",
}


def _draft(**kwargs: Any) -> Any:
    office = make_organisation(name="西湖区民政局")
    implementation = publish(office, materials=[*DEFAULT_MATERIALS, HOUSEHOLD])
    person = make_person(name="孙共享")
    case = case_services.create_draft(implementation, applicant=person, form_data=form_for(person))
    return office, implementation, person, case


def test_a_material_is_obtained_from_the_population_registry_when_the_draft_is_created() -> None:
    resource = population_resource()
    office = make_organisation(name="西湖区民政局")
    grant(resource, office)
    implementation = publish(office, materials=[*DEFAULT_MATERIALS, HOUSEHOLD])
    person = make_person(name="孙共享")

    case = case_services.create_draft(implementation, applicant=person, form_data=form_for(person))

    household = case.materials.get(name="户口簿")
    assert household.status == MaterialStatus.FETCHED
    # Not connected to any resource: left to the department, as before sharing existed.
    assert case.materials.get(name="营业执照").status == MaterialStatus.TO_BE_FETCHED
    record = PrefilledMaterial.objects.get(case_material_id=household.pk)
    assert record.outcome == PrefillOutcome.OBTAINED and record.trust_level == "A"
    assert record.document["values"]["name"] == "孙共享"
    assert record.document["provider"] == resource.provider.name
    call = CallLog.objects.get(pk=record.call_id)
    assert call.consumer == office and call.result == CallResult.OK and call.case_id == case.pk
    assert "办理“" in call.purpose and "免提交" in call.purpose
    event = case.events.get(action="prefill")
    assert f"已从{resource.provider.name}获取，无需提交" in event.comment

    # The applicant does not upload it, and the case files.
    upload_required(case, person)
    case = case_services.submit(case, actor=person)
    assert case.status == CaseStatus.SUBMITTED
    assert case.materials.get(name="户口簿").files.count() == 0

    # The person sees who read their data, and why — under the number the case was filed with.
    reads = selectors.reads_of(person)
    assert [r.consumer for r in reads] == [office]
    assert reads[0].case_number == "" and reads[0].shown_case_number == case.number

    # 减材料: the item counts one material no longer submitted.
    rows = selectors.reduced_materials()
    assert [(r.implementation_code, r.materials, r.obtained) for r in rows] == [
        (implementation.implementation_code, 1, 1)
    ]


def test_a_failed_fetch_asks_the_applicant_for_the_material_and_says_why() -> None:
    population_resource()  # connected, but the department holds no grant
    _office, _implementation, person, case = _draft()

    household = case.materials.get(name="户口簿")
    assert household.status == MaterialStatus.MISSING
    record = PrefilledMaterial.objects.get(case_material_id=household.pk)
    assert record.outcome == PrefillOutcome.FAILED and "尚未获得" in record.reason
    message = selectors.prefill_message(record)
    assert message.startswith("未能从") and message.endswith("请上传该材料。")
    assert "请上传该材料" in case.events.get(action="prefill").comment

    # Submission now asks for it by name.
    from yiwang.cases.errors import CaseError

    with pytest.raises(CaseError, match="户口簿"):
        case_services.submit(case, actor=person)


def test_a_person_not_in_the_registry_falls_back_to_upload() -> None:
    resource = population_resource()
    office = make_organisation()
    grant(resource, office)
    implementation = publish(office, materials=[HOUSEHOLD])
    person = make_person(in_registry=False)
    case = case_services.create_draft(implementation, applicant=person, form_data=form_for(person))
    record = PrefilledMaterial.objects.get(case_id=case.pk)
    assert record.outcome == PrefillOutcome.FAILED and "没有该对象的记录" in record.reason
    assert case.materials.get().status == MaterialStatus.MISSING


def test_the_applicant_reads_the_prefill_outcome_and_no_one_else_does(client: Client) -> None:
    resource = population_resource()
    office = make_organisation()
    grant(resource, office)
    implementation = publish(office, materials=[HOUSEHOLD])
    person = make_person()
    case = case_services.create_draft(implementation, applicant=person, form_data=form_for(person))

    client.force_login(person)
    rows = client.get(f"/api/exchange/cases/{case.pk}/prefill").json()
    assert rows[0]["outcome"] == "obtained" and rows[0]["trust_level"] == "A"
    assert rows[0]["message"] == f"已从{resource.provider.name}获取，无需提交。"
    page = client.get(f"/exchange/cases/{case.pk}/")
    assert page.status_code == 200 and "无需提交" in page.content.decode()

    client.force_login(make_person())
    assert client.get(f"/api/exchange/cases/{case.pk}/prefill").status_code == 404
    assert client.get(f"/exchange/cases/{case.pk}/").status_code == 404
