"""The exchange gateway: one function every read of shared data goes through.

`query(consumer, Query(...))` checks, in order: the resource exists and is shareable, the fields exist,
the subject is well formed, the consumer holds an approved, unexpired grant covering every requested field,
and the consumer is within its call rate. Then it asks the resource's source and returns only the granted
fields it asked for. Every call — answered or refused — is written to the tamper-evident audit chain
(core.audit) and to CallLog (the indexed copy behind "谁查看了我的数据"), in one transaction.

Callers: the signed HTTP endpoint (api.py, after signing.verify_request), prefill for cases and the identity
registries (platform-internal calls: no HTTP signature, same grant checks and the same log).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit, ratelimit
from yiwang.core.crypto import digest
from yiwang.core.models import Organisation

from . import selectors, sources
from .models import CallLog, CallResult, Resource, SharingType

logger = logging.getLogger("yiwang.exchange")

RATE_SCOPE = "exchange"
MAX_FIELDS = 50


def consumer_rate() -> int:
    """Calls per minute per consuming organisation (YIWANG_EXCHANGE_RATE; 0 switches the limit off)."""
    return int(getattr(settings, "YIWANG_EXCHANGE_RATE", 1200))


@dataclass(frozen=True)
class Query:
    resource_code: str
    fields: Sequence[str]
    subject: str
    purpose: str
    case_id: int | None = None
    case_number: str = ""
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    result: str
    data: dict[str, Any]
    reason: str
    call_id: int
    audit_seq: int
    resource_name: str = ""
    provider_name: str = ""

    @property
    def ok(self) -> bool:
        return self.result == CallResult.OK


class _Refusal(Exception):
    def __init__(self, result: str, reason: str) -> None:
        super().__init__(reason)
        self.result = result
        self.reason = reason


def _field_names(resource: Resource, codes: Sequence[str]) -> str:
    names = dict(resource.fields.values_list("code", "name"))
    return "、".join(f"{names.get(code, code)}（{code}）" for code in codes)


def _check_request(query: Query) -> list[str]:
    fields = [str(f).strip() for f in query.fields if str(f).strip()]
    if not fields:
        raise _Refusal(CallResult.DENIED, _("请至少指定一个要读取的信息项。"))
    if len(fields) > MAX_FIELDS:
        raise _Refusal(CallResult.DENIED, _("一次最多读取 %(n)d 个信息项。") % {"n": MAX_FIELDS})
    if not query.purpose.strip():
        raise _Refusal(CallResult.DENIED, _("请写明本次读取数据的用途（如办理的事项和办件编号）。"))
    return list(dict.fromkeys(fields))


def _check_grant(consumer: Organisation, resource: Resource, fields: list[str]) -> None:
    if resource.sharing_type == SharingType.NOT_SHARED:
        raise _Refusal(
            CallResult.DENIED,
            _("“%(r)s”为不予共享资源（依据：%(b)s）。")
            % {"r": resource.name, "b": resource.sharing_basis or "—"},
        )
    known = set(resource.fields.values_list("code", flat=True))
    unknown = [f for f in fields if f not in known]
    if unknown:
        raise _Refusal(
            CallResult.DENIED,
            _("“%(r)s”没有以下信息项：%(f)s。") % {"r": resource.name, "f": "、".join(unknown)},
        )
    grant = selectors.active_grant(consumer.pk, resource.pk)
    if grant is None:
        raise _Refusal(CallResult.DENIED, selectors.why_no_grant(consumer.pk, resource))
    ungranted = [f for f in fields if f not in grant.fields]
    if ungranted:
        raise _Refusal(
            CallResult.DENIED,
            _("未获授权读取以下信息项：%(f)s。请先向%(p)s申请扩大授权范围。")
            % {"f": _field_names(resource, ungranted), "p": resource.provider.name},
        )


def _check_rate(consumer: Organisation) -> None:
    decision = ratelimit.hit(RATE_SCOPE, str(consumer.pk), limit=consumer_rate())
    if not decision.allowed:
        raise _Refusal(
            CallResult.RATE_LIMITED,
            _("本单位每分钟调用次数已达上限（%(n)d 次），请 %(s)d 秒后重试。")
            % {"n": decision.limit, "s": decision.retry_after},
        )


def _fetch(resource: Resource, query: Query, fields: list[str]) -> dict[str, Any]:
    source = sources.get_source(resource.adapter)
    assert source is not None  # checked by query()
    try:
        answer = source.fetch(query.subject, dict(query.options))
    except Exception:  # a broken source must be logged as such, never crash the caller's transaction
        logger.exception("exchange source failed", extra={"resource": resource.code})
        raise _Refusal(
            CallResult.ERROR, _("%(p)s的数据源暂时无法访问，请稍后重试。") % {"p": resource.provider.name}
        ) from None
    if not answer.found:
        raise _Refusal(
            CallResult.NOT_FOUND,
            _("%(p)s的“%(r)s”中没有该对象的记录。") % {"p": resource.provider.name, "r": resource.name},
        )
    return {name: answer.values.get(name) for name in fields}


def query(consumer: Organisation, request: Query, *, key_id: str = "") -> Reply:
    """Answer one read of shared data for `consumer`, or refuse it; log and audit either way."""
    resource = (
        Resource.objects.select_related("provider")
        .filter(code=request.resource_code.strip(), is_active=True)
        .first()
    )
    subject = sources.Subject("", "")
    fields: list[str] = [str(f) for f in request.fields][:MAX_FIELDS]
    data: dict[str, Any] = {}
    result: str = CallResult.OK
    reason = ""
    try:
        if resource is None:
            raise _Refusal(
                CallResult.DENIED, _("资源代码“%(c)s”不存在或已停用。") % {"c": request.resource_code[:40]}
            )
        fields = _check_request(request)
        if sources.get_source(resource.adapter) is None:
            raise _Refusal(CallResult.ERROR, _("“%(r)s”尚未接入交换网关。") % {"r": resource.name})
        try:
            subject = sources.describe_subject(resource.adapter, request.subject)
        except sources.SubjectInvalid as exc:
            raise _Refusal(CallResult.DENIED, _("查询对象不正确：%(e)s") % {"e": exc}) from None
        _check_grant(consumer, resource, fields)
        _check_rate(consumer)
        data = _fetch(resource, request, fields)
    except _Refusal as refusal:
        result, reason, data = refusal.result, refusal.reason, {}
    call = _log(consumer, resource, request, subject, fields, result, reason, data, key_id)
    return Reply(
        result=result,
        data=data,
        reason=reason,
        call_id=call.pk,
        audit_seq=call.audit_seq,
        resource_name=resource.name if resource else "",
        provider_name=resource.provider.name if resource else "",
    )


def _log(
    consumer: Organisation,
    resource: Resource | None,
    request: Query,
    subject: sources.Subject,
    fields: list[str],
    result: str,
    reason: str,
    data: dict[str, Any],
    key_id: str,
) -> CallLog:
    response_digest = digest(data) if result == CallResult.OK else ""
    code = resource.code if resource else request.resource_code[:40]
    record = {
        "consumer": consumer.uscc,
        "provider": resource.provider.uscc if resource else "",
        "resource": code,
        "fields": fields,
        "purpose": request.purpose[:300],
        "case_id": request.case_id,
        "case_number": request.case_number[:50],
        "subject": subject.index,
        "result": result,
        "reason": reason[:300],
        "digest": response_digest,
        "key": key_id or "internal",
    }
    with transaction.atomic():
        entry = audit.record(
            actor=f"exchange:{key_id or 'internal'}:{consumer.uscc}",
            action="exchange.call",
            object_type="exchange.resource",
            object_id=code,
            summary=f"{consumer.name} 读取 {resource.name if resource else code}：{CallResult(result).label}",
            data=record,
        )
        return CallLog.objects.create(
            occurred_at=timezone.now(),
            consumer=consumer,
            provider=resource.provider if resource else None,
            resource=resource,
            resource_code=code,
            key_id=key_id,
            purpose=request.purpose[:300],
            case_id=request.case_id,
            case_number=request.case_number[:50],
            subject_index=subject.index,
            subject_masked=subject.masked,
            fields=fields,
            result=result,
            reason=reason[:300],
            response_digest=response_digest,
            audit_seq=entry.pk,
        )
