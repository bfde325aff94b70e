"""The workbench's case actions: which ones a staff member may take on a case now, and each action's form
(its required fields, checked here with a Chinese message) handed to the one `cases.services` call.

Nothing here changes a case itself: every write is a service call, which locks the row, checks the
transition table and the actor's role again, and refuses a lost race with its own message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.accounts import permissions
from yiwang.accounts.models import Role
from yiwang.cases import intake, services, transitions
from yiwang.cases.errors import CaseError
from yiwang.cases.models import Case, CaseStatus, CaseStep, Channel, DeliveryMethod, StepStatus
from yiwang.core.models import Organisation

EXTRA_SUPPLEMENT_ROWS = 3
UPLOAD_STATUSES = (CaseStatus.DRAFT, CaseStatus.RETURNED, CaseStatus.SUPPLEMENTING)

# The order the forms appear on the case page; labels for buttons and headings.
ACTION_ORDER = (
    "upload",
    "submit",
    "resubmit",
    "supplement",
    "handle_immediately",
    "accept",
    "return_for_supplement",
    "not_accept",
    "transfer",
    "start_review",
    "complete_step",
    "request_supplement",
    "start_special",
    "end_special",
    "extend",
    "approve",
    "refuse",
    "complete",
    "deliver",
)
ACTION_LABELS: dict[str, Any] = {
    "upload": gettext_lazy("扫描上传材料"),
    "submit": gettext_lazy("提交申请（窗口收件）"),
    "handle_immediately": gettext_lazy("即办：当场受理并决定"),
}


def label(action: str) -> str:
    return str(ACTION_LABELS.get(action) or transitions.label(action))


class FormProblem(CaseError):
    """A required field is missing or wrong; the message names it."""


def _text(data: Mapping[str, Any], field: str, message: str = "") -> str:
    value = str(data.get(field, "") or "").strip()
    if message and not value:
        raise FormProblem(message)
    return value


def _date(data: Mapping[str, Any], field: str) -> dt.date | None:
    value = _text(data, field)
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FormProblem(_("日期格式不正确，请按“年-月-日”填写，如 2026-01-31。")) from None


def supplement_items(case: Case, data: Mapping[str, Any]) -> list[dict[str, str]]:
    """一次性告知: every ticked material with its problem, plus the free rows (material + problem)."""
    items: list[dict[str, str]] = []
    for material in case.materials.all():
        ticked = bool(data.get(f"item_{material.pk}"))
        problem = _text(data, f"problem_{material.pk}")
        if ticked and not problem:
            raise FormProblem(_("请写明“%(m)s”存在的问题和补正要求。") % {"m": material.name})
        if problem:
            items.append({"material": material.name, "problem": problem})
    for row in range(1, EXTRA_SUPPLEMENT_ROWS + 1):
        name = _text(data, f"extra_material_{row}")
        problem = _text(data, f"extra_problem_{row}")
        if bool(name) != bool(problem):
            raise FormProblem(
                _("其他补正事项第 %(n)d 行：请同时填写材料或内容名称和存在的问题。") % {"n": row}
            )
        if name:
            items.append({"material": name, "problem": problem})
    if not items:
        raise FormProblem(_("请勾选需补正的材料并写明问题：一次告知全部需补正的内容。"))
    return items


def actable_steps(user: Any, case: Case) -> list[CaseStep]:
    """Active review steps the user may complete (a role at the step's own department)."""
    return [
        step
        for step in case.steps.filter(status=StepStatus.ACTIVE).select_related("organisation")
        if permissions.has_role(user, (Role.WINDOW, Role.REVIEWER, Role.APPROVER), step.organisation)
    ]


def available(user: Any, case: Case) -> list[str]:
    """The actions the user may take on the case in its current status, in page order."""
    roles = services.roles_of(user, case) - {transitions.APPLICANT}
    allowed: set[str] = set()
    for action in transitions.allowed_actions(case.status):
        transition = transitions.TRANSITIONS[(case.status, action)]
        if transition.who & roles:
            allowed.add(action)
    allowed -= {"withdraw", "deemed_accept", "approve_immediately", "refuse_immediately", "complete_step"}
    if case.status == CaseStatus.SUBMITTED and case.is_immediate and transitions.WINDOW in roles:
        allowed.add("handle_immediately")
    if case.status == CaseStatus.IN_REVIEW and actable_steps(user, case):
        allowed.add("complete_step")
    if case.status in UPLOAD_STATUSES and transitions.WINDOW in roles:
        allowed.add("upload")
    if case.status == CaseStatus.DRAFT and case.channel != Channel.WINDOW:
        allowed -= {"submit", "upload"}  # an online draft is the applicant's own
    return [action for action in ACTION_ORDER if action in allowed]


def transfer_targets(case: Case) -> list[Organisation]:
    return list(
        Organisation.objects.filter(is_active=True, region__code__startswith=case.region_id[:4])
        .exclude(pk=case.organisation_id)
        .only("id", "name")
        .order_by("name")[:200]
    )


def _upload(case: Case, user: Any, data: Mapping[str, Any], files: Mapping[str, UploadedFile]) -> str:
    material_id = _text(data, "material", _("请选择要上传的材料。"))
    material = case.materials.filter(pk=int(material_id) if material_id.isdigit() else 0).first()
    if material is None:
        raise FormProblem(_("请选择要上传的材料。"))
    upload = files.get("file")
    if upload is None:
        raise FormProblem(_("请选择“%(m)s”的扫描文件（PDF、JPEG、PNG 或 OFD）。") % {"m": material.name})
    intake.scan_material(
        case,
        material,
        actor=user,
        name=upload.name or "scan",
        content_type=upload.content_type or "",
        data=upload.read(),
    )
    return _("已上传“%(m)s”。") % {"m": material.name}


def _decision(data: Mapping[str, Any]) -> bool:
    value = _text(data, "decision", _("请选择准予或不予准予。"))
    if value not in ("approve", "refuse"):
        raise FormProblem(_("请选择准予或不予准予。"))
    return value == "approve"


def _step(case: Case, user: Any, data: Mapping[str, Any]) -> CaseStep:
    step_id = _text(data, "step")
    for step in actable_steps(user, case):
        if str(step.pk) == step_id:
            return step
    raise FormProblem(_("该环节已由他人办理或不由您办理，请刷新后查看。"))


def _deliver(case: Case, user: Any, data: Mapping[str, Any]) -> Any:
    method = _text(data, "method", _("请选择送达方式。"))
    tracking = _text(data, "tracking_number")
    if method == DeliveryMethod.POST and not tracking:
        raise FormProblem(_("邮寄送达须填写快递单号。"))
    return services.deliver(case, actor=user, method=method, tracking_number=tracking)


def _extend(case: Case, user: Any, data: Mapping[str, Any]) -> Any:
    days = _text(data, "days", _("请填写延长的工作日天数。"))
    if not days.isdigit():
        raise FormProblem(_("延长天数应为整数（工作日）。"))
    reason = _text(data, "reason", _("延长办结期限须写明理由，并告知申请人。"))
    return services.extend(case, actor=user, days=int(days), reason=reason)


def _transfer(case: Case, user: Any, data: Mapping[str, Any]) -> Any:
    target_id = _text(data, "to_organisation", _("请选择移送的有权机关。"))
    target = Organisation.objects.filter(
        pk=int(target_id) if target_id.isdigit() else 0, is_active=True
    ).first()
    if target is None:
        raise FormProblem(_("请选择移送的有权机关。"))
    reason = _text(data, "reason", _("移送须写明理由。"))
    return services.transfer(case, actor=user, to_organisation=target, reason=reason)


Handler = Callable[[Case, Any, Mapping[str, Any]], Any]

HANDLERS: dict[str, Handler] = {
    "submit": lambda case, user, data: intake.file_at_window(
        case, actor=user, idempotency_key=_text(data, "idempotency_key")
    ),
    "resubmit": lambda case, user, data: services.resubmit(case, actor=user),
    "supplement": lambda case, user, data: services.supplement(case, actor=user),
    "handle_immediately": lambda case, user, data: services.handle_immediately(
        case, actor=user, approve_it=_decision(data), reason=_text(data, "reason")
    ),
    "accept": lambda case, user, data: services.accept(case, actor=user, comment=_text(data, "comment")),
    "return_for_supplement": lambda case, user, data: services.return_for_supplement(
        case, actor=user, items=supplement_items(case, data), deadline=_date(data, "deadline")
    ),
    "not_accept": lambda case, user, data: services.not_accept(
        case,
        actor=user,
        reason=_text(data, "reason", _("不予受理须写明理由。")),
        competent_body=_text(
            data, "competent_body", _("请写明有权机关（或申请人可以向其申请的机关）以及救济途径。")
        ),
    ),
    "transfer": _transfer,
    "start_review": lambda case, user, data: services.start_review(case, actor=user),
    "complete_step": lambda case, user, data: services.complete_step(
        case,
        _step(case, user, data),
        actor=user,
        opinion=_text(data, "opinion", _("请填写本环节的办理意见。")),
    ),
    "request_supplement": lambda case, user, data: services.request_supplement(
        case, actor=user, items=supplement_items(case, data), deadline=_date(data, "deadline")
    ),
    "start_special": lambda case, user, data: services.start_special_procedure(
        case,
        actor=user,
        kind=_text(data, "kind", _("请填写特别程序的种类（如听证、检验检测、专家评审）。")),
        reason=_text(data, "reason", _("请写明启动特别程序的原因。")),
    ),
    "end_special": lambda case, user, data: services.end_special_procedure(
        case, actor=user, result=_text(data, "result", _("结束特别程序须写明结果。"))
    ),
    "extend": _extend,
    "approve": lambda case, user, data: services.approve(case, actor=user, reason=_text(data, "reason")),
    "refuse": lambda case, user, data: services.refuse(
        case,
        actor=user,
        reason=_text(data, "reason", _("不予准予须说明理由，并告知申请人依法享有的救济权利。")),
    ),
    "complete": lambda case, user, data: services.complete(case, actor=user),
    "deliver": _deliver,
}


def perform(
    action: str, case: Case, user: Any, data: Mapping[str, Any], files: Mapping[str, UploadedFile]
) -> str:
    """Run one action; returns the success message. Raises CaseError (with its Chinese message)."""
    seen = _text(data, "version")
    if seen.isdigit() and int(seen) != case.version and action not in ("upload", "complete_step"):
        raise FormProblem(
            _("办件 %(n)s 在您打开页面后已被他人处理（现为“%(s)s”），请查看最新状态后再办理。")
            % {"n": case.number or case.pk, "s": CaseStatus(case.status).label}
        )
    if action not in available(user, case):
        raise FormProblem(
            _("办件当前状态为“%(s)s”，您不能执行“%(a)s”。请刷新页面查看最新状态。")
            % {"s": CaseStatus(case.status).label, "a": label(action)}
        )
    if action == "upload":
        return _upload(case, user, data, files)
    HANDLERS[action](case, user, data)
    return _("已完成：%(a)s。") % {"a": label(action)}
