"""Exchange test data: the population and legal-entity resources, grants and consumer keys.

Import as ``from exchange.exchange_factories import ...``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from catalog.factories import make_organisation
from yiwang.core.models import Organisation
from yiwang.exchange import services
from yiwang.exchange.models import Credential, Grant, Resource, SharingType, SubjectKind

POPULATION_FIELDS = [
    {"code": "name", "name": "姓名"},
    {"code": "resident_id_masked", "name": "公民身份号码（脱敏）"},
    {"code": "gender", "name": "性别"},
    {"code": "birth_date", "name": "出生日期", "data_type": "date"},
    {"code": "registration_region_code", "name": "户籍登记地区划代码"},
    {"code": "household_status", "name": "户籍状态"},
]
LEGAL_ENTITY_FIELDS = [
    {"code": "uscc", "name": "统一社会信用代码"},
    {"code": "name", "name": "名称"},
    {"code": "representative_name", "name": "法定代表人"},
    {"code": "representative_id_index", "name": "法定代表人身份证号码校验值", "is_sensitive": True},
    {"code": "status", "name": "登记状态"},
    {"code": "status_code", "name": "登记状态代码"},
    {"code": "region_code", "name": "登记机关区划代码"},
]


def population_resource(provider: Organisation | None = None, **overrides: Any) -> Resource:
    values: dict[str, Any] = {
        "code": "330000-GA-0001",
        "name": "人口基础信息",
        "sharing_type": SharingType.CONDITIONAL,
        "sharing_basis": "《中华人民共和国居民身份证法》第十九条；国发〔2016〕51号",
        "subject_kind": SubjectKind.PERSON,
        "fields": POPULATION_FIELDS,
        "adapter": "population",
        "source_names": ["人口综合库", "公安人口库"],
        "prefill_fields": ["name", "resident_id_masked", "gender", "birth_date", "household_status"],
    }
    values.update(overrides)
    return services.save_resource(
        actor=None, provider=provider or make_organisation(name="省公安厅"), **values
    )


def legal_entity_resource(provider: Organisation | None = None, **overrides: Any) -> Resource:
    values: dict[str, Any] = {
        "code": "330000-SJ-0001",
        "name": "法人基础信息",
        "sharing_type": SharingType.UNCONDITIONAL,
        "subject_kind": SubjectKind.ENTERPRISE,
        "fields": LEGAL_ENTITY_FIELDS,
        "adapter": "legal_entity",
        "source_names": ["法人库", "营业执照登记信息"],
        "prefill_fields": ["uscc", "name", "representative_name", "status"],
    }
    values.update(overrides)
    return services.save_resource(
        actor=None, provider=provider or make_organisation(name="省市场监管局"), **values
    )


def grant(
    resource: Resource,
    consumer: Organisation,
    fields: list[str] | None = None,
    *,
    days: int = 30,
) -> Grant:
    """An approved grant (requested and approved by the platform itself)."""
    codes = fields or list(resource.fields.values_list("code", flat=True))
    requested = services.request_grant(
        actor=None,
        resource=resource,
        consumer=consumer,
        fields=codes,
        purpose="办理政务服务事项时核验申请人信息",
        basis="《浙江省公共数据条例》第二十五条",
        days=days,
    )
    if requested.status == "pending":
        requested = services.approve_grant(
            requested, actor=None, valid_until=timezone.now() + dt.timedelta(days=days)
        )
    return requested


def credential(organisation: Organisation) -> tuple[Credential, str]:
    return services.issue_credential(actor=None, organisation=organisation, label="测试密钥")
