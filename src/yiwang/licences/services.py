"""Licence writes: one function per operation, each in one transaction with a guarded update, a
LicenceEvent and an audit row, and `licence.*` domain events published after commit.

Actors: a signed-in user, or SYSTEM (issuance on case approval, the expiry job). Who may do what:
- issue, suspend, reinstate, revoke, cancel: an approver (审批/决定) of the issuing organisation;
- licence types: an administrator of the defining organisation; keys: an administrator of the issuer;
- disclosure and use authorisations: the holder (the person, or someone who may act for the enterprise).
"""

from __future__ import annotations

import calendar
import datetime as dt
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts import permissions
from yiwang.accounts.models import Role
from yiwang.core import audit, events
from yiwang.core.models import Organisation

from . import content, holders, identifiers, keys, selectors, transitions
from .errors import Conflict, LicenceError, NotPermitted
from .holders import Holder
from .models import (
    HolderKind,
    Licence,
    LicenceEvent,
    LicenceStatus,
    LicenceTemplate,
    LicenceType,
    SerialCounter,
    UseGrant,
)

SYSTEM = "system"
OFFICIAL_ROLES = (Role.APPROVER,)
TYPE_ADMIN_ROLES = (Role.ADMIN,)
GRANT_DEFAULT_DAYS = 30
GRANT_MAX_DAYS = 365


def _is_system(actor: Any) -> bool:
    return actor == SYSTEM


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _audit_actor(actor: Any) -> Any:
    return None if _is_system(actor) else actor


def may_issue(actor: Any, issuer: Organisation) -> bool:
    return permissions.has_role(actor, OFFICIAL_ROLES, issuer)


def _require_official(actor: Any, issuer: Organisation, what: str) -> None:
    if _is_system(actor):
        return
    if not may_issue(actor, issuer):
        raise NotPermitted(_("您无权以“%(o)s”的名义%(w)s证照。") % {"o": issuer.name, "w": what})


# --- licence types ---------------------------------------------------------------------------------


