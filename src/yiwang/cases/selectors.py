"""Case reads for applicants: their own cases only, a case's timeline, and what happens next."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from . import transitions
from .models import Case, CaseStatus


def my_cases(user: Any) -> QuerySet[Case]:
    """Cases the signed-in person applied for, or filed for an enterprise they represent."""
    if not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    return (
        Case.objects.filter(Q(applicant=user) | Q(enterprise__representative=user))
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
