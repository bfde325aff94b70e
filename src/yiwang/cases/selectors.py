"""Case reads for applicants: their own cases only, a case's timeline, and what happens next."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.accounts.models import Enterprise

from . import formschema, transitions
from .models import (
    Case,
    CaseDocument,
    CaseMaterial,
    CaseStatus,
    CaseStep,
    MaterialStatus,
    StepStatus,
    SupplementRequest,
)


def my_cases(user: Any) -> QuerySet[Case]:
    """Cases the signed-in person applied for, or filed for an enterprise they represent."""
    if not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    # The represented enterprises are read first (a person represents a handful at most): an OR across
    # a join, or with a subquery, made PostgreSQL scan every case (0.4 s at 1,000,000 cases); plain
    # indexed conditions read only the person's rows.
    mine = Q(applicant=user)
    represented = list(Enterprise.objects.filter(representative=user).values_list("pk", flat=True))
    if represented:
        mine |= Q(enterprise_id__in=represented)
    return (
        Case.objects.filter(mine)
        .select_related("implementation", "organisation")
        .order_by("-created_at", "-id")
    )


def my_case(user: Any, number_or_id: str) -> Case | None:
    """One of the person's own cases by number (or draft id); None for anyone else's."""
    cases = my_cases(user)
    value = str(number_or_id).strip()
    found = cases.filter(number=value).first()
    if found is None and value.isdigit() and len(value) < 19:
        found = cases.filter(pk=int(value), number__isnull=True).first()
    return found


def timeline(case: Case) -> list[dict[str, Any]]:
    rows = []
    for event in case.events.prefetch_related("documents").order_by("occurred_at", "id"):
        rows.append(
            {
                "at": event.occurred_at,
                "action": event.action,
                "label": transitions.label(event.action),
                "from_status": event.from_status,
                "to_status": event.to_status,
                "actor": event.actor_label,
                "comment": event.comment,
                "documents": [
                    {"id": d.pk, "kind": d.kind, "title": d.title, "sm3": d.sm3}
                    for d in event.documents.all()
                ],
            }
        )
    return rows


def next_step(case: Case) -> str:
    """What happens next and by when, in one sentence for the applicant."""
    status = case.status
    if status == CaseStatus.DRAFT:
        return _("草稿尚未提交：填写完整并上传必要材料后提交。")
    if status == CaseStatus.SUBMITTED and case.acceptance_due:
        return _("等待受理：办理机构将于 %(d)s 前决定是否受理；逾期未告知的，视为受理。") % {
            "d": f"{case.acceptance_due:%Y-%m-%d}"
        }
    if status in (CaseStatus.RETURNED, CaseStatus.SUPPLEMENTING):
        request = case.supplement_requests.filter(answered_at__isnull=True).order_by("-id").first()
        deadline = f"{request.deadline:%Y-%m-%d}" if request else ""
        return _("请按一次性告知书于 %(d)s 前补正全部材料后重新提交。") % {"d": deadline}
    if status == CaseStatus.SPECIAL_PROCEDURE:
        return _("特别程序进行中，结束后继续审查。")
    if status in (CaseStatus.ACCEPTED, CaseStatus.IN_REVIEW) and case.decision_due:
        return _("审查中：将于 %(d)s 前作出决定。") % {"d": f"{case.decision_due:%Y-%m-%d}"}
    if status in (CaseStatus.APPROVED, CaseStatus.REFUSED, CaseStatus.COMPLETED) and case.delivery_due:
        return _("已作出决定：结果将于 %(d)s 前送达。") % {"d": f"{case.delivery_due:%Y-%m-%d}"}
    return str(CaseStatus(status).label)


# --- what the applicant's pages need -------------------------------------------------------------------


def my_draft(user: Any, case_id: int) -> Case | None:
    """One of the person's own drafts (the apply pages edit nothing else)."""
    return (
        my_cases(user)
        .filter(pk=case_id, status=CaseStatus.DRAFT)
        .select_related("guide", "enterprise", "implementation")
        .first()
    )


def drafts_of_item(user: Any, implementation: Any) -> QuerySet[Case]:
    """The person's unfinished applications for one item, newest first (to resume)."""
    return my_cases(user).filter(implementation=implementation, status=CaseStatus.DRAFT)