def _clean_fields(fields: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in fields:
        name = str(item.get("name", "")).strip()
        if not name.isidentifier() or name in (content.HOLDER_NAME, content.HOLDER_ID) or name in seen:
            raise LicenceError(
                _("照面信息项“%(n)s”的字段名须为不重复的英文标识符，且不能是 holder_name 或 holder_id。")
                % {"n": name}
            )
        seen.add(name)
        cleaned.append(
            {
                "name": name,
                "label": str(item.get("label") or name),
                "required": bool(item.get("required", False)),
                "public": bool(item.get("public", False)),
            }
        )
    return cleaned


@transaction.atomic
def define_type(
    *,
    actor: Any,
    defining_organisation: Organisation,
    sequence: int,
    name: str,
    holder_kind: str,
    fields: Iterable[Mapping[str, Any]],
    issuers: Iterable[Organisation] = (),
    validity_months: int | None = None,
    template: str = LicenceTemplate.CERTIFICATE,
    result_names: Iterable[str] = (),
) -> LicenceType:
    """Create or update the type `defining USCC + sequence` (3 digits)."""
    if not _is_system(actor) and not permissions.has_role(actor, TYPE_ADMIN_ROLES, defining_organisation):
        raise NotPermitted(_("您无权为“%(o)s”定义证照类型。") % {"o": defining_organisation.name})
    if not 1 <= sequence <= 999:
        raise LicenceError(_("证照类型序号应为 001 至 999。"))
    if holder_kind not in HolderKind.values:
        raise LicenceError(_("持证主体类型应为自然人或法人。"))
    if template not in LicenceTemplate.values:
        raise LicenceError(_("版式应为证书（横版）或许可证（竖版）。"))
    if not name.strip():
        raise LicenceError(_("请填写证照名称。"))
    code = f"{defining_organisation.uscc}{sequence:03d}"
    if not identifiers.TYPE_CODE_RE.match(code):
        raise LicenceError(
            _("定义机构的统一社会信用代码不符合要求：%(c)s") % {"c": defining_organisation.uscc}
        )
    values = {
        "name": name.strip(),
        "defining_organisation": defining_organisation,
        "holder_kind": holder_kind,
        "fields": _clean_fields(fields),
        "validity_months": validity_months or None,
        "template": template,
        "result_names": sorted({n.strip() for n in result_names if n.strip()}),
    }
    before = (
        LicenceType.objects.filter(code=code)
        .values(*[k for k in values if k != "defining_organisation"])
        .first()
    )
    licence_type, _created = LicenceType.objects.update_or_create(code=code, defaults=values)
    licence_type.issuers.set(list(issuers))
    audit.record(
        actor=_audit_actor(actor),
        action="licences.type.define",
        object_type="licences.licencetype",
        object_id=licence_type.pk,
        before=before,
        after={"code": code, "name": values["name"], "fields": values["fields"]},
        summary=f"证照类型 {values['name']}（{code}）",
    )
    return licence_type


def type_for_result(result_name: str, issuer: Organisation) -> LicenceType | None:
    """The active licence type whose result names include the guide's 结果名称 and that this
    organisation may issue (a type with no listed issuers may be issued by any organisation)."""
    name = (result_name or "").strip()
    if not name:
        return None
    for licence_type in LicenceType.objects.filter(is_active=True).prefetch_related("issuers"):
        if name in licence_type.result_names:
            listed = list(licence_type.issuers.all())
            if not listed or issuer in listed:
                return licence_type
    return None


# --- issuance --------------------------------------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def validity_of(licence_type: LicenceType, valid_from: dt.date) -> dt.date | None:
    if not licence_type.validity_months:
        return None
    return _add_months(valid_from, licence_type.validity_months) - dt.timedelta(days=1)


def _clean_data(licence_type: LicenceType, data: Mapping[str, Any]) -> dict[str, Any]:
    known = {f["name"]: f for f in licence_type.fields}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise LicenceError(
            _("证照类型“%(t)s”没有这些照面信息项：%(f)s") % {"t": licence_type.name, "f": "、".join(unknown)}
        )
    cleaned = {name: str(value).strip() for name, value in data.items() if str(value or "").strip()}
    missing = [f["label"] for f in licence_type.fields if f.get("required") and f["name"] not in cleaned]
    if missing:
        raise LicenceError(_("请填写照面信息：%(f)s") % {"f": "、".join(missing)})
    return cleaned


def _next_serial(licence_type: LicenceType, issuer: Organisation, year: int) -> str:
    counter, _created = SerialCounter.objects.get_or_create(
        licence_type=licence_type, issuer=issuer, year=year
    )
    counter = SerialCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{year}{counter.last:08d}"


def _event(licence: Licence, action: str, actor: Any, from_status: str, to_status: str, reason: str) -> None:
    LicenceEvent.objects.create(
        licence=licence,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason[:300],
        actor=_user(actor),
        actor_label=(str(actor) if not _is_system(actor) else _("系统"))[:64],
        occurred_at=timezone.now(),
    )


def _state(licence: Licence) -> dict[str, Any]:
    return {"identifier": licence.identifier, "status": licence.status, "version": licence.lifecycle_version}


def _publish(name: str, licence: Licence, **extra: Any) -> None:
    events.publish(
        name,
        {
            "licence_id": licence.pk,
            "identifier": licence.identifier,
            "type_code": licence.licence_type.code,
            "issuer_id": licence.issuer_id,
            "status": licence.status,
            **extra,
        },
    )


@transaction.atomic
def issue(
    licence_type: LicenceType,
    *,
    issuer: Organisation,
    holder: Holder,
    data: Mapping[str, Any],
    actor: Any,
    valid_from: dt.date | None = None,
    case: Any = None,
    previous: Licence | None = None,
) -> Licence:
    """Issue a licence (or, with `previous`, its next version: renewal 延续 or change 变更), signed by the
    issuer's active SM2 key."""
    _require_official(actor, issuer, _("签发"))
    if not licence_type.is_active:
        raise LicenceError(_("证照类型“%(t)s”已停用，不能签发。") % {"t": licence_type.name})
    issuers = list(licence_type.issuers.all())
    if issuers and issuer not in issuers:
        raise LicenceError(_("“%(o)s”不是“%(t)s”的颁发机构。") % {"o": issuer.name, "t": licence_type.name})
    if holder.kind != licence_type.holder_kind:
        raise LicenceError(
            _("“%(t)s”的持证主体应为%(k)s。")
            % {"t": licence_type.name, "k": HolderKind(licence_type.holder_kind).label}
        )
    cleaned = _clean_data(licence_type, data)
    today = timezone.localdate()
    valid_from = valid_from or today
    if previous is not None:
        previous = Licence.objects.select_for_update().select_related("licence_type").get(pk=previous.pk)
        if previous.licence_type_id != licence_type.pk or previous.holder_id_index != holder.index:
            raise LicenceError(_("换发新版本须为同一持证主体的同一类证照。"))
        if previous.status not in transitions.TABLE["supersede"].sources:
            raise LicenceError(
                _("证照 %(i)s 当前状态为“%(s)s”，不能延续或变更。")
                % {"i": previous.identifier, "s": LicenceStatus(previous.status).label}
            )
        ident = identifiers.build(licence_type.code, issuer.uscc, previous.serial, previous.version + 1)
    else:
        ident = identifiers.build(
            licence_type.code, issuer.uscc, _next_serial(licence_type, issuer, today.year)
        )

    key = keys.ensure_key(issuer)
    salt = secrets.token_hex(16)
    committed = {content.HOLDER_NAME: holder.name, content.HOLDER_ID: holder.identifier, **cleaned}
    valid_until = validity_of(licence_type, valid_from)
    signed = content.build_content(
        identifier=str(ident),
        type_code=licence_type.code,
        type_name=licence_type.name,
        issuer_code=issuer.uscc,
        issuer_name=issuer.name,
        holder_kind=holder.kind,
        holder_id_masked=holder.masked,
        valid_from=valid_from,
        valid_until=valid_until,
        issued_on=today,
        version=ident.version,
        previous=previous.identifier if previous else "",
        key_fingerprint=key.fingerprint,
        field_commitments=content.commitments(salt, committed),
    )
    signature = content.sign(keys.private_key_of(key), key.public_hex, signed)
    public = [f["name"] for f in licence_type.fields if f.get("public")]
    licence = Licence.objects.create(
        identifier=str(ident),
        licence_type=licence_type,
        issuer=issuer,
        serial=ident.serial,
        version=ident.version,
        previous=previous,
        holder_kind=holder.kind,
        holder_name=holder.name,
        holder_id_ciphertext=holder.ciphertext(),
        holder_id_index=holder.index,
        holder_id_masked=holder.masked,
        data=cleaned,
        public_fields=public,
        valid_from=valid_from,
        valid_until=valid_until,
        issued_at=timezone.now(),
        issued_by=_user(actor),
        case=case,
        salt=salt,
        signed_content=content.canonical_json(signed),
        signature=signature,
        signing_key=key,
        status=LicenceStatus.VALID,
        status_changed_at=timezone.now(),
    )
    _event(
        licence,
        "issue",
        actor,
        "",
        LicenceStatus.VALID,
        _("依办件 %(n)s 签发") % {"n": case.number} if case else "",
    )
    audit.record(
        actor=_audit_actor(actor),
        action="licences.issue",
        object_type="licences.licence",
        object_id=licence.pk,
        after=_state(licence),
        summary=f"签发 {licence_type.name} {licence.identifier}",
        data={"case": getattr(case, "number", None), "previous": previous.identifier if previous else None},
    )
    if previous is not None:
        _transition(
            previous, "supersede", actor=SYSTEM, reason=_("已换发第 %(v)03d 版") % {"v": ident.version}
        )
    _publish("licence.issued", licence, case_id=getattr(case, "pk", None))
    return licence


# --- lifecycle -------------------------------------------------------------------------------------


def _transition(licence: Licence, action: str, *, actor: Any, reason: str) -> Licence:
    transition = transitions.TABLE.get(action)
    if transition is None:
        raise LicenceError(_("未知的证照操作：%(a)s") % {"a": action})
    if transition.who == transitions.SYSTEM and not _is_system(actor):
        raise NotPermitted(_("“%(a)s”由系统自动执行。") % {"a": transition.label})
    if transition.who == transitions.OFFICIAL:
        _require_official(actor, licence.issuer, transition.label)
    reason = (reason or "").strip()
    if transition.needs_reason and not reason:
        raise LicenceError(_("%(a)s证照须说明原因。") % {"a": transition.label})
    if licence.status not in transition.sources:
        raise LicenceError(
            _("证照当前状态为“%(s)s”，不能%(a)s。")
            % {"s": LicenceStatus(licence.status).label, "a": transition.label}
        )
    before = _state(licence)
    now = timezone.now()
    changed = Licence.objects.filter(
        pk=licence.pk, status=licence.status, lifecycle_version=licence.lifecycle_version
    ).update(
        status=transition.target,
        status_reason=reason[:300],
        status_changed_at=now,
        lifecycle_version=F("lifecycle_version") + 1,
    )
    if changed != 1:
        raise Conflict(_("证照 %(i)s 刚刚已被他人处理，请刷新后查看最新状态。") % {"i": licence.identifier})
    from_status = licence.status
    licence.status, licence.status_reason, licence.status_changed_at = transition.target, reason[:300], now
    licence.lifecycle_version += 1
    _event(licence, action, actor, from_status, transition.target, reason)
    audit.record(
        actor=_audit_actor(actor),
        action=f"licences.{action}",
        object_type="licences.licence",
        object_id=licence.pk,
        before=before,
        after=_state(licence),
        summary=f"{transitions.label(action)} {licence.identifier}",
        data={"reason": reason[:200]},
    )
    _publish(f"licence.{action}", licence, reason=reason[:200])
    return licence


@transaction.atomic
def change_status(licence: Licence, action: str, *, actor: Any, reason: str) -> Licence:
    """suspend / reinstate / revoke / cancel by an authorised official, with a reason."""
    if action not in transitions.OFFICIAL_ACTIONS:
        raise LicenceError(_("未知的证照操作：%(a)s") % {"a": action})
    locked = Licence.objects.select_for_update().select_related("issuer", "licence_type").get(pk=licence.pk)
    return _transition(locked, action, actor=actor, reason=reason)


def expire_due(today: dt.date | None = None) -> int:
    """The periodic job: every valid or suspended licence whose validity ended before today expires."""
    today = today or timezone.localdate()
    count = 0
    due = Licence.objects.filter(
        status__in=transitions.TABLE["expire"].sources, valid_until__isnull=False, valid_until__lt=today
    ).values_list("pk", flat=True)
    for pk in list(due.iterator(chunk_size=500)):
        with transaction.atomic():
            licence = Licence.objects.select_for_update().select_related("issuer", "licence_type").get(pk=pk)
            if (
                licence.status in transitions.TABLE["expire"].sources
                and licence.valid_until
                and licence.valid_until < today
            ):
                _transition(
                    licence,
                    "expire",
                    actor=SYSTEM,
                    reason=_("有效期已于 %(d)s 届满") % {"d": licence.valid_until.isoformat()},
                )
                count += 1
    return count


# --- the holder's choices --------------------------------------------------------------------------


def _require_holder(actor: Any, licence: Licence) -> None:
    if not selectors.wallet(actor).filter(pk=licence.pk).exists():
        raise NotPermitted(_("只有持证人本人（或其企业的法定代表人、经办人）可以这样做。"))


@transaction.atomic
def set_disclosure(licence: Licence, *, actor: Any, public_fields: Iterable[str]) -> Licence:
    """The holder decides which data fields a public verifier sees (holder_name included)."""
    _require_holder(actor, licence)
    allowed = {content.HOLDER_NAME, *licence.licence_type.field_labels()}
    chosen = sorted(set(public_fields))
    unknown = [name for name in chosen if name not in allowed]
    if unknown:
        raise LicenceError(_("没有这些信息项：%(f)s") % {"f": "、".join(unknown)})
    before = list(licence.public_fields)
    Licence.objects.filter(pk=licence.pk).update(public_fields=chosen)
    licence.public_fields = chosen
    audit.record(
        actor=actor,
        action="licences.disclosure",
        object_type="licences.licence",
        object_id=licence.pk,
        before=before,
        after=chosen,
        summary=f"设置公开核验可见信息 {licence.identifier}",
    )
    return licence


@transaction.atomic
def grant_use(licence: Licence, *, actor: Any, case: Any, days: int = GRANT_DEFAULT_DAYS) -> UseGrant:
    """用证授权: the holder lets the department handling `case` read this licence for that case."""
    _require_holder(actor, licence)
    licence = Licence.objects.select_for_update().get(pk=licence.pk)  # the status as of now, held
    if licence.status != LicenceStatus.VALID:
        raise LicenceError(
            _("证照当前状态为“%(s)s”，不能授权使用。") % {"s": LicenceStatus(licence.status).label}
        )
    if case is None or (
        case.applicant_id != actor.pk
        and not (case.enterprise is not None and permissions.may_act_for(actor, case.enterprise))
    ):
        raise NotPermitted(_("只能为本人（或本企业）的办件授权用证。"))
    if not 1 <= days <= GRANT_MAX_DAYS:
        raise LicenceError(_("授权期限应为 1 至 %(m)d 天。") % {"m": GRANT_MAX_DAYS})
    existing = selectors.active_grants(licence).filter(case=case, organisation=case.organisation).first()
    if existing is not None:
        return existing
    now = timezone.now()
    grant = UseGrant.objects.create(
        licence=licence,
        organisation=case.organisation,
        case=case,
        granted_by=actor,
        granted_at=now,
        valid_until=now + dt.timedelta(days=days),
    )
    audit.record(
        actor=actor,
        action="licences.grant",
        object_type="licences.usegrant",
        object_id=grant.pk,
        after={"licence": licence.identifier, "organisation": case.organisation_id, "case": case.number},
        summary=f"授权 {case.organisation.name} 在办件 {case.number} 中使用 {licence.identifier}",
    )
    events.publish(
        "licence.granted",
        {
            "licence_id": licence.pk,
            "identifier": licence.identifier,
            "organisation_id": case.organisation_id,
            "case_id": case.pk,
        },
    )
    return grant


@transaction.atomic
def revoke_grant(grant: UseGrant, *, actor: Any) -> UseGrant:
    _require_holder(actor, grant.licence)
    now = timezone.now()
    if UseGrant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(revoked_at=now) != 1:
        raise Conflict(_("该授权已撤销。"))
    grant.revoked_at = now
    audit.record(
        actor=actor,
        action="licences.grant_revoke",
        object_type="licences.usegrant",
        object_id=grant.pk,
        summary=f"撤销用证授权 {grant.licence.identifier}",
    )
    return grant


def record_read(licence: Licence, *, organisation_id: int, case_id: int, actor: Any = None) -> bool:
    """A department reads a licence for a case (the exchange gateway calls this): allowed only under an
    active grant; every read is counted and audited. Returns whether it was allowed."""
    grant = selectors.active_grants(licence).filter(organisation_id=organisation_id, case_id=case_id).first()
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="licences.read" if grant else "licences.read_refused",
            object_type="licences.licence",
            object_id=licence.pk,
            summary=f"{'调用' if grant else '拒绝调用'} {licence.identifier}（部门 {organisation_id}，办件 {case_id}）",
        )
        if grant is not None:
            UseGrant.objects.filter(pk=grant.pk).update(
                read_count=F("read_count") + 1, last_read_at=timezone.now()
            )
    return grant is not None


