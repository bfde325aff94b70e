"""跨省通办 (国办发〔2020〕35号): a person in one region applies for an item another region decides.

Three modes (domain.md §6), one mechanism:

- 全程网办 (online): the person applies on the origin node's portal; the case is filed at the deciding
  node through its API channel and runs there; the origin keeps a `CrossCase` the person follows.
- 异地代收代办 (proxy): the origin's window checks identity and materials (形式审查), then forwards the
  application with the material files; the deciding node files it as a window case (收受分离).
- 多地联办 (joint): one window accepts; each other node gets its part (one `case.part` message per part)
  and reports that part's status; the origin shows every part; the person visits one place only.

Messages (all through the outbox and the signed inbox, so nothing is lost or applied twice):
`case.forward` / `case.part` (origin → deciding node): identity, form, files (base64, each with its SM3
digest, checked on arrival); `case.status` (deciding node → origin): number, status, the deadline as the
deciding node's working-day calendar computed it, tracking number, and the decision document once issued.

The resident ID travels encrypted with the deciding node's SM2 public key, so the outbox row (which
stays in the database) never holds it in clear; each node stores it with its own field encryption.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.accounts import fieldcrypto, registries
from yiwang.core import audit, events, sm2
from yiwang.core.crypto import sm3_hex
from yiwang.core.validators import mask_resident_id, validate_resident_id
from yiwang.federation import identity, inbox, outbox
from yiwang.federation.cross_models import (
    CrossCase,
    CrossCasePart,
    CrossDelivery,
    CrossMode,
    ForwardedCase,
    PartState,
)
from yiwang.federation.models import NodeRole, Peer

logger = logging.getLogger("yiwang.federation")

MAX_FILE_BYTES = 10 * 1024 * 1024  # per material file carried in a message (object storage at scale)
CLOSED_STATUSES = {"completed", "delivered", "not_accepted", "withdrawn", "transferred"}
DECIDED_STATUSES = {"approved", "refused"}


class CrossError(ValidationError):
    """Bad input for a cross-province application, said in words the clerk or person can act on."""


@dataclass(frozen=True)
class MaterialFile:
    material: str  # the material's name in the deciding node's guide
    name: str
    content_type: str
    data: bytes


@dataclass
class PartRequest:
    node: str
    implementation_code: str
    item_name: str = ""
    form_data: dict[str, Any] = field(default_factory=dict)
    files: list[MaterialFile] = field(default_factory=list)


# --- SM2 encryption of the resident ID for the receiving node ----------------------------------------


def seal_for(peer: Peer, text: str) -> str:
    """Encrypt `text` so only `peer` (holder of the private key) can read it."""
    return sm2.encrypt(peer.public_hex, text.encode()).hex()


def unseal(sealed_hex: str) -> str:
    """Decrypt with this node's keys (the active one first; rotated keys for messages sent before)."""
    from yiwang.federation.models import NodeKey

    data = bytes.fromhex(sealed_hex)
    for key in NodeKey.objects.order_by("-active", "-pk"):
        plain = sm2.decrypt(identity.private_hex(key), data, public_hex=key.public_hex)
        if plain:
            try:
                return plain.decode()
            except UnicodeDecodeError:
                continue
    raise CrossError(_("无法用本节点密钥解密申请人身份信息：收件地可能使用了本节点的旧名片。"))


# --- origin: open a cross-province application -------------------------------------------------------


def _is_window_clerk(user: Any) -> bool:
    from yiwang.accounts import permissions
    from yiwang.accounts.models import Role

    return permissions.is_superuser(user) or permissions.memberships(user, [Role.WINDOW]).exists()


def _deciding_peer(code: str) -> Peer:
    peer = Peer.objects.filter(code=code, active=True).exclude(role=NodeRole.HUB).first()
    if peer is None:
        raise CrossError(_("办理地节点 %(c)s 未在本节点登记或已停用，不能转交。") % {"c": code or "—"})
    return peer


