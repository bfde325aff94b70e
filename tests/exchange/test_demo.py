"""The exchange demo: catalogue, grants for the departments whose guides need shared materials, keys."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from accounts.identity_factories import make_person
from cases.case_factories import form_for, publish
from catalog.factories import make_organisation, make_region
from yiwang.cases import services as case_services
from yiwang.cases.models import MaterialStatus
from yiwang.exchange import demo
from yiwang.exchange.models import Credential, Grant, GrantStatus, InternalConsumer, Resource

pytestmark = pytest.mark.django_db


def test_demo_loads_twice_and_makes_prefill_work(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    province = make_region("330000", "浙江省")
    make_organisation(province, name="浙江省公安厅")
    make_organisation(province, name="浙江省市场监督管理局")
    make_organisation(province, name="浙江省民政厅")
    make_organisation(province, name="杭州市民政局")
    office = make_organisation(province, name="西湖区民政局")
    implementation = publish(
        office,
        materials=[
            {
                "name": "居民户口簿",
                "obtainable_by": "sharing",
                "obtainable_source": "浙江省人口综合库（公安人口库）",
            }
        ],
    )

    out = io.StringIO()
    demo.load_demo(stdout=out)
    demo.load_demo(stdout=out)  # idempotent

    assert set(Resource.objects.values_list("code", flat=True)) == {spec["code"] for spec in demo.RESOURCES}
    assert InternalConsumer.objects.get().organisation.name == demo.DATA_OFFICE
    population = Resource.objects.get(code=demo.POPULATION["code"])
    assert (
        Grant.objects.filter(resource=population, consumer=office, status=GrantStatus.APPROVED).count() == 1
    )
    assert Grant.objects.filter(status=GrantStatus.PENDING).count() == 1
    keys = (tmp_path / demo.KEYS_FILE).read_text(encoding="utf-8")
    credential = Credential.objects.get(organisation=office)
    assert credential.key_id in keys and Credential.objects.filter(organisation=office).count() == 1
    assert (tmp_path / demo.KEYS_FILE).stat().st_mode & 0o777 == 0o600
    assert "资源目录 5 项" in out.getvalue()

    person = make_person()
    case = case_services.create_draft(implementation, applicant=person, form_data=form_for(person))
    assert case.materials.get().status == MaterialStatus.FETCHED
