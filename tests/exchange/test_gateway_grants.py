"""The gateway enforces grants field by field, refuses expired and revoked grants, and logs every call."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.identity_factories import make_enterprise, make_person
from catalog.factories import make_organisation
from exchange.exchange_factories import grant, legal_entity_resource, population_resource
from yiwang.accounts import services as account_services
from yiwang.core.models import AuditEntry
from yiwang.exchange import gateway, services
from yiwang.exchange.models import CallLog, CallResult, Grant, GrantStatus

pytestmark = pytest.mark.django_db


def _ask(consumer, resource, fields, subject, purpose="办理出生医学证明补发，核验申请人"):
    return gateway.query(
        consumer,
        gateway.Query(resource_code=resource.code, fields=fields, subject=subject, purpose=purpose),
    )


def test_granted_fields_are_answered_and_the_call_is_logged_and_audited() -> None:
    person = make_person(name="钱多多")
    number = account_services.resident_id_of(person)
    resource = population_resource()
    consumer = make_organisation(name="市卫生健康委")
    grant(resource, consumer, ["name", "household_status"])

    reply = _ask(consumer, resource, ["name", "household_status"], number)

    assert reply.ok, reply.reason
    assert reply.data == {"name": "钱多多", "household_status": "正常"}
    call = CallLog.objects.get(pk=reply.call_id)
    assert call.result == CallResult.OK and call.consumer == consumer and call.provider == resource.provider
    assert call.subject_index == person.identity.resident_id_index and number not in call.subject_masked
    entry = AuditEntry.objects.get(pk=call.audit_seq)
    assert entry.action == "exchange.call"
    assert entry.data["digest"] == call.response_digest != ""
    assert entry.data["purpose"].startswith("办理出生医学证明补发")
    assert number not in str(entry.data)  # the audit row never holds the ID number itself


def test_a_field_outside_the_grant_is_refused_and_nothing_is_returned() -> None:
    person = make_person()
    resource = population_resource()
    consumer = make_organisation()
    grant(resource, consumer, ["name"])

    reply = _ask(consumer, resource, ["name", "birth_date"], account_services.resident_id_of(person))

    assert reply.result == CallResult.DENIED and reply.data == {}
    assert "出生日期（birth_date）" in reply.reason
    assert CallLog.objects.get(pk=reply.call_id).result == CallResult.DENIED


def test_unknown_fields_and_a_missing_purpose_are_refused() -> None:
    person = make_person()
    resource = population_resource()
    consumer = make_organisation()
    grant(resource, consumer)
    number = account_services.resident_id_of(person)
    assert "没有以下信息项：salary" in _ask(consumer, resource, ["salary"], number).reason
    assert "写明本次读取数据的用途" in _ask(consumer, resource, ["name"], number, purpose=" ").reason


def test_an_organisation_without_a_grant_is_refused_with_the_reason() -> None:
    resource = population_resource()
    reply = _ask(make_organisation(), resource, ["name"], account_services.resident_id_of(make_person()))
    assert reply.result == CallResult.DENIED and "尚未获得“人口基础信息”的共享授权" in reply.reason


def test_an_expired_grant_is_refused() -> None:
    resource = population_resource()
    consumer = make_organisation()
    held = grant(resource, consumer)
    Grant.objects.filter(pk=held.pk).update(valid_until=timezone.now() - dt.timedelta(minutes=1))

    reply = _ask(consumer, resource, ["name"], account_services.resident_id_of(make_person()))

    assert reply.result == CallResult.DENIED and "已于" in reply.reason and "到期" in reply.reason


def test_a_revoked_grant_is_refused() -> None:
    resource = population_resource()
    consumer = make_organisation()
    held = grant(resource, consumer)
    services.revoke_grant(held, actor=None, reason="用途已结束")

    reply = _ask(consumer, resource, ["name"], account_services.resident_id_of(make_person()))

    assert reply.result == CallResult.DENIED and "已被撤销（用途已结束）" in reply.reason
    with pytest.raises(services.ExchangeError, match="不能撤销"):
        services.revoke_grant(held, actor=None, reason="再次撤销")


def test_unconditional_resources_are_granted_on_request_and_conditional_ones_wait() -> None:
    consumer = make_organisation()
    unconditional = legal_entity_resource()
    granted = services.request_grant(
        actor=None, resource=unconditional, consumer=consumer, fields=["name"], purpose="核验企业名称"
    )
    assert granted.status == GrantStatus.APPROVED and granted.valid_until is not None

    conditional = population_resource()
    with pytest.raises(services.ExchangeError, match="申请依据"):
        services.request_grant(
            actor=None, resource=conditional, consumer=consumer, fields=["name"], purpose="核验申请人姓名"
        )
    pending = services.request_grant(
        actor=None,
        resource=conditional,
        consumer=consumer,
        fields=["name"],
        purpose="核验申请人姓名",
        basis="履职需要",
    )
    assert pending.status == GrantStatus.PENDING


def test_enterprise_data_through_the_gateway_and_an_unknown_code_is_not_found() -> None:
    enterprise = make_enterprise(name="杭州共享数据有限公司")
    resource = legal_entity_resource()
    consumer = make_organisation()
    grant(resource, consumer, ["name", "status"])
    reply = _ask(consumer, resource, ["name", "status"], enterprise.uscc)
    assert reply.ok and reply.data == {"name": "杭州共享数据有限公司", "status": "存续"}

    from accounts.identity_factories import make_enterprise_uscc

    missing = _ask(consumer, resource, ["name"], make_enterprise_uscc())
    assert missing.result == CallResult.NOT_FOUND


def test_calls_over_the_rate_are_refused(settings) -> None:
    settings.YIWANG_EXCHANGE_RATE = 2
    resource = population_resource()
    consumer = make_organisation()
    grant(resource, consumer)
    number = account_services.resident_id_of(make_person())
    results = [_ask(consumer, resource, ["name"], number).result for _ in range(3)]
    assert results == [CallResult.OK, CallResult.OK, CallResult.RATE_LIMITED]