def _check_files(files: Sequence[MaterialFile]) -> list[dict[str, Any]]:
    """形式审查 of the files at the origin (the same content checks as a local upload)."""
    from yiwang.cases.uploads import UploadRejected, inspect_upload

    carried = []
    for item in files:
        if len(item.data) > MAX_FILE_BYTES:
            raise CrossError(
                _("材料“%(m)s”的文件超过 %(n)d MB，跨省转交请压缩后再上传。")
                % {"m": item.material, "n": MAX_FILE_BYTES // 1048576}
            )
        try:
            inspected = inspect_upload(item.name, item.content_type, item.data)
        except UploadRejected as exc:
            raise CrossError(str(exc)) from None
        carried.append(
            {
                "material": item.material[:200],
                "name": item.name[:200],
                "content_type": inspected.content_type,
                "sm3": inspected.sm3,
                "data": base64.b64encode(item.data).decode(),
            }
        )
    return carried


def _local_account(resident_id: str) -> Any:
    from yiwang.accounts.models import PersonIdentity

    found = (
        PersonIdentity.objects.filter(resident_id_index=registries.resident_id_index(resident_id))
        .select_related("user")
        .first()
    )
    return found.user if found else None


@transaction.atomic
def open_cross_case(
    *,
    mode: str,
    actor: Any,
    parts: Sequence[PartRequest],
    delivery: str,
    applicant_name: str = "",
    resident_id: str = "",
    contact_phone: str = "",
    delivery_address: str = "",
) -> CrossCase:
    """Record the application at the origin and enqueue one message per deciding node (same transaction)."""
    if mode not in CrossMode.values:
        raise CrossError(_("通办模式应为全程网办、异地代收代办或多地联办。"))
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("请先登录再申请跨省通办。"))
    if delivery not in CrossDelivery.values:
        raise CrossError(_("送达方式应为邮寄送达或电子送达。"))
    if delivery == CrossDelivery.POST and len(delivery_address.strip()) < 5:
        raise CrossError(_("邮寄送达须填写完整的邮寄地址。"))
    if not parts:
        raise CrossError(_("请至少选择一个办理地事项。"))
    applicant = None
    if mode == CrossMode.ONLINE:
        from yiwang.accounts import services as accounts

        if len(parts) != 1:
            raise CrossError(_("全程网办一次申请一个事项；需要多地办理的请到窗口申请多地联办。"))
        applicant = actor
        applicant_name = actor.display_name or applicant_name
        try:
            resident_id = accounts.resident_id_of(actor)
        except Exception:
            raise CrossError(_("您的账户尚未登记身份证号码，不能申请跨省通办。")) from None
        level = accounts.level_of(actor)
        if level < 2:
            raise CrossError(_("跨省通办须实名二级及以上，请先完成人口库核验。"))
    else:
        if not _is_window_clerk(actor):
            raise PermissionDenied(_("只有政务服务窗口工作人员可以代收代办或受理多地联办。"))
        if mode == CrossMode.JOINT and len(parts) < 2:
            raise CrossError(_("多地联办至少包含两个办理地的事项。"))
        if mode == CrossMode.PROXY and len(parts) != 1:
            raise CrossError(_("异地代收代办一次转交一个事项；多个办理地请选择多地联办。"))
        level = 3  # the window saw the person and the ID card
    try:
        resident_id = validate_resident_id(resident_id)
    except ValidationError:
        raise CrossError(_("身份证号码格式或校验位不正确，请核对后重新输入。")) from None
    if not applicant_name.strip():
        raise CrossError(_("请填写申请人姓名（与身份证一致）。"))
    if applicant is None:
        applicant = _local_account(resident_id)
    peers = [_deciding_peer(part.node) for part in parts]
    prepared = [(peer, part, _check_files(part.files)) for peer, part in zip(peers, parts, strict=True)]
    cross = CrossCase.objects.create(
        mode=mode,
        applicant=applicant,
        applicant_name=applicant_name.strip()[:64],
        resident_id_ciphertext=fieldcrypto.encrypt(resident_id, context=registries.RESIDENT_ID_CONTEXT),
        resident_id_masked=mask_resident_id(resident_id),
        contact_phone=contact_phone.strip()[:20],
        delivery=delivery,
        delivery_address=delivery_address.strip()[:200],
        received_by=None if mode == CrossMode.ONLINE else actor,
    )
    kind = "case.part" if mode == CrossMode.JOINT else "case.forward"
    for index, (peer, part, files) in enumerate(prepared, start=1):
        row = CrossCasePart.objects.create(
            cross_case=cross,
            node=peer.code,
            implementation_code=part.implementation_code.strip()[:40],
            item_name=(part.item_name or part.implementation_code)[:200],
        )
        outbox.enqueue(
            peer,
            kind,
            {
                "part": str(row.reference),
                "case": str(cross.reference),
                "mode": mode,
                "index": index,
                "of": len(prepared),
                "implementation_code": row.implementation_code,
                "applicant": {
                    "name": cross.applicant_name,
                    "resident_id_sealed": seal_for(peer, resident_id),
                    "phone": cross.contact_phone,
                    "level": level,
                },
                "form_data": dict(part.form_data),
                "files": files,
                "delivery": delivery,
                "delivery_address": cross.delivery_address,
            },
        )
    audit.record(
        actor=actor,
        action="federation.cross.open",
        object_type="federation.CrossCase",
        object_id=cross.pk,
        after={"mode": mode, "nodes": [p.code for p in peers], "resident_id": cross.resident_id_masked},
        summary=f"{CrossMode(mode).label}：转交 {'、'.join(p.code for p in peers)}",
    )
    events.publish("federation.cross.opened", {"cross_case_id": cross.pk, "mode": mode})
    return cross


