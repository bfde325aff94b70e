"""我的办件: the person's applications, one case with its timeline, notices to download, supplements and
deferred materials, and withdrawal. Another person's case answers 404, exactly like a missing one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from yiwang.cases import formschema, selectors, services
from yiwang.cases.errors import CaseError
from yiwang.cases.models import Case, CaseStatus, MaterialStatus
from yiwang.payments import selectors as payment_selectors
from yiwang.web.views.case_pages import handle_material_post, materials_context, own_case
from yiwang.web.views.errors import NotFound

PAGE_SIZE = 20


def payment_link(case: Case) -> str:
    """The pay page of the case's order awaiting payment, if a fee is due."""
    order = payment_selectors.open_order_for_case(case)
    return order.pay_url if order is not None else ""


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    cases = selectors.my_cases(request.user)
    drafts = list(cases.filter(status=CaseStatus.DRAFT)[:10])
    filed = cases.exclude(status=CaseStatus.DRAFT).filter(number__isnull=False)  # not abandoned drafts
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    page = Paginator(filed, PAGE_SIZE).get_page(number)
    rows = [{"case": case, "next_step": selectors.next_step(case)} for case in page.object_list]
    return render(request, "web/cases/list.html", {"drafts": drafts, "rows": rows, "page_obj": page})


def _detail_context(case: Case) -> dict[str, Any]:
    schema = selectors.case_schema(case)
    return {
        "case": case,
        "next_step": selectors.next_step(case),
        "progress": selectors.progress(case),
        "timeline": selectors.timeline(case),
        "documents": list(selectors.documents_of(case)),
        "supplement": selectors.open_supplement(case),
        "deferred": list(selectors.deferred_outstanding(case)),
        "active_steps": selectors.active_steps(case),
        "answers": formschema.answers(schema, case.form_data),
        "material_rows": materials_context(case)["material_rows"],
        "may_withdraw": selectors.may_withdraw(case),
        "payment_url": payment_link(case),
    }


@login_required
def case_detail(request: HttpRequest, ref: str) -> HttpResponse:
    case = own_case(request, ref)
    if case.status == CaseStatus.DRAFT:
        return redirect("web:apply_form", case_id=case.pk)
    if not case.number:  # a draft given up before it was filed
        messages.info(request, _("这份草稿已放弃。"))
        return redirect("web:my_cases")
    return render(request, "web/cases/detail.html", _detail_context(case))


@login_required
def submitted(request: HttpRequest, ref: str) -> HttpResponse:
    """The confirmation after submitting: the case number and what happens next, by when."""
    case = own_case(request, ref)
    if case.status == CaseStatus.DRAFT:
        return redirect("web:apply_check", case_id=case.pk)
    return render(
        request,
        "web/cases/submitted.html",
        {
            "case": case,
            "next_step": selectors.next_step(case),
            "documents": list(selectors.documents_of(case)),
        },
    )


@login_required
def document(request: HttpRequest, ref: str, document_id: int) -> FileResponse:
    """A notice or decision (PDF) issued on the person's own case."""
    case = own_case(request, ref)
    found = selectors.documents_of(case).filter(pk=document_id).first()
    if found is None or not found.file.name or not default_storage.exists(found.file.name):
        raise NotFound(_("这份文书不存在或已被移除，请联系办理机构。"))
    filename = f"{case.number}-{found.kind}.pdf"
    return FileResponse(
        found.file.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf"
    )


@login_required
def case_materials(request: HttpRequest, ref: str) -> HttpResponse:
    """补正 (answer the one-time notice) and 容缺 (provide a deferred material later)."""
    case = own_case(request, ref)
    supplement = selectors.open_supplement(case)
    deferred = list(selectors.deferred_outstanding(case))
    if supplement is None and not deferred:
        messages.info(request, _("该办件目前没有需要补正或补交的材料。"))
        return redirect("web:my_case", ref=case.number)
    errors: dict[int, list[str]] = {}
    error = ""
    if request.method == "POST":
        if request.POST.get("op") == "finish":
            try:
                if case.status == CaseStatus.RETURNED:
                    services.resubmit(case, actor=request.user)
                else:
                    services.supplement(case, actor=request.user)
            except CaseError as exc:
                error = str(exc)
            else:
                messages.success(request, _("补正材料已提交，办理机构将继续办理。"))
                return redirect("web:my_case", ref=case.number)
        else:
            errors, done = handle_material_post(request, case)
            if not errors:
                messages.success(request, done)
                return HttpResponseRedirect(reverse("web:case_materials", args=[case.number]) + "#materials")
    named = {item.get("material") for item in (supplement.items if supplement else [])}
    context = {
        "case": case,
        "supplement": supplement,
        "deferred": deferred,
        "named": named,
        "missing": selectors.missing_required(case),
        "error": error,
        **materials_context(case, errors),
    }
    if supplement is None:
        # Only the deferred materials can be provided now.
        context["material_rows"] = [
            r for r in context["material_rows"] if r["material"].status == MaterialStatus.DEFERRED
        ]
    return render(request, "web/cases/materials.html", context, status=400 if errors or error else 200)


@login_required
def withdraw(request: HttpRequest, ref: str) -> HttpResponse:
    case = own_case(request, ref)
    if not selectors.may_withdraw(case):
        messages.error(
            request, _("该办件当前状态为“%(s)s”，不能撤回。") % {"s": CaseStatus(case.status).label}
        )
        return redirect("web:my_case", ref=case.number or case.pk)
    error = ""
    reason = ""
    if request.method == "POST":
        reason = request.POST.get("reason", "").strip()[:500]
        if request.POST.get("confirm") != "1":
            error = _("请勾选“我确认撤回这份申请”。撤回后不能恢复，如需办理须重新申请。")
        else:
            try:
                services.withdraw(case, actor=request.user, reason=reason)
            except CaseError as exc:
                error = str(exc)
            else:
                messages.success(request, _("申请已撤回。"))
                if case.number:
                    return redirect("web:my_case", ref=case.number)
                return redirect("web:my_cases")
    return render(
        request,
        "web/cases/withdraw.html",
        {"case": case, "error": error, "reason": reason},
        status=400 if error else 200,
    )
