"""Exchange writes: catalogue entries, grant requests and decisions, consumer keys.

Each runs in one transaction, checks the actor's role through accounts.permissions (an administrator of the
providing organisation decides on requests to its resources; an administrator of the consuming organisation
requests and holds keys), changes a grant's status only through TRANSITIONS with a guarded UPDATE, writes an
audit row, and publishes `exchange.*` events after commit. `actor=None` is the platform itself (demo data,
management commands); views always pass the signed-in user.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.accounts import permissions
from yiwang.core import audit, events, sm2
from yiwang.core.models import Organisation

from .models import (
    Credential,
    Grant,
    GrantStatus,
    InternalConsumer,
    OpenType,
    Resource,
    ResourceField,
    SharingType,
    SubjectKind,
    UpdateCycle,
)
from .selectors import GRANT_ADMIN_ROLES

DEFAULT_GRANT_DAYS = 365
MAX_GRANT_DAYS = 3 * 365

# (from, action) -> to: the only way a grant's status changes.
TRANSITIONS: dict[tuple[str, str], str] = {
    (GrantStatus.PENDING, "approve"): GrantStatus.APPROVED,
    (GrantStatus.PENDING, "refuse"): GrantStatus.REFUSED,
    (GrantStatus.APPROVED, "revoke"): GrantStatus.REVOKED,
}


class ExchangeError(ValidationError):
    """Bad input or a refused operation, with a message the user can act on."""


def _require_admin(actor: Any, organisation: Organisation) -> None:
    if actor is None:
        return  # the platform itself
    if not permissions.has_role(actor, GRANT_ADMIN_ROLES, organisation):
        raise PermissionDenied(
            _("您不是“%(o)s”的管理员，不能办理该单位的数据共享事务。") % {"o": organisation.name}
        )


def _grant_state(grant: Grant) -> dict[str, Any]:
    return {
        "id": grant.pk,
        "resource": grant.resource.code,
        "consumer": grant.consumer.uscc,
        "fields": list(grant.fields),
        "status": grant.status,
        "valid_until": grant.valid_until.isoformat() if grant.valid_until else None,
    }


def _clean_fields(resource: Resource, fields: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(str(f).strip() for f in fields if str(f).strip()))
    if not wanted:
        raise ExchangeError(_("请至少选择一个信息项。"), code="no_fields")
    known = list(resource.fields.order_by("order", "id").values_list("code", flat=True))
    unknown = [f for f in wanted if f not in known]
    if unknown:
        raise ExchangeError(
            _("“%(r)s”没有以下信息项：%(f)s。") % {"r": resource.name, "f": "、".join(unknown)},
            code="unknown_fields",
        )
    return [f for f in known if f in wanted]


# --- catalogue ------------------------------------------------------------------------------------------------


@transaction.atomic
def save_resource(
    *,
    actor: Any,
    provider: Organisation,
    code: str,
    name: str,
    sharing_type: str,
    subject_kind: str,
    fields: Sequence[Mapping[str, Any]],
    sharing_basis: str = "",
    sharing_conditions: str = "",
    open_type: str = OpenType.NOT_OPEN,
    update_cycle: str = UpdateCycle.REALTIME,
    summary: str = "",
    adapter: str = "",
    source_names: Sequence[str] = (),
    prefill_fields: Sequence[str] = (),
) -> Resource:
    """Create or update one catalogue entry with its fields (by code; fields not listed are removed)."""
    _require_admin(actor, provider)
    code = code.strip()
    if not code or len(code) > 40:
        raise ExchangeError(_("资源代码不能为空，且不超过40个字符。"), code="code")
    if not name.strip():
        raise ExchangeError(_("请填写资源名称。"), code="name")
    if sharing_type not in SharingType.values:
        raise ExchangeError(_("共享类型应为无条件共享、有条件共享或不予共享。"), code="sharing_type")
    if sharing_type != SharingType.UNCONDITIONAL and not sharing_basis.strip():
        raise ExchangeError(_("有条件共享和不予共享的资源须写明法律、法规或政策依据。"), code="sharing_basis")
    if open_type not in OpenType.values or update_cycle not in UpdateCycle.values:
        raise ExchangeError(_("开放类型或更新周期不正确。"), code="choices")
    if subject_kind not in SubjectKind.values:
        raise ExchangeError(_("查询对象类型不正确。"), code="subject_kind")
    field_codes = [str(f["code"]).strip() for f in fields]
    if not field_codes or len(set(field_codes)) != len(field_codes) or not all(field_codes):
        raise ExchangeError(_("请列出资源的信息项，信息项代码不能为空或重复。"), code="fields")
    if set(prefill_fields) - set(field_codes):
        raise ExchangeError(_("免提交所取字段须是资源的信息项。"), code="prefill_fields")
    existing = Resource.objects.select_for_update().filter(code=code).first()
    before = None
    if existing is not None:
        if existing.provider_id != provider.pk:
            raise ExchangeError(_("资源代码“%(c)s”已被其他单位使用。") % {"c": code}, code="code_taken")
        before = {"name": existing.name, "sharing_type": existing.sharing_type}
    resource, _created = Resource.objects.update_or_create(
        code=code,
        defaults={
            "name": name.strip(),
            "provider": provider,
            "summary": summary,
            "sharing_type": sharing_type,
            "sharing_basis": sharing_basis.strip(),
            "sharing_conditions": sharing_conditions.strip(),
            "open_type": open_type,
            "update_cycle": update_cycle,
            "subject_kind": subject_kind,
            "adapter": adapter,
            "source_names": "\n".join(source_names),
            "prefill_fields": list(prefill_fields),
            "is_active": True,
        },
    )
    resource.fields.exclude(code__in=field_codes).delete()
    for order, spec in enumerate(fields, start=1):
        ResourceField.objects.update_or_create(
            resource=resource,
            code=str(spec["code"]).strip(),
            defaults={
                "name": spec.get("name") or spec["code"],
                "data_type": spec.get("data_type", "string"),
                "is_sensitive": bool(spec.get("is_sensitive", False)),
                "order": order,
            },
        )
    audit.record(
        actor=actor,
        action="exchange.resource_saved",
        object_type="exchange.resource",
        object_id=code,
        before=before,
        after={"name": resource.name, "sharing_type": sharing_type, "fields": field_codes},
        summary=f"资源目录：{code} {resource.name}",
    )
    return resource


# --- grants ---------------------------------------------------------------------------------------------------


def _valid_until(days: int | None, valid_until: dt.datetime | None) -> dt.datetime:
    now = timezone.now()
    if valid_until is None:
        valid_until = now + dt.timedelta(days=days or DEFAULT_GRANT_DAYS)
    if valid_until <= now:
        raise ExchangeError(_("授权有效期须晚于现在。"), code="valid_until")
    if valid_until > now + dt.timedelta(days=MAX_GRANT_DAYS):
        raise ExchangeError(_("授权有效期最长三年。"), code="valid_until")
    return valid_until


def _publish(name: str, grant: Grant) -> None:
    events.publish(
        name,
        {
            "grant_id": grant.pk,
            "resource": grant.resource.code,
            "consumer_id": grant.consumer_id,
            "provider_id": grant.resource.provider_id,
            "status": grant.status,
        },
    )


@transaction.atomic
def request_grant(
    *,
    actor: Any,
    resource: Resource,
    consumer: Organisation,
    fields: Iterable[str],
    purpose: str,
    basis: str = "",
    days: int = DEFAULT_GRANT_DAYS,
) -> Grant:
    """A consuming organisation asks for fields of a resource. 无条件共享: granted at once, for `days`."""
    _require_admin(actor, consumer)
    resource = Resource.objects.select_related("provider").get(pk=resource.pk)
    if not resource.is_active:
        raise ExchangeError(_("该资源已停用，不能申请。"), code="inactive")
    if resource.sharing_type == SharingType.NOT_SHARED:
        raise ExchangeError(
            _("“%(r)s”为不予共享资源（依据：%(b)s），不能申请。")
            % {"r": resource.name, "b": resource.sharing_basis},
            code="not_shared",
        )
    if consumer.pk == resource.provider_id:
        raise ExchangeError(_("本单位的资源无需申请共享。"), code="own_resource")
    chosen = _clean_fields(resource, fields)
    purpose = purpose.strip()
    if len(purpose) < 4:
        raise ExchangeError(_("请写明使用用途（如用于办理哪些事项），至少4个字。"), code="purpose")
    if resource.sharing_type == SharingType.CONDITIONAL and not basis.strip():
        raise ExchangeError(
            _("“%(r)s”为有条件共享资源，请写明申请依据（法律法规或履职需要）。") % {"r": resource.name},
            code="basis",
        )
    if not 1 <= days <= MAX_GRANT_DAYS:
        raise ExchangeError(_("申请期限应在1天到3年之间。"), code="days")
    if (
        Grant.objects.select_for_update()
        .filter(consumer=consumer, resource=resource, status=GrantStatus.PENDING)
        .exists()
    ):
        raise ExchangeError(_("本单位对该资源已有待审批的申请，请等待审批结果。"), code="duplicate")
    unconditional = resource.sharing_type == SharingType.UNCONDITIONAL
    user = actor if getattr(actor, "is_authenticated", False) else None
    grant = Grant.objects.create(
        resource=resource,
        consumer=consumer,
        fields=chosen,
        purpose=purpose[:2000],
        basis=basis.strip()[:2000],
        requested_by=user,
    )
    audit.record(
        actor=actor,
        action="exchange.grant_requested",
        object_type="exchange.grant",
        object_id=grant.pk,
        after=_grant_state(grant),
        summary=f"{consumer.name} 申请共享 {resource.name}",
    )
    _publish("exchange.grant_requested", grant)
    if unconditional:
        grant = _decide(
            grant,
            "approve",
            actor=None,
            values={
                "valid_until": _valid_until(days, None),
                "decision_reason": _("无条件共享资源，申请即授权。"),
            },
        )
    return grant


def _decide(grant: Grant, action: str, *, actor: Any, values: dict[str, Any]) -> Grant:
    """Apply one transition with a guarded UPDATE (same transaction as the caller)."""
    source = GrantStatus(grant.status)
    target = TRANSITIONS.get((source, action))
    if target is None:
        raise ExchangeError(
            _("该申请当前状态为“%(s)s”，不能%(a)s。")
            % {"s": source.label, "a": ACTION_LABELS.get(action, action)},
            code="transition",
        )
    before = _grant_state(grant)
    user = actor if getattr(actor, "is_authenticated", False) else None
    if action in ("approve", "refuse"):
        values = {**values, "decided_by": user, "decided_at": timezone.now()}
    changed = Grant.objects.filter(pk=grant.pk, status=source).update(status=target, **values)
    if changed != 1:
        raise ExchangeError(_("该申请刚刚已被他人处理，请刷新后查看。"), code="conflict")
    grant.refresh_from_db()
    audit.record(
        actor=actor,
        action=f"exchange.grant_{action}",
        object_type="exchange.grant",
        object_id=grant.pk,
        before=before,
        after=_grant_state(grant),
        summary=f"{ACTION_LABELS[action]}：{grant.consumer.name} · {grant.resource.name}",
    )
    _publish(f"exchange.grant_{PAST_TENSE[action]}", grant)
    return grant


ACTION_LABELS = {
    "approve": gettext_lazy("批准"),
    "refuse": gettext_lazy("不予批准"),
    "revoke": gettext_lazy("撤销"),
}
PAST_TENSE = {"approve": "approved", "refuse": "refused", "revoke": "revoked"}


def _locked(grant: Grant) -> Grant:
    return Grant.objects.select_for_update().select_related("resource__provider", "consumer").get(pk=grant.pk)


@transaction.atomic
def approve_grant(
    grant: Grant,
    *,
    actor: Any,
    valid_until: dt.datetime | None = None,
    fields: Iterable[str] | None = None,
    reason: str = "",
) -> Grant:
    """The provider approves a request, possibly for fewer fields and a shorter time than asked."""
    grant = _locked(grant)
    _require_admin(actor, grant.resource.provider)
    chosen = list(grant.fields)
    if fields is not None:
        chosen = _clean_fields(grant.resource, fields)
        if set(chosen) - set(grant.fields):
            raise ExchangeError(_("只能批准申请范围内的信息项。"), code="fields")
    values = {
        "valid_until": _valid_until(None, valid_until),
        "fields": chosen,
        "decision_reason": reason.strip(),
    }
    return _decide(grant, "approve", actor=actor, values=values)


@transaction.atomic
def refuse_grant(grant: Grant, *, actor: Any, reason: str) -> Grant:
    grant = _locked(grant)
    _require_admin(actor, grant.resource.provider)
    if not reason.strip():
        raise ExchangeError(_("不予批准须写明理由，申请单位将看到该理由。"), code="reason")
    return _decide(grant, "refuse", actor=actor, values={"decision_reason": reason.strip()})


@transaction.atomic
def revoke_grant(grant: Grant, *, actor: Any, reason: str) -> Grant:
    """Either side may end a grant early (the provider, or the consumer giving it up)."""
    grant = _locked(grant)
    if actor is not None and not (
        permissions.has_role(actor, GRANT_ADMIN_ROLES, grant.resource.provider)
        or permissions.has_role(actor, GRANT_ADMIN_ROLES, grant.consumer)
    ):
        raise PermissionDenied(_("只有提供单位或使用单位的管理员可以撤销授权。"))
    if not reason.strip():
        raise ExchangeError(_("撤销授权须写明理由。"), code="reason")
    return _decide(
        grant, "revoke", actor=actor, values={"revoked_at": timezone.now(), "revoke_reason": reason.strip()}
    )


# --- consumer keys ----------------------------------------------------------------------------------------------


@transaction.atomic
def issue_credential(*, actor: Any, organisation: Organisation, label: str = "") -> tuple[Credential, str]:
    """A new SM2 key pair for `organisation`. The private key is returned once and never stored."""
    _require_admin(actor, organisation)
    pair = sm2.generate_keypair()
    credential = Credential.objects.create(
        organisation=organisation,
        key_id=pair.fingerprint,
        public_hex=pair.public_hex,
        label=label.strip()[:100],
    )
    audit.record(
        actor=actor,
        action="exchange.credential_issued",
        object_type="exchange.credential",
        object_id=credential.key_id,
        after={"organisation": organisation.uscc, "key_id": credential.key_id},
        summary=f"{organisation.name} 新建接入密钥 {credential.key_id}",
    )
    return credential, pair.private_hex


@transaction.atomic
def register_public_key(
    *, actor: Any, organisation: Organisation, public_hex: str, label: str = ""
) -> Credential:
    """Register a key pair the organisation generated itself (only the public key reaches the platform)."""
    _require_admin(actor, organisation)
    try:
        key_id = sm2.fingerprint(public_hex)
    except sm2.SM2Error as exc:
        raise ExchangeError(str(exc), code="public_key") from None
    credential, created = Credential.objects.get_or_create(
        key_id=key_id,
        defaults={
            "organisation": organisation,
            "public_hex": public_hex.strip().lower(),
            "label": label[:100],
        },
    )
    if not created and credential.organisation_id != organisation.pk:
        raise ExchangeError(_("该公钥已登记在其他单位名下。"), code="key_taken")
    if created:
        audit.record(
            actor=actor,
            action="exchange.credential_registered",
            object_type="exchange.credential",
            object_id=key_id,
            after={"organisation": organisation.uscc, "key_id": key_id},
            summary=f"{organisation.name} 登记接入公钥 {key_id}",
        )
    return credential


@transaction.atomic
def revoke_credential(credential: Credential, *, actor: Any) -> Credential:
    credential = Credential.objects.select_for_update().select_related("organisation").get(pk=credential.pk)
    _require_admin(actor, credential.organisation)
    changed = Credential.objects.filter(pk=credential.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if changed:
        audit.record(
            actor=actor,
            action="exchange.credential_revoked",
            object_type="exchange.credential",
            object_id=credential.key_id,
            summary=f"{credential.organisation.name} 停用接入密钥 {credential.key_id}",
        )
    credential.refresh_from_db()
    return credential


@transaction.atomic
def set_internal_consumer(use: str, organisation: Organisation, *, actor: Any = None) -> InternalConsumer:
    """Name the organisation in whose name the platform reads shared data for `use` (superusers only)."""
    if actor is not None and not permissions.is_superuser(actor):
        raise PermissionDenied(_("只有系统管理员可以设置平台内部使用单位。"))
    row, _created = InternalConsumer.objects.update_or_create(
        use=use, defaults={"organisation": organisation}
    )
    audit.record(
        actor=actor,
        action="exchange.internal_consumer",
        object_type="exchange.internal_consumer",
        object_id=use,
        after={"organisation": organisation.uscc},
        summary=f"平台内部使用单位（{use}）：{organisation.name}",
    )
    return row