# --- deciding node: file the forwarded application --------------------------------------------------


def _person_for(peer: Peer, name: str, resident_id: str, level: int) -> Any:
    """The person's one account here, matched by resident ID or created from the forwarded identity.

    Reuses the federated-identity linking of sso_trust (blind-indexed username, encrypted resident ID,
    level source "federation:<origin>"), so a person who later signs in from the origin finds the same
    account and the cases filed for them."""
    from yiwang.federation import sso_trust

    provider = sso_trust.Provider(peer=peer, client_id="", client_secret="")
    assertion = sso_trust.Assertion(
        provider=provider,
        subject=f"resident:{registries.resident_id_index(resident_id)}",
        name=name,
        resident_id=resident_id,
        level=max(1, min(int(level), 3)),
        id_token="",
        next_url="",
    )
    user, _created = sso_trust.link_account(assertion)
    return user


def _material_for(case: Any, name: str) -> Any:
    from yiwang.cases import selectors as case_selectors

    materials = list(case_selectors.materials_of(case))
    for material in materials:
        if material.name == name:
            return material
    for material in materials:
        if name and (name in material.name or material.name in name):
            return material
    raise CrossError(_("办理地的办事指南中没有材料“%(m)s”，请按办理地的材料清单提交。") % {"m": name})


def _file_case(peer: Peer, payload: dict[str, Any]) -> Any:
    """File the application through the cases services (raises a clear error when it cannot)."""
    from yiwang.cases import services as case_services
    from yiwang.cases.models import Channel
    from yiwang.catalog.selectors import published_implementations

    code = str(payload.get("implementation_code", ""))
    implementation = published_implementations().filter(implementation_code=code).first()
    if implementation is None:
        raise CrossError(_("本节点没有已发布的事项 %(c)s（可能已撤销），无法收件。") % {"c": code})
    files = payload.get("files") or []
    decoded: list[tuple[dict[str, Any], bytes]] = []
    for item in files:
        data = base64.b64decode(str(item.get("data", "")))
        if sm3_hex(data) != item.get("sm3"):
            raise CrossError(
                _("材料“%(m)s”的文件与收件地记录的 SM3 摘要不一致，可能在转交中损坏，请收件地重新转交。")
                % {"m": item.get("material", "")}
            )
        decoded.append((item, data))
    person = payload.get("applicant") or {}
    resident_id = validate_resident_id(unseal(str(person.get("resident_id_sealed", ""))))
    user = _person_for(peer, str(person.get("name", ""))[:64], resident_id, int(person.get("level") or 2))
    mode = str(payload.get("mode", ""))
    channel = Channel.API if mode == CrossMode.ONLINE else Channel.WINDOW
    key = f"xp-{payload['part']}"
    case = case_services.create_draft(
        implementation,
        applicant=user,
        channel=channel,
        form_data=payload.get("form_data") or {},
        idempotency_key=key,
    )
    for item, data in decoded:
        material = _material_for(case, str(item.get("material", "")))
        case_services.upload_material(
            case,
            material,
            actor=user,
            name=str(item.get("name", "材料.pdf")),
            content_type=str(item.get("content_type", "")),
            data=data,
        )
    return case_services.submit(case, actor=user, idempotency_key=key)


