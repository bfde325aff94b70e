"""Hall window intake (线上线下融合): a clerk files an application on behalf of a person standing at the
window, scans the paper materials, prints the receipt (收件回执); from then on the case is an ordinary
case handled on the workbench, exactly like one filed online.

1. `identify_person`: the person shows their ID card; name and number are checked against the population
   registry (人口库). A mismatch is an error with the registry's reason — never silently passed. A person
   with an account is raised to real-name level 3 (verified in person); a person without one gets an
   account opened at the window (no password: they set one by SMS reset when they want to go online).
2. `open_case`: the clerk fills the application form with the person (validated in full, since a window
   draft is filed in one sitting) and a draft is created with channel = window, applicant = the person.
3. `scan_material` / `file_at_window`: the scans are inspected like any upload and the clerk submits;
   case events and audit rows name the clerk as the actor.
4. `receipt_pdf`: the receipt lists what was received (with SM3 digests) and the acceptance deadline.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts import fieldcrypto, permissions, registries
from yiwang.accounts import services as account_services
from yiwang.accounts.models import PersonIdentity, RealNameLevel, Role, User
from yiwang.catalog.models import Implementation
from yiwang.core import audit
from yiwang.core.validators import mask_resident_id, validate_mobile, validate_resident_id

from . import documents, formschema, services
from .errors import CaseError, NotPermitted
from .models import Case, CaseFile, CaseMaterial, CaseStatus, Channel


class IntakeError(CaseError):
    """The window intake cannot go on; the message says why (in Chinese) and what to do."""


def _require_window_clerk(actor: Any, organisation: Any = None) -> None:
    if organisation is not None:
        allowed = permissions.has_role(actor, Role.WINDOW, organisation)
    else:
        allowed = permissions.is_superuser(actor) or permissions.memberships(actor, Role.WINDOW).exists()
    if not allowed:
        raise NotPermitted(_("只有该事项办理机构的窗口受理人员可以代为收件。"))


def identify_person(*, actor: Any, name: str, resident_id: str, phone: str = "") -> User:
    """Check the person at the window against the population registry and return their account.
    Not one transaction: a failed check is audited even though the intake stops there."""
    _require_window_clerk(actor)
    name = (name or "").strip()
    if not name:
        raise IntakeError(_("请填写申请人姓名（与身份证一致）。"))
    try:
        number = validate_resident_id(resident_id)
    except ValidationError as exc:
        raise IntakeError(exc.messages[0]) from None
    result = registries.population_registry().verify(name, number)
    if not result.verified:
        audit.record(
            actor=actor,
            action="cases.window_identity_failed",
            object_type="accounts.PersonIdentity",
            object_id=mask_resident_id(number),
            summary=f"窗口身份核验未通过：{mask_resident_id(number)}",
            data={"reason": result.reason},
        )
        raise IntakeError(_("身份核验未通过：%(r)s") % {"r": result.reason})
    identity = (
        PersonIdentity.objects.select_related("user")
        .filter(resident_id_index=registries.resident_id_index(number))
        .first()
    )
    if identity is not None:
        account_services.verify_in_person(identity.user, actor=actor)
        return identity.user
    return _open_account_at_window(actor=actor, name=name, number=number, phone=phone)


def _open_account_at_window(*, actor: Any, name: str, number: str, phone: str) -> User:
    try:
        mobile = validate_mobile(phone)
    except ValidationError:
        raise IntakeError(
            _("申请人尚未在平台注册：请填写其本人的手机号码（11位），窗口将为其开通账户。")
        ) from None
    if User.objects.filter(username=mobile).exists():
        raise IntakeError(
            _("手机号码 %(p)s 已被另一个账户使用，请核对号码或请申请人提供本人的其他手机号码。")
            % {"p": f"{mobile[:3]}****{mobile[-4:]}"}
        )
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=mobile, password=None, phone=mobile, display_name=name)
            PersonIdentity.objects.create(
                user=user,
                resident_id_ciphertext=fieldcrypto.encrypt(number, context=registries.RESIDENT_ID_CONTEXT),
                resident_id_index=registries.resident_id_index(number),
                resident_id_masked=mask_resident_id(number),
                level=RealNameLevel.L3,
                level_source="in_person",
                level_verified_at=timezone.now(),
            )
    except IntegrityError:
        raise IntakeError(_("该申请人的账户刚刚已由其他窗口开通，请重新核验身份。")) from None
    audit.record(
        actor=actor,
        action="accounts.window_registered",
        object_type="accounts.User",
        object_id=user.pk,
        summary=f"窗口现场核验并开通账户 {mobile[:3]}****{mobile[-4:]}（实名三级）",
    )
    return user


def form_schema(implementation: Implementation) -> dict[str, Any]:
    """The application form the clerk fills in: the published guide's form exactly as submission checks
    it (an enterprise-facing item also asks for the enterprise's name and USCC)."""
    guide = implementation.published_version
    if guide is None:
        raise IntakeError(_("事项“%(n)s”目前未发布，暂不能收件。") % {"n": implementation.name})
    return formschema.form_schema_for(guide)


def initial_form(person: User) -> dict[str, Any]:
    return formschema.prefill(person)


@transaction.atomic
def open_case(implementation: Implementation, *, actor: Any, person: User, form_data: dict[str, Any]) -> Case:
    """Start a window application for `person`; the form must be complete (filed in one sitting)."""
    _require_window_clerk(actor, implementation.organisation)
    data = {key: value for key, value in form_data.items() if value not in ("", None)}
    formschema.validate_form(form_schema(implementation), data)
    case = services.create_draft(implementation, applicant=person, channel=Channel.WINDOW, form_data=data)
    audit.record(
        actor=actor,
        action="cases.window_intake",
        object_type="cases.case",
        object_id=case.pk,
        summary=f"窗口代为收件：{implementation.name}",
        data={"applicant": person.pk},
    )
    return case


def scan_material(
    case: Case, material: CaseMaterial, *, actor: Any, name: str, content_type: str, data: bytes
) -> CaseFile:
    """A scanned paper material (checked by content like every upload)."""
    if case.channel != Channel.WINDOW and case.status == CaseStatus.DRAFT:
        raise IntakeError(_("该申请不是窗口收件，材料由申请人在网上提交。"))
    return services.upload_material(
        case, material, actor=actor, name=name, content_type=content_type, data=data
    )


def file_at_window(case: Case, *, actor: Any, idempotency_key: str = "") -> Case:
    """Submit the window application; the clerk is the actor of the filing."""
    if case.channel != Channel.WINDOW:
        raise IntakeError(_("该申请不是窗口收件，须由申请人在网上提交。"))
    return services.submit(case, actor=actor, idempotency_key=idempotency_key)


def receipt(case: Case) -> documents.Notice:
    """收件回执: who filed what, when, which materials were received, and by when acceptance is decided."""
    if case.number is None or case.submitted_at is None:
        raise IntakeError(_("申请尚未提交，没有收件回执。"))
    identity = PersonIdentity.objects.filter(user_id=case.applicant_id).first()
    masked = identity.resident_id_masked if identity else ""
    lines = [
        f"办件编号：{case.number}",
        f"申请人：{case.applicant}（身份证号码 {masked}）",
        f"申请事项：{case.guide.name}",
        f"收件时间：{timezone.localtime(case.submitted_at):%Y年%m月%d日 %H:%M}",
        f"收件渠道：{Channel(case.channel).label}",
        "收到的材料：",
    ]
    received = CaseFile.objects.filter(
        material__case=case, uploaded_at__lte=case.submitted_at
    ).select_related("material")
    for number, stored in enumerate(received, start=1):
        lines.append(f"{number}. {stored.material.name}（{stored.original_name}，SM3 {stored.sm3[:16]}…）")
    shared = [m.name for m in case.materials.all() if m.status in ("to_be_fetched", "fetched")]
    if shared:
        lines.append("通过数据共享获取、无需提交：" + "、".join(shared))
    if case.acceptance_due:
        lines.append(f"本机关将于{case.acceptance_due:%Y年%m月%d日}前决定是否受理，并通知申请人。")
    lines.append("凭办件编号可在网上、移动端或窗口查询办理进度。")
    return documents.Notice("收件回执", lines, case.organisation.name)


def receipt_pdf(case: Case) -> bytes:
    return documents.render_pdf(receipt(case))
