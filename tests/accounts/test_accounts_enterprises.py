from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.identity_factories import (
    authorise,
    make_enterprise,
    make_enterprise_uscc,
    make_person,
)
from yiwang.accounts import enterprises, permissions, registries, services
from yiwang.accounts.models import AgentAuthorisation, EntityStatus, RealNameLevel
from yiwang.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_representative_registers_an_enterprise_found_in_the_registry() -> None:
    enterprise = make_enterprise()
    assert enterprise.verified_at is not None
    assert AuditEntry.objects.filter(action="enterprise.registered", object_id=str(enterprise.pk)).exists()
    assert permissions.may_act_for(enterprise.representative, enterprise, "ANY-CODE")


@pytest.mark.parametrize(
    ("uscc", "code"),
    [("91330106MA2AB1234", "uscc_length"), ("91330106MA2AB12340", "uscc_checksum")],
)
def test_bad_uscc_is_refused_precisely(uscc: str, code: str) -> None:
    person = make_person(level=RealNameLevel.L2)
    with pytest.raises(ValidationError) as exc:
        enterprises.register_enterprise(user=person, uscc=uscc)
    assert exc.value.code == code


def test_registration_needs_l2_registry_record_active_status_and_the_representative() -> None:
    l1 = make_person(level=RealNameLevel.L1)
    with pytest.raises(ValidationError) as low:
        enterprises.register_enterprise(user=l1, uscc=make_enterprise_uscc())
    assert low.value.code == "level_too_low"

    person = make_person(level=RealNameLevel.L2)
    with pytest.raises(ValidationError) as unknown:
        enterprises.register_enterprise(user=person, uscc=make_enterprise_uscc())
    assert unknown.value.code == "entity_unknown"

    cancelled = make_enterprise_uscc()
    registries.add_registry_entity(
        cancelled,
        "已注销公司",
        representative_name=person.display_name,
        representative_resident_id=services.resident_id_of(person),
        status=EntityStatus.CANCELLED,
    )
    with pytest.raises(ValidationError) as inactive:
        enterprises.register_enterprise(user=person, uscc=cancelled)
    assert inactive.value.code == "entity_inactive"

    someone_elses = make_enterprise_uscc()
    other = make_person(level=RealNameLevel.L2)
    registries.add_registry_entity(
        someone_elses,
        "别人的公司",
        representative_name=other.display_name,
        representative_resident_id=services.resident_id_of(other),
    )
    with pytest.raises(ValidationError) as not_rep:
        enterprises.register_enterprise(user=person, uscc=someone_elses)
    assert not_rep.value.code == "not_representative"


def test_agent_sees_only_the_authorised_items_until_revoked() -> None:
    enterprise = make_enterprise()
    agent = make_person()
    grant = authorise(enterprise, agent, codes=("CODE-A", "CODE-B"))
    assert permissions.may_act_for(agent, enterprise, "CODE-A")
    assert not permissions.may_act_for(agent, enterprise, "CODE-C")
    assert permissions.authorised_item_codes(agent, enterprise) == {"CODE-A", "CODE-B"}
    assert list(permissions.enterprises_for(agent)) == [enterprise]

    enterprises.revoke_authorisation(grant, actor=enterprise.representative)
    assert not permissions.may_act_for(agent, enterprise, "CODE-A")
    assert list(permissions.enterprises_for(agent)) == []
    with pytest.raises(ValidationError):
        enterprises.revoke_authorisation(grant, actor=enterprise.representative)
    assert AuditEntry.objects.filter(action="enterprise.agent_revoked").count() == 1


def test_expired_authorisation_gives_nothing() -> None:
    enterprise = make_enterprise()
    agent = make_person()
    grant = authorise(enterprise, agent, all_items=True)
    assert permissions.authorised_item_codes(agent, enterprise) is None
    AgentAuthorisation.objects.filter(pk=grant.pk).update(
        valid_until=timezone.now() - dt.timedelta(minutes=1)
    )
    assert not permissions.may_act_for(agent, enterprise)


def test_only_the_representative_authorises_and_inputs_are_checked() -> None:
    enterprise = make_enterprise()
    agent = make_person()
    with pytest.raises(PermissionDenied):
        enterprises.authorise_agent(
            enterprise=enterprise,
            actor=agent,
            agent_phone=agent.phone,
            valid_until=timezone.now() + dt.timedelta(days=1),
            all_items=True,
        )
    with pytest.raises(ValidationError) as no_items:
        authorise(enterprise, agent)
    assert "item_codes" in no_items.value.message_dict
    with pytest.raises(ValidationError) as past:
        authorise(enterprise, agent, all_items=True, days=-1)
    assert "valid_until" in past.value.message_dict
    with pytest.raises(ValidationError) as unknown:
        enterprises.authorise_agent(
            enterprise=enterprise,
            actor=enterprise.representative,
            agent_phone="13900000000",
            valid_until=timezone.now() + dt.timedelta(days=1),
            all_items=True,
        )
    assert "尚未注册" in unknown.value.message_dict["agent_phone"][0]


def test_switching_context_is_checked_each_time() -> None:
    enterprise = make_enterprise()
    agent = make_person()
    grant = authorise(enterprise, agent, all_items=True)
    session: dict = {}
    assert enterprises.switch_context(session, agent, enterprise.pk) == enterprise
    assert enterprises.acting_enterprise(session, agent) == enterprise
    enterprises.revoke_authorisation(grant, actor=enterprise.representative)
    assert enterprises.acting_enterprise(session, agent) is None
    with pytest.raises(PermissionDenied):
        enterprises.switch_context(session, agent, enterprise.pk)
    with pytest.raises(PermissionDenied):
        enterprises.switch_context(session, make_person(), enterprise.pk)