def _filing_errors() -> tuple[type[Exception], ...]:
    from yiwang.cases.errors import CaseError
    from yiwang.cases.uploads import UploadRejected

    return (CaseError, ValidationError, UploadRejected, PermissionDenied)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "message_dict"):
            return "；".join(f"{k}：{'、'.join(v)}" for k, v in exc.message_dict.items())[:500]
        return "；".join(exc.messages)[:500]
    return str(exc)[:500]


def receive_application(peer: Peer, payload: dict[str, Any]) -> dict[str, Any]:
    reference = str(payload.get("part", ""))
    if not reference:
        raise inbox.Refused(400, "跨省通办消息缺少分项编号（part）。")
    existing = ForwardedCase.objects.filter(part_reference=reference).select_related("case").first()
    if existing is not None:
        return {"number": existing.case.number, "duplicate": True}
    mode = str(payload.get("mode", ""))
    if mode not in CrossMode.values:
        raise inbox.Refused(400, f"未知的通办模式“{mode}”。")
    try:
        with transaction.atomic():  # a savepoint: a refused filing leaves no half-made case behind
            case = _file_case(peer, payload)
            forwarded = ForwardedCase.objects.create(
                part_reference=reference,
                origin=peer.code,
                mode=mode,
                case=case,
                delivery=str(payload.get("delivery") or CrossDelivery.ELECTRONIC),
            )
    except _filing_errors() as exc:
        reason = _error_text(exc)
        outbox.enqueue(
            peer, "case.status", {"part": reference, "status": "rejected", "version": 0, "detail": reason}
        )
        return {"rejected": reason}
    # The first status goes in the same transaction as the filing: the origin learns the number even if
    # this process stops before the after-commit event handlers run.
    outbox.enqueue(peer, "case.status", status_payload(forwarded))
    return {"number": case.number}


inbox.handles("case.forward")(receive_application)
inbox.handles("case.part")(receive_application)


# --- deciding node: report every status change back ---------------------------------------------------


def status_payload(forwarded: ForwardedCase) -> dict[str, Any]:
    from yiwang.cases import selectors as case_selectors
    from yiwang.cases.models import CaseStatus, DocumentKind

    case = type(forwarded.case).objects.get(pk=forwarded.case_id)
    payload: dict[str, Any] = {
        "part": str(forwarded.part_reference),
        "number": case.number or "",
        "status": case.status,
        "status_label": str(CaseStatus(case.status).label),
        "version": case.version,
        "decision_due": f"{case.decision_due:%Y-%m-%d}" if case.decision_due else "",
        "tracking_number": case.tracking_number,
        "delivery_method": case.delivery_method,
        "detail": (case.decision_reason or case.not_accepted_reason)[:500],
    }
    decision = case_selectors.documents_of(case).filter(kind=DocumentKind.DECISION).order_by("-pk").first()
    if decision is not None and decision.file:
        with decision.file.open("rb") as handle:
            data = handle.read()
        payload["document"] = {
            "title": decision.title,
            "sm3": sm3_hex(data),
            "data": base64.b64encode(data).decode(),
        }
    return payload


def on_case_event(event: str, payload: dict[str, Any]) -> None:
    on_case_events(event, [payload])


def on_case_events(event: str, payloads: list[dict[str, Any]]) -> None:
    """Report the new status of every forwarded case among these (one lookup for all of them)."""
    case_ids = [p["case_id"] for p in payloads if isinstance(p.get("case_id"), int)]
    if not case_ids:
        return
    forwarded_cases = list(ForwardedCase.objects.filter(case_id__in=case_ids))
    if not forwarded_cases:
        return
    peers = {peer.code: peer for peer in Peer.objects.filter(code__in={f.origin for f in forwarded_cases})}
    for forwarded in forwarded_cases:
        peer = peers.get(forwarded.origin)
        if peer is None:
            continue
        with transaction.atomic():
            outbox.enqueue(peer, "case.status", status_payload(forwarded))


