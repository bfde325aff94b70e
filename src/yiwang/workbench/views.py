"""Staff workbench pages: queues, the case page (materials, timeline, action forms), files served through
a permission check, and the window intake screens. Thin: parse, call a selector or service, render."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from yiwang.accounts import permissions
from yiwang.accounts.decorators import staff_second_factor_required
from yiwang.accounts.models import PersonIdentity, Role, User
from yiwang.cases import intake
from yiwang.cases import selectors as case_selectors
from yiwang.cases.errors import CaseError
from yiwang.cases.formschema import FormInvalid
from yiwang.cases.models import (
    Case,
    CaseDocument,
    CaseFile,
    CaseStatus,
    Channel,
    DeliveryMethod,
    WarningLevel,
)
from yiwang.catalog.models import Implementation, PublicStatus

from . import actions, selectors

PAGE_SIZE = 25
INTAKE_PERSON = "workbench_intake_person"
View = Callable[..., Any]


def workbench_staff(view: View) -> View:
    """Signed in as staff with the second factor, and holding a case-handling role somewhere."""

    @staff_second_factor_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.queues_for(request.user):
            raise PermissionDenied(_("您没有办件受理、审查、决定或监督岗位，不能使用办件工作台。"))
        return view(request, *args, **kwargs)

    return wrapped


def _nav(request: HttpRequest, section: str = "queue") -> dict[str, Any]:
    return {
        "is_window": selectors.StaffScope.of(request.user).holds((Role.WINDOW,)),
        "wb_section": section,
    }


@workbench_staff
def queue(request: HttpRequest) -> HttpResponse:
    queues = selectors.queues_for(request.user)
    keys = [q.key for q in queues]
    key = request.GET.get("queue", "")
    if key not in keys:
        key = keys[0]
    filters = selectors.Filters.from_params(request.GET)
    counts = selectors.queue_counts(request.user, queues, filters)
    paginator = Paginator(selectors.queue_cases(request.user, key, filters), PAGE_SIZE)
    paginator.__dict__["count"] = counts.get(key, 0)  # same conditions as the list: no second COUNT
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "workbench/queue.html",
        {
            **_nav(request),
            "queues": [(q, counts.get(q.key, 0)) for q in queues],
            "filter_query": _filter_query(filters),
            "current": selectors.QUEUE_BY_KEY[key],
            "count": counts.get(key, 0),
            "count_cap": selectors.COUNT_CAP,
            "page_obj": page,
            "rows": _rows(page.object_list),
            "filters": filters,
            "organisations": selectors.organisations_for(request.user),
            "channels": Channel.choices,
        },
    )


def _filter_query(filters: selectors.Filters) -> str:
    """The filters as the start of a querystring ("org=…&item=…&"), kept by every queue tab."""
    parts = []
    if filters.organisation:
        parts.append(f"org={filters.organisation}")
    if filters.item:
        parts.append(f"item={quote(filters.item, safe='/')}")
    if filters.channel:
        parts.append(f"channel={filters.channel}")
    if filters.number:
        parts.append(f"q={quote(filters.number, safe='/')}")
    return "".join(f"{part}&" for part in parts)


@dataclass(frozen=True)
class QueueRow:
    """One line of a queue, as plain text: the template does no lookups, formatting or URL reversing."""

    url: str
    number: str
    item: str
    organisation: str
    applicant: str
    status: str
    channel: str
    due_on: str
    warning_level: str
    warning: str


def _rows(cases: Any) -> list[QueueRow]:
    # Choice labels once per page (get_FOO_display rebuilds the choices dict on every call).
    statuses, channels = _labels(CaseStatus), _labels(Channel)
    warnings = _labels(WarningLevel)
    return [
        QueueRow(
            url=reverse("workbench:case", args=[case.pk]),
            number=case.number or str(case.pk),
            item=case.implementation.name,
            organisation=case.organisation.name,
            applicant=case.enterprise.name if case.enterprise_id else str(case.applicant),
            status=statuses.get(case.status, case.status),
            channel=channels.get(case.channel, case.channel),
            due_on=case.due_on.isoformat() if case.due_on else "",
            warning_level=case.warning_level,
            warning=warnings.get(case.warning_level, case.warning_level),
        )
        for case in cases
    ]


def _labels(choices: Any) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


def _case_or_404(request: HttpRequest, pk: int) -> Case:
    case = selectors.visible_case(request.user, pk)
    if case is None:
        raise Http404(_("没有该办件，或您无权查看。"))
    return case


def _detail_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    materials = list(case.materials.prefetch_related("files").order_by("order", "id"))
    identity = (
        PersonIdentity.objects.filter(user_id=case.applicant_id).only("resident_id_masked", "level").first()
    )
    available = actions.available(request.user, case)
    return {
        **_nav(request),
        "case": case,
        "materials": materials,
        "identity": identity,
        "timeline": case_selectors.timeline(case),
        "next_step": case_selectors.next_step(case),
        "steps": list(case.steps.select_related("organisation", "decided_by")),
        "supplements": list(case.supplement_requests.order_by("requested_at")),
        "special_procedures": list(case.special_procedures.all()),
        "actions": [(a, actions.label(a)) for a in available],
        "available": set(available),
        "actable_steps": actions.actable_steps(request.user, case) if "complete_step" in available else [],
        "transfer_targets": actions.transfer_targets(case) if "transfer" in available else [],
        "special_kinds": list(case.guide.special_procedures.values_list("name", flat=True))
        if "start_special" in available
        else [],
        "extra_rows": range(1, actions.EXTRA_SUPPLEMENT_ROWS + 1),
        "delivery_methods": DeliveryMethod.choices,
        "warning_levels": WarningLevel,
        "idempotency_key": uuid.uuid4().hex,
        "has_receipt": case.channel == Channel.WINDOW and case.submitted_at is not None,
    }


@workbench_staff
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    return render(request, "workbench/case.html", _detail_context(request, case))


@workbench_staff
@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    case = _case_or_404(request, pk)
    try:
        message = actions.perform(action, case, request.user, request.POST, request.FILES)
    except CaseError as exc:
        case = _case_or_404(request, pk)  # show the state that refused the action
        context = _detail_context(request, case)
        context.update({"error_action": action, "error": str(exc), "posted": request.POST})
        return render(request, "workbench/case.html", context, status=409 if "他人" in str(exc) else 400)
    except FormInvalid as exc:
        case = _case_or_404(request, pk)
        context = _detail_context(request, case)
        context.update({"error_action": action, "error": exc.messages[0], "posted": request.POST})
        return render(request, "workbench/case.html", context, status=400)
    messages.success(request, message)
    return redirect(reverse("workbench:case", args=[pk]) + f"#{'materials' if action == 'upload' else 'top'}")


def _inline(response: FileResponse, *, images_only: bool = False) -> FileResponse:
    # Shown inside the case page only: same-origin frames, nothing else may load from the file.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; frame-ancestors 'self'"
    response["Cache-Control"] = "private, no-store"
    return response


@workbench_staff
@xframe_options_sameorigin
def material_file(request: HttpRequest, pk: int, file_id: int) -> FileResponse:
    case = _case_or_404(request, pk)
    stored = CaseFile.objects.filter(pk=file_id, material__case=case).first()
    if stored is None:
        raise Http404(_("没有该材料文件。"))
    response = FileResponse(stored.file.open("rb"), content_type=stored.content_type)
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{_quoted(stored.original_name)}"
    return _inline(response)


@workbench_staff
@xframe_options_sameorigin
def case_document(request: HttpRequest, pk: int, document_id: int) -> FileResponse:
    case = _case_or_404(request, pk)
    document = CaseDocument.objects.filter(pk=document_id, case=case).first()
    if document is None:
        raise Http404(_("没有该文书。"))
    response = FileResponse(document.file.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{_quoted(document.title)}.pdf"
    return _inline(response)


@workbench_staff
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    try:
        data = intake.receipt_pdf(case)
    except CaseError as exc:
        raise Http404(str(exc)) from None
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename=receipt-{case.number}.pdf"
    response["Cache-Control"] = "private, no-store"
    return response


def _quoted(name: str) -> str:
    return quote(name)


# --- window intake ------------------------------------------------------------------------------------


def _window_items(user: Any) -> list[Implementation]:
    return list(
        Implementation.objects.filter(
            permissions.scope_q(user, (Role.WINDOW,)), public_status=PublicStatus.PUBLISHED
        )
        .select_related("organisation")
        .only("id", "implementation_code", "name", "organisation__name")
        .order_by("name")[:300]
    )


def _require_window(request: HttpRequest) -> None:
    if not _nav(request)["is_window"]:
        raise PermissionDenied(_("只有窗口受理人员可以办理窗口收件。"))


@workbench_staff
@require_http_methods(["GET", "POST"])
def intake_start(request: HttpRequest) -> HttpResponse:
    """Step 1: identify the person at the window (ID card checked against the population registry)."""
    _require_window(request)
    error = ""
    if request.method == "POST":
        try:
            person = intake.identify_person(
                actor=request.user,
                name=request.POST.get("name", ""),
                resident_id=request.POST.get("resident_id", ""),
                phone=request.POST.get("phone", ""),
            )
        except (CaseError, ValidationError) as exc:
            error = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        else:
            request.session[INTAKE_PERSON] = person.pk
            return redirect("workbench:intake_form")
    return render(
        request,
        "workbench/intake_start.html",
        {
            **_nav(request, "intake"),
            "error": error,
            "posted": request.POST if request.method == "POST" else {},
            "drafts": selectors.window_drafts(request.user),
        },
        status=400 if error else 200,
    )


@workbench_staff
@require_http_methods(["GET", "POST"])
def intake_form(request: HttpRequest) -> HttpResponse:
    """Step 2: choose the item and fill the application form with the identified person."""
    _require_window(request)
    person = User.objects.filter(pk=request.session.get(INTAKE_PERSON) or 0).first()
    if person is None:
        messages.info(request, _("请先核验申请人身份。"))
        return redirect("workbench:intake")
    identity = PersonIdentity.objects.filter(user=person).first()
    items = _window_items(request.user)
    code = (request.POST.get("item") or request.GET.get("item") or "").strip()
    implementation = next((i for i in items if i.implementation_code == code), None)
    fields: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = intake.initial_form(person)
    general_error = ""
    if implementation is not None:
        schema = intake.form_schema(implementation)
        required = set(schema["required"])
        fields = [
            {"name": name, "required": name in required, **spec}
            for name, spec in schema["properties"].items()
        ]
        if request.method == "POST":
            values = {f["name"]: request.POST.get(f["name"], "").strip() for f in fields}
            try:
                case = intake.open_case(implementation, actor=request.user, person=person, form_data=values)
            except FormInvalid as exc:
                errors = exc.errors
                general_error = _("申请表填写有误，请按提示更正。")
            except CaseError as exc:
                general_error = str(exc)
            else:
                request.session.pop(INTAKE_PERSON, None)
                messages.success(request, _("已为申请人建立申请，请扫描上传材料后提交。"))
                return redirect(reverse("workbench:case", args=[case.pk]) + "#materials")
    for field in fields:
        field["value"] = values.get(field["name"], "")
        field["errors"] = errors.get(field["name"], [])
    return render(
        request,
        "workbench/intake_form.html",
        {
            **_nav(request, "intake"),
            "person": person,
            "identity": identity,
            "items": items,
            "implementation": implementation,
            "fields": fields,
            "errors": errors,
            "general_error": general_error,
        },
        status=400 if general_error else 200,
    )
