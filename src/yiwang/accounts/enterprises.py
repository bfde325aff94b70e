"""Enterprises (法人): registration by USCC against the legal-entity registry, agents and their scope."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts import permissions, registries
from yiwang.accounts.models import (
    AgentAuthorisation,
    Enterprise,
    PersonIdentity,
    RealNameLevel,
    User,
)
from yiwang.core import audit
from yiwang.core.validators import validate_mobile, validate_uscc

SESSION_KEY = "yiwang_acting_enterprise"


def register_enterprise(*, user: User, uscc: str) -> Enterprise:
    """The legal representative registers the enterprise; the registry must know it, active, with them
    as representative (matched by resident ID), and they must be verified at least at L2."""
    code = validate_uscc(uscc)
    identity = PersonIdentity.objects.filter(user=user).first()
    if identity is None or identity.level < RealNameLevel.L2:
        raise ValidationError(
            _("登记企业需要法定代表人本人实名二级及以上，请先完成人口库核验。"), code="level_too_low"
        )
    record = registries.legal_entity_registry().lookup(code)
    if record is None:
        raise ValidationError(_("法人库中没有该统一社会信用代码，请核对后重新输入。"), code="entity_unknown")
    if not record.is_active:
        raise ValidationError(_("该企业在法人库中的登记状态不是“存续”，不能登记。"), code="entity_inactive")
    if record.representative_id_index != identity.resident_id_index:
        raise ValidationError(
            _("您不是法人库登记的该企业法定代表人。经办人请由法定代表人在平台上为您授权。"),
            code="not_representative",
        )
    with transaction.atomic():
        if Enterprise.objects.filter(uscc=code).exists():
            raise ValidationError(_("该企业已在平台登记。"), code="entity_exists")
        enterprise = Enterprise.objects.create(
            uscc=code, name=record.name, representative=user, verified_at=timezone.now()
        )
        audit.record(
            actor=user,
            action="enterprise.registered",
            object_type="accounts.Enterprise",
            object_id=enterprise.pk,
            summary=f"登记企业 {record.name}（{code}）",
        )
    return enterprise


def authorise_agent(
    *,
    enterprise: Enterprise,
    actor: User,
    agent_phone: str,
    valid_until: datetime,
    all_items: bool = False,
    item_codes: Iterable[str] = (),
) -> AgentAuthorisation:
    if enterprise.representative_id != actor.pk:
        raise PermissionDenied(_("只有企业的法定代表人可以授权经办人。"))
    phone = validate_mobile(agent_phone)
    agent = User.objects.filter(username=phone, is_active=True).first()
    if agent is None:
        raise ValidationError(
            {"agent_phone": [_("该手机号码尚未注册。请经办人先注册并完成实名，再为其授权。")]},
            code="agent_unknown",
        )
    if agent.pk == actor.pk:
        raise ValidationError(
            {"agent_phone": [_("法定代表人本人无需授权。")]}, code="agent_is_representative"
        )
    codes = sorted({c.strip() for c in item_codes if c.strip()})
    if not all_items and not codes:
        raise ValidationError(
            {"item_codes": [_("请选择“全部事项”，或至少填写一个事项实施编码。")]}, code="no_items"
        )
    if valid_until <= timezone.now():
        raise ValidationError({"valid_until": [_("有效期须晚于当前时间。")]}, code="expiry_past")
    with transaction.atomic():
        grant = AgentAuthorisation.objects.create(
            enterprise=enterprise,
            agent=agent,
            all_items=all_items,
            item_codes=[] if all_items else codes,
            valid_until=valid_until,
            granted_by=actor,
        )
        audit.record(
            actor=actor,
            action="enterprise.agent_authorised",
            object_type="accounts.AgentAuthorisation",
            object_id=grant.pk,
            after={
                "agent": agent.pk,
                "all_items": all_items,
                "item_codes": grant.item_codes,
                "valid_until": valid_until.isoformat(),
            },
            summary=f"授权经办人 {agent}（{'全部事项' if all_items else '、'.join(codes)}）",
        )
    return grant


def revoke_authorisation(grant: AgentAuthorisation, *, actor: User) -> None:
    if grant.enterprise.representative_id != actor.pk:
        raise PermissionDenied(_("只有企业的法定代表人可以撤销授权。"))
    with transaction.atomic():
        changed = AgentAuthorisation.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if not changed:
            raise ValidationError(_("该授权已经撤销。"), code="already_revoked")
        audit.record(
            actor=actor,
            action="enterprise.agent_revoked",
            object_type="accounts.AgentAuthorisation",
            object_id=grant.pk,
            summary=f"撤销经办人 {grant.agent} 的授权",
        )


def switch_context(session: Any, user: User, enterprise_id: int | None) -> Enterprise | None:
    """Act as oneself (None) or for an enterprise the user represents or is authorised for."""
    if enterprise_id is None:
        session.pop(SESSION_KEY, None)
        return None
    enterprise = permissions.enterprises_for(user).filter(pk=enterprise_id).first()
    if enterprise is None:
        raise PermissionDenied(_("您没有代表该企业办事的权限，或授权已过期、已撤销。"))
    session[SESSION_KEY] = enterprise.pk
    audit.record(
        actor=user,
        action="enterprise.context_switched",
        object_type="accounts.Enterprise",
        object_id=enterprise.pk,
        summary=f"切换为代表 {enterprise.name} 办事",
    )
    return enterprise


def acting_enterprise(session: Any, user: Any) -> Enterprise | None:
    """The enterprise the user acts for in this session, re-checked on every call: a revoked or expired
    authorisation ends the context at once."""
    enterprise_id = session.get(SESSION_KEY)
    if not enterprise_id or not getattr(user, "is_authenticated", False):
        return None
    enterprise = permissions.enterprises_for(user).filter(pk=enterprise_id).first()
    if enterprise is None:
        session.pop(SESSION_KEY, None)
    return enterprise
