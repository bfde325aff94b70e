"""Applying online (在线办理): start page → (situations) → form → materials → check your answers →
submit → confirmation. Each step saves into the draft case, so a person can stop and resume later.

Views are thin: they read the form, call cases.services, and render; every rule lives in the services.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.accounts.models import PersonIdentity, RealNameLevel
from yiwang.cases import deadlines, formschema, selectors, services, uploads
from yiwang.cases.errors import CaseError
from yiwang.cases.models import Case, CaseStatus, Channel
from yiwang.catalog.models import GuideVersion
from yiwang.web.views.case_pages import (
    applying_enterprise,
    handle_material_post,
    materials_context,
    own_draft,
)
from yiwang.web.views.errors import NotFound
from yiwang.web.views.guide import load_published

# Applying needs a registered real-name account (level 1: phone verified, ID number checked). Items that
# demand more are not yet modelled in the catalogue.
MIN_REAL_NAME_LEVEL = RealNameLevel.L1
KEY_PATTERN = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def _real_name_level(user: Any) -> int:
    level = PersonIdentity.objects.filter(user_id=user.pk).values_list("level", flat=True).first()
    return int(level or 0)


def _has_situations(guide: GuideVersion) -> bool:
    return guide.situations.exists()


def _steps(case: Case) -> list[dict[str, Any]]:
    """The steps of the apply flow for this draft, for the step indicator."""
    names = [("form", _("填写申请表")), ("materials", _("上传材料")), ("check", _("确认并提交"))]
    if _has_situations(case.guide):
        names.insert(0, ("situations", _("选择办理情形")))
    return [
        {"key": key, "label": label, "url": reverse(f"web:apply_{key}", args=[case.pk])}
        for key, label in names
    ]


def _draft_context(case: Case, current: str, **extra: Any) -> dict[str, Any]:
    steps = _steps(case)
    index = next(i for i, s in enumerate(steps) if s["key"] == current)
    return {
        "case": case,
        "steps": steps,
        "current": current,
        "step_number": index + 1,
        "step_total": len(steps),
        **extra,
    }


# --- start ------------------------------------------------------------------------------------------------


def start(request: HttpRequest, code: str) -> HttpResponse:
    """The start page: what you need, how long it takes, what it costs; then sign in and begin."""
    loaded = load_published(request, code)
    if isinstance(loaded, HttpResponse):
        return loaded
    implementation, guide = loaded
    if not guide.is_online:
        return render(
            request,
            "web/apply/not_online.html",
            {"implementation": implementation, "doc": guide.snapshot or {}},
        )
    doc: dict[str, Any] = guide.snapshot or {}
    materials = doc.get("materials", [])
    context: dict[str, Any] = {
        "implementation": implementation,
        "guide": guide,
        "doc": doc,
        "materials": materials,
        "deferrable_count": sum(1 for m in materials if m.get("necessity") == "deferrable"),
        "obtainable_count": sum(1 for m in materials if m.get("obtainable_by")),
    }
    user = request.user
    signed_in = bool(getattr(user, "is_authenticated", False))
    enterprise = applying_enterprise(request, guide) if signed_in else None
    context.update(
        {
            "signed_in": signed_in,
            "signin_url": reverse("accounts:signin") + "?" + urlencode({"next": request.path}),
            "enterprise": enterprise,
            "enterprise_only": formschema.is_enterprise_guide(guide),
            "drafts": list(selectors.drafts_of_item(user, implementation)[:5]) if signed_in else [],
            "level_too_low": signed_in and _real_name_level(user) < MIN_REAL_NAME_LEVEL,
            "key": uuid.uuid4().hex,
            "situations": list(guide.situations.order_by("order", "id")),
            "is_immediate": deadlines.is_immediate(guide),
            "acceptance_days": deadlines.acceptance_days_for(guide),
            "limit_days": deadlines.limit_days_for(guide),
            "max_mb": uploads.max_bytes() // 1048576,
        }
    )
    return render(request, "web/apply/start.html", context)


@require_POST
def begin(request: HttpRequest, code: str) -> HttpResponse:
    """Create the draft (once per key: a double click resumes the same draft) and go to its first step."""
    start_url = reverse("web:apply", args=[code[:64]])
    if not request.user.is_authenticated:
        return redirect(reverse("accounts:signin") + "?" + urlencode({"next": start_url}))
    loaded = load_published(request, code)
    if isinstance(loaded, HttpResponse):
        return loaded
    implementation, guide = loaded
    if _real_name_level(request.user) < MIN_REAL_NAME_LEVEL:
        return redirect(reverse("accounts:level") + "?" + urlencode({"required": MIN_REAL_NAME_LEVEL}))
    enterprise = applying_enterprise(request, guide)
    if formschema.is_enterprise_guide(guide) and enterprise is None:
        messages.error(request, _("该事项由企业（法人）申请，请先切换为代表企业办事，再开始申请。"))
        return redirect(start_url)
    key = request.POST.get("key", "")
    try:
        case = services.create_draft(
            implementation,
            applicant=request.user,
            enterprise=enterprise,
            channel=Channel.WEB,
            idempotency_key=key if KEY_PATTERN.match(key) else "",
        )
    except CaseError as exc:
        messages.error(request, str(exc))
        return redirect(start_url)
    if case.status != CaseStatus.DRAFT:  # the key belonged to an application already filed
        return redirect("web:my_case", ref=case.number or case.pk)
    return redirect(_steps(case)[0]["url"])


# --- situations -------------------------------------------------------------------------------------------


@login_required
def situations(request: HttpRequest, case_id: int) -> HttpResponse:
    case = own_draft(request, case_id)
    if not _has_situations(case.guide):
        return redirect("web:apply_form", case_id=case.pk)
    options = list(case.guide.situations.order_by("order", "id"))
    chosen = set(case.situations.values_list("pk", flat=True))
    error = ""
    if request.method == "POST":
        valid = {s.pk for s in options}
        try:
            picked = [int(value) for value in request.POST.getlist("situation")]
        except ValueError:
            picked = [-1]
        if any(value not in valid for value in picked):
            error = _("所选情形不属于本事项，请重新选择。")
        else:
            try:
                services.choose_situations(case, actor=request.user, situation_ids=picked)
            except CaseError as exc:
                error = str(exc)
            else:
                return redirect("web:apply_form", case_id=case.pk)
        chosen = set(picked)
    context = _draft_context(case, "situations", options=options, chosen=chosen, error=error)
    return render(request, "web/apply/situations.html", context, status=400 if error else 200)


# --- the form ---------------------------------------------------------------------------------------------


@login_required
def form(request: HttpRequest, case_id: int) -> HttpResponse:
    case = own_draft(request, case_id)
    schema = selectors.case_schema(case)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values, raw = formschema.values_from_post(schema, request.POST)
        saving_only = request.POST.get("action") == "save"
        errors = formschema.form_errors(schema, values, partial=True)
        if not errors:
            try:
                services.update_draft(case, actor=request.user, form_data=values)
            except formschema.FormInvalid as exc:
                errors = exc.errors
            except CaseError as exc:
                errors = {"__all__": [str(exc)]}
        if not errors and saving_only:
            messages.success(request, _("草稿已保存。您可以随时从“我的办件”继续填写。"))
            return redirect("web:apply_form", case_id=case.pk)
        if not saving_only:
            # Continuing needs every required answer: report the missing ones with the wrong ones.
            errors = {**formschema.form_errors(schema, values), **errors}
            if not errors:
                return redirect("web:apply_materials", case_id=case.pk)
        shown: dict[str, Any] = raw
    else:
        shown = {**selectors.prefill_for(request.user, case.enterprise), **case.form_data}
    context = _draft_context(
        case,
        "form",
        fields=formschema.form_fields(schema, shown, errors),
        form_errors=errors.get("__all__", []),
        has_errors=bool(errors),
    )
    return render(request, "web/apply/form.html", context, status=400 if errors else 200)


# --- materials --------------------------------------------------------------------------------------------


@login_required
def materials(request: HttpRequest, case_id: int) -> HttpResponse:
    case = own_draft(request, case_id)
    errors: dict[int, list[str]] = {}
    if request.method == "POST":
        errors, done = handle_material_post(request, case)
        if not errors:
            messages.success(request, done)
            return HttpResponseRedirect(reverse("web:apply_materials", args=[case.pk]) + "#materials")
    context = _draft_context(case, "materials", **materials_context(case, errors))
    return render(request, "web/apply/materials.html", context, status=400 if errors else 200)


# --- check your answers and submit ---------------------------------------------------------------------------


@login_required
def check(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.my_cases(request.user).filter(pk=case_id).select_related("guide", "enterprise").first()
    if case is None:
        raise NotFound(_("没有找到这份申请草稿，它可能已撤回。请到“我的办件”查看。"))
    if case.status != CaseStatus.DRAFT:
        # Already filed (a second click, a reload, the back button): show what was filed, never file twice.
        if case.number:
            return redirect("web:case_submitted", ref=case.number)
        return redirect("web:my_cases")
    schema = selectors.case_schema(case)
    error = ""
    if request.method == "POST":
        try:
            case = services.submit(case, actor=request.user, idempotency_key=case.idempotency_key)
        except formschema.FormInvalid as exc:
            error = str(exc)
        except CaseError as exc:
            error = str(exc)
        else:
            return redirect("web:case_submitted", ref=case.number)
    form_problems = formschema.form_errors(schema, case.form_data)
    context = _draft_context(
        case,
        "check",
        answers=formschema.answers(schema, case.form_data),
        form_problems=[message for messages_ in form_problems.values() for message in messages_],
        missing=selectors.missing_required(case),
        material_rows=materials_context(case)["material_rows"],
        error=error,
    )
    return render(request, "web/apply/check.html", context, status=400 if error else 200)