def prefill_for(user: Any, enterprise: Any = None) -> dict[str, Any]:
    """Initial form values: what the account says, plus the contact address of the person's last filed
    application (people rarely move between two applications)."""
    values = formschema.prefill(user, enterprise)
    last = (
        my_cases(user)
        .exclude(status=CaseStatus.DRAFT)
        .filter(enterprise=enterprise)
        .order_by("-submitted_at", "-id")
        .values_list("form_data", flat=True)
        .first()
    )
    if isinstance(last, dict) and isinstance(last.get("address"), str):
        values.setdefault("address", last["address"])
    return values


def case_schema(case: Case) -> dict[str, Any]:
    """The form schema the case is validated against (the same rule as cases.services)."""
    return formschema.form_schema_for(case.guide, for_enterprise=True if case.enterprise_id else None)


def materials_of(case: Case) -> QuerySet[CaseMaterial]:
    return case.materials.prefetch_related("files").order_by("order", "id")


def missing_required(case: Case) -> list[str]:
    """Required materials still to upload (shared ones are fetched by the department)."""
    return list(
        case.materials.filter(necessity="required", status=MaterialStatus.MISSING).values_list(
            "name", flat=True
        )
    )


def open_supplement(case: Case) -> SupplementRequest | None:
    """The one-time notice (一次性告知) the applicant has still to answer."""
    if case.status not in (CaseStatus.RETURNED, CaseStatus.SUPPLEMENTING):
        return None
    return case.supplement_requests.filter(answered_at__isnull=True).order_by("-requested_at", "-id").first()


def documents_of(case: Case) -> QuerySet[CaseDocument]:
    return case.documents.order_by("issued_at", "id")


def may_withdraw(case: Case) -> bool:
    return "withdraw" in transitions.allowed_actions(case.status)


def deferred_outstanding(case: Case) -> QuerySet[CaseMaterial]:
    """容缺 materials promised and not yet provided (uploadable until the case is decided)."""
    return case.materials.filter(status=MaterialStatus.DEFERRED).order_by("order", "id")


def active_steps(case: Case) -> list[CaseStep]:
    """Who holds the case now: the review steps in progress (one per parallel lane)."""
    if case.status != CaseStatus.IN_REVIEW:
        return []
    return list(case.steps.filter(status=StepStatus.ACTIVE).select_related("organisation"))


# The road every case travels, for the progress list on the case page.
STAGES: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
    ("submit", gettext_lazy("提交申请"), (CaseStatus.DRAFT,)),
    ("accept", gettext_lazy("受理"), (CaseStatus.SUBMITTED, CaseStatus.RETURNED)),
    (
        "review",
        gettext_lazy("审查"),
        (CaseStatus.ACCEPTED, CaseStatus.IN_REVIEW, CaseStatus.SUPPLEMENTING, CaseStatus.SPECIAL_PROCEDURE),
    ),
    ("decide", gettext_lazy("决定"), ()),
    ("deliver", gettext_lazy("办结送达"), (CaseStatus.APPROVED, CaseStatus.REFUSED, CaseStatus.COMPLETED)),
)


def progress(case: Case) -> list[dict[str, Any]]:
    """The stages with done / current / to come and each stage's deadline, for a visual timeline.
    A case that ended early (withdrawn, not accepted, transferred) shows where it stopped."""
    status = case.status
    current = next((i for i, (_key, _label, during) in enumerate(STAGES) if status in during), None)
    if status == CaseStatus.DELIVERED:
        current = len(STAGES)
    due = {
        "accept": case.acceptance_due,
        "review": case.decision_due,
        "decide": case.decision_due,
        "deliver": case.delivery_due,
    }
    done_on = {
        "submit": case.submitted_on,
        "accept": case.accepted_on,
        "review": case.decided_on,
        "decide": case.decided_on,
        "deliver": case.delivered_on,
    }
    stopped = status in (CaseStatus.WITHDRAWN, CaseStatus.NOT_ACCEPTED, CaseStatus.TRANSFERRED)
    rows = []
    for index, (key, label, _during) in enumerate(STAGES):
        if stopped:
            state = "done" if done_on[key] else "stopped"
        elif current is None:
            state = "done"
        else:
            state = "done" if index < current else ("current" if index == current else "todo")
        rows.append(
            {
                "key": key,
                "label": str(label),
                "state": state,
                "done_on": done_on[key] if state == "done" else None,
                "due": due.get(key) if state in ("current", "todo") else None,
            }
        )
    return rows