def case_event_names() -> list[str]:
    """Every case event but the filing: a forwarded case is filed by `receive_application`, which reports
    that first status itself in the filing's transaction. Listening to every filing of the node (nearly
    all of them local ones) would cost a lookup each, to send that status a second time."""
    from yiwang.cases.services import PUBLISHED_EVENTS
    from yiwang.cases.transitions import TABLE

    filed = PUBLISHED_EVENTS["submit"]
    names = {PUBLISHED_EVENTS.get(t.action, f"case.{t.action}") for t in TABLE}
    return sorted(names - {filed})


def subscribe() -> None:
    for name in case_event_names():
        events.subscribe(name, on_case_event, batch=on_case_events)


@transaction.atomic
def resend_statuses(*, open_only: bool = True) -> int:
    """Report again the current status of forwarded cases (after a restore, or a lost event)."""
    from yiwang.cases.models import FINAL_STATUSES

    forwarded = ForwardedCase.objects.select_related("case")
    if open_only:
        forwarded = forwarded.exclude(case__status__in=FINAL_STATUSES)
    count = 0
    for row in forwarded:
        peer = Peer.objects.filter(code=row.origin).first()
        if peer is not None:
            outbox.enqueue(peer, "case.status", status_payload(row))
            count += 1
    return count


# --- origin: apply a status report -------------------------------------------------------------------


def _state_for(status: str) -> str:
    if status == "rejected":
        return PartState.REJECTED
    if status in DECIDED_STATUSES:
        return PartState.DECIDED
    if status in CLOSED_STATUSES:
        return PartState.CLOSED
    return PartState.FILED


@inbox.handles("case.status")
def receive_status(peer: Peer, payload: dict[str, Any]) -> dict[str, Any]:
    part = (
        CrossCasePart.objects.select_for_update()
        .filter(reference=str(payload.get("part", "")), node=peer.code)
        .first()
    )
    if part is None:
        return {"unknown": 1}  # not ours (or sent by another node than the part's): acknowledged, ignored
    version = int(payload.get("version", 0))
    if version <= part.remote_version:
        return {"stale": 1}  # an older report delivered after a newer one
    status = str(payload.get("status", ""))
    before = {"state": part.state, "status": part.remote_status}
    part.remote_version = version
    part.remote_status = status[:16]
    part.remote_status_label = (
        str(payload.get("status_label", "")) or (_("办理地未能收件") if status == "rejected" else "")
    )[:64]
    part.remote_number = str(payload.get("number", "") or part.remote_number)[:20]
    part.decision_due = str(payload.get("decision_due", ""))[:10]
    part.detail = str(payload.get("detail", ""))[:500]
    part.tracking_number = str(payload.get("tracking_number", ""))[:64]
    part.state = _state_for(status)
    document = payload.get("document")
    if document and document.get("sm3") != part.decision_sm3:
        data = base64.b64decode(str(document.get("data", "")))
        if sm3_hex(data) != document.get("sm3"):
            raise inbox.Refused(422, "决定文书的 SM3 摘要与内容不符，已拒收，请办理地重新发送。")
        part.decision_document.save(f"{part.reference}.pdf", ContentFile(data), save=False)
        part.decision_sm3 = str(document["sm3"])
    part.save()
    audit.record(
        actor=f"node:{peer.code}",
        action="federation.cross.status",
        object_type="federation.CrossCasePart",
        object_id=part.pk,
        before=before,
        after={"state": part.state, "status": part.remote_status, "number": part.remote_number},
    )
    events.publish(
        "federation.cross.status",
        {"cross_case_id": part.cross_case_id, "part_id": part.pk, "status": part.remote_status},
    )
    return {"state": part.state}


# --- reading ------------------------------------------------------------------------------------------


def cases_of(user: Any) -> Any:
    """The cross-province applications a person follows, or (window staff) every one this node received."""
    queryset = CrossCase.objects.prefetch_related("parts")
    if _is_window_clerk(user):
        return queryset
    return queryset.filter(applicant=user)


def overall_state(cross: CrossCase) -> str:
    """The least advanced part decides what the applicant sees first."""
    order = [PartState.REJECTED, PartState.SENDING, PartState.FILED, PartState.DECIDED, PartState.CLOSED]
    states = [part.state for part in cross.parts.all()]
    for state in order:
        if state in states:
            return str(PartState(state).label)
    return ""