# --- issuance on case approval ---------------------------------------------------------------------

APPROVED_STATUSES = ("approved", "completed", "delivered")
CASE_FIELDS = {"case_number": lambda case: case.number, "decided_on": lambda case: str(case.decided_on or "")}


def _holder_of_case(case: Any) -> Holder:
    from yiwang.accounts.services import resident_id_of

    if case.enterprise_id:
        return holders.make_holder(HolderKind.ENTERPRISE, case.enterprise.uscc, case.enterprise.name)
    name = str(case.form_data.get("applicant_name") or case.applicant.display_name or "")
    return holders.make_holder(HolderKind.PERSON, resident_id_of(case.applicant), name)


def issue_for_case(case_id: int) -> Licence | None:
    """Issue the licence that an approved case's guide promises (结果类型 = 证照), once. Returns the
    licence, or None when the result is not a licence or no licence type matches."""
    from yiwang.cases.models import Case
    from yiwang.catalog.codes import ResultType

    case = Case.objects.select_related("guide", "organisation", "enterprise", "applicant").get(pk=case_id)
    if case.status not in APPROVED_STATUSES or case.guide.result_type != ResultType.LICENCE:
        return None
    existing = Licence.objects.filter(case=case).first()
    if existing is not None:
        return existing
    licence_type = type_for_result(case.guide.result_name, case.organisation)
    if licence_type is None:
        return None
    data = {
        f["name"]: CASE_FIELDS[f["name"]](case)
        if f["name"] in CASE_FIELDS
        else case.form_data.get(f["name"], "")
        for f in licence_type.fields
    }
    data = {k: v for k, v in data.items() if v not in (None, "")}
    previous = None
    if previous_id := str(case.form_data.get("previous_licence") or "").strip():
        previous = selectors.licence_by_identifier(previous_id)
    try:
        return issue(
            licence_type,
            issuer=case.organisation,
            holder=_holder_of_case(case),
            data=data,
            actor=SYSTEM,
            case=case,
            previous=previous,
        )
    except IntegrityError:  # issued meanwhile by the other path (event handler vs sweep)
        return Licence.objects.filter(case=case).first()
    except (LicenceError, ValidationError) as exc:
        audit.record(
            actor=None,
            action="licences.issue_failed",
            object_type="cases.case",
            object_id=case.pk,
            summary=f"办件 {case.number} 准予后未能自动签发证照：{exc}"[:300],
        )
        return None


def on_case_approved(event: str, payload: dict[str, Any]) -> None:
    issue_for_case(int(payload["case_id"]))


def issue_missing(limit: int = 1000) -> int:
    """Catch-up for the event handler (a crash between commit and dispatch): approved cases whose guide
    promises a licence and that have none yet."""
    from yiwang.cases.models import Case

    names = {
        n
        for names in LicenceType.objects.filter(is_active=True).values_list("result_names", flat=True)
        for n in names
    }
    if not names:
        return 0
    candidates = (
        Case.objects.filter(
            status__in=APPROVED_STATUSES,
            guide__result_type="licence",
            guide__result_name__in=names,
            licence__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in list(candidates) if issue_for_case(pk) is not None)
