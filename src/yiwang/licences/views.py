"""Licence pages: the holder's wallet (我的证照) with downloads, disclosure and per-use authorisation; the
public verification page; the issuing organisation's licence list with lifecycle actions. Thin views:
selectors read, services write, errors come back as messages in Chinese."""

from __future__ import annotations

import os
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.accounts import permissions
from yiwang.accounts.decorators import staff_second_factor_required
from yiwang.core import ratelimit

from . import content, holders, rendering, selectors, services, transitions, verification
from .errors import LicenceError
from .forms import DisclosureForm, GrantForm, IssueForm, StatusForm, VerifyFileForm, VerifyForm
from .models import HolderKind, Licence, LicenceStatus, LicenceType

OPEN_CASE_STATUSES = ("submitted", "returned", "accepted", "in_review", "supplementing", "special")


def _base_url(request: HttpRequest) -> str:
    return rendering.public_base_url() if _configured_base() else request.build_absolute_uri("/").rstrip("/")


def _configured_base() -> bool:
    return bool(os.environ.get("YIWANG_PUBLIC_URL", "").strip())


def _own(request: HttpRequest, identifier: str) -> Licence:
    licence = selectors.wallet_licence(request.user, identifier)
    if licence is None:
        raise Http404(_("没有找到您的这本证照。"))
    return licence


def _rows(licence: Licence) -> list[tuple[str, Any]]:
    labels = licence.licence_type.field_labels()
    return [(labels.get(name, name), value) for name, value in licence.data.items()]


def _disclosure_choices(licence: Licence) -> list[tuple[str, str]]:
    return [(content.HOLDER_NAME, _("持证主体名称")), *licence.licence_type.field_labels().items()]


def _case_choices(user: Any) -> list[tuple[int, str]]:
    from yiwang.cases.selectors import my_cases

    cases = (
        my_cases(user).filter(status__in=OPEN_CASE_STATUSES).select_related("organisation", "implementation")
    )
    return [(c.pk, f"{c.number} · {c.implementation.name} · {c.organisation.name}") for c in cases[:50]]


@login_required
def wallet(request: HttpRequest) -> HttpResponse:
    licences = list(selectors.wallet(request.user))
    return render(request, "licences/wallet.html", {"licences": licences})


def _detail_context(request: HttpRequest, licence: Licence, **forms: Any) -> dict[str, Any]:
    return {
        "licence": licence,
        "rows": _rows(licence),
        "events": list(licence.events.select_related("actor")),
        "chain": selectors.history(licence),
        "grants": list(licence.grants.select_related("organisation", "case")),
        "active_grant_ids": set(selectors.active_grants(licence).values_list("pk", flat=True)),
        "is_valid": licence.status == LicenceStatus.VALID,
        "disclosure_form": forms.get("disclosure_form")
        or DisclosureForm(
            initial={"public_fields": licence.public_fields}, choices=_disclosure_choices(licence)
        ),
        "grant_form": forms.get("grant_form") or GrantForm(cases=_case_choices(request.user)),
        "verify_url": f"{_base_url(request)}/licences/verify/?identifier={licence.identifier}",
    }


@login_required
def detail(request: HttpRequest, identifier: str) -> HttpResponse:
    licence = _own(request, identifier)
    return render(request, "licences/detail.html", _detail_context(request, licence))


@login_required
def download(request: HttpRequest, identifier: str) -> HttpResponse:
    licence = _own(request, identifier)
    data = rendering.pdf_for_download(licence, _base_url(request))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="licence-{licence.serial}-{licence.version:03d}.pdf"'
    )
    return response


@login_required
@require_POST
def disclosure(request: HttpRequest, identifier: str) -> HttpResponse:
    licence = _own(request, identifier)
    form = DisclosureForm(request.POST, choices=_disclosure_choices(licence))
    if not form.is_valid():
        return render(
            request,
            "licences/detail.html",
            _detail_context(request, licence, disclosure_form=form),
            status=400,
        )
    try:
        services.set_disclosure(licence, actor=request.user, public_fields=form.cleaned_data["public_fields"])
    except LicenceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已保存：公开核验时只显示您勾选的信息。"))
    return redirect("licences:detail", identifier=licence.identifier)


@login_required
@require_POST
def grant(request: HttpRequest, identifier: str) -> HttpResponse:
    from yiwang.cases.models import Case

    licence = _own(request, identifier)
    form = GrantForm(request.POST, cases=_case_choices(request.user))
    if not form.is_valid():
        return render(
            request, "licences/detail.html", _detail_context(request, licence, grant_form=form), status=400
        )
    case = Case.objects.select_related("organisation", "enterprise").get(pk=form.cleaned_data["case"])
    try:
        services.grant_use(licence, actor=request.user, case=case, days=form.cleaned_data["days"])
    except LicenceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("已授权“%(o)s”在办件 %(n)s 中使用这本证照。") % {"o": case.organisation.name, "n": case.number},
        )
    return redirect("licences:detail", identifier=licence.identifier)


@login_required
@require_POST
def revoke_grant(request: HttpRequest, identifier: str, grant_id: int) -> HttpResponse:
    licence = _own(request, identifier)
    found = licence.grants.filter(pk=grant_id).first()
    if found is None:
        raise Http404(_("没有找到这项授权。"))
    try:
        services.revoke_grant(found, actor=request.user)
    except LicenceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已撤销授权。"))
    return redirect("licences:detail", identifier=licence.identifier)


def verify(request: HttpRequest) -> HttpResponse:
    """Anyone: by identifier (GET), by the QR code's link (GET ?q=), or by uploading the PDF (POST)."""
    result = None
    form = VerifyForm(request.GET if "identifier" in request.GET else None)
    file_form = VerifyFileForm()
    decision = ratelimit.hit(
        "licence-verify-page", ratelimit.client_address(request), limit=ratelimit.public_api_rate()
    )
    if not decision.allowed:
        response = render(
            request,
            "licences/verify.html",
            {"form": VerifyForm(), "file_form": file_form, "throttled": True},
            status=429,
        )
        response["Retry-After"] = str(decision.retry_after)
        return response
    if request.method == "POST":
        file_form = VerifyFileForm(request.POST, request.FILES)
        if file_form.is_valid():
            result = verification.by_file(file_form.cleaned_data["file"].read())
    elif request.GET.get("q"):
        result = verification.by_payload(request.GET["q"])
    elif form.is_bound and form.is_valid():
        result = verification.by_identifier(form.cleaned_data["identifier"])
    return render(request, "licences/verify.html", {"form": form, "file_form": file_form, "result": result})


# --- the issuing organisation --------------------------------------------------------------------


def _managed(user: Any) -> Any:
    return Licence.objects.filter(
        permissions.organisation_scope_q(user, services.OFFICIAL_ROLES, prefix="issuer__")
    ).select_related("licence_type", "issuer")


@staff_second_factor_required
def manage(request: HttpRequest) -> HttpResponse:
    licences = _managed(request.user)
    query = request.GET.get("q", "").strip()
    if query:
        licences = licences.filter(identifier=query.upper()) | licences.filter(
            holder_id_index__in=holders.candidate_indexes(query)
        )
    status = request.GET.get("status", "")
    if status in LicenceStatus.values:
        licences = licences.filter(status=status)
    page = Paginator(licences.order_by("-issued_at"), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "licences/manage.html",
        {"page_obj": page, "query": query, "status": status, "statuses": LicenceStatus.choices},
    )


@staff_second_factor_required
def manage_detail(request: HttpRequest, identifier: str) -> HttpResponse:
    licence = _managed(request.user).filter(identifier=identifier.upper()).first()
    if licence is None:
        raise Http404(_("没有找到本机构签发的这本证照。"))
    form = StatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_status(
                licence, form.cleaned_data["action"], actor=request.user, reason=form.cleaned_data["reason"]
            )
        except LicenceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("已%(a)s证照 %(i)s。")
                % {"a": transitions.label(form.cleaned_data["action"]), "i": licence.identifier},
            )
            return redirect("licences:manage_detail", identifier=licence.identifier)
    return render(
        request,
        "licences/manage_detail.html",
        {
            "licence": licence,
            "rows": _rows(licence),
            "events": list(licence.events.select_related("actor")),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


def _issuable_types(user: Any) -> list[tuple[LicenceType, list[Any]]]:
    """Active types with the organisations this user may issue them for (approver there, listed issuer)."""
    from yiwang.core.models import Organisation

    mine = list(Organisation.objects.filter(permissions.organisation_scope_q(user, services.OFFICIAL_ROLES)))
    found = []
    for licence_type in (
        LicenceType.objects.filter(is_active=True).prefetch_related("issuers").order_by("name")
    ):
        listed = list(licence_type.issuers.all())
        orgs = [o for o in mine if not listed or o in listed]
        if orgs:
            found.append((licence_type, orgs))
    return found


@staff_second_factor_required
def issue_page(request: HttpRequest) -> HttpResponse:
    """签发证照: choose a type, then fill the holder and the type's data fields."""
    from yiwang.core.models import Organisation

    types = _issuable_types(request.user)
    chosen = next((pair for pair in types if pair[0].code == request.GET.get("type", "")), None)
    if chosen is None:
        return render(request, "licences/issue.html", {"types": types, "form": None})
    licence_type, orgs = chosen
    form = IssueForm(
        request.POST or None,
        issuers=[(o.pk, o.name) for o in orgs],
        type_fields=licence_type.fields,
    )
    if request.method == "POST" and form.is_valid():
        previous = None
        if form.cleaned_data["previous"]:
            previous = selectors.licence_by_identifier(form.cleaned_data["previous"])
            if previous is None:
                form.add_error(
                    "previous", _("没有找到上一版本的证照 %(i)s。") % {"i": form.cleaned_data["previous"]}
                )
        if not form.errors:
            try:
                holder = holders.make_holder(
                    licence_type.holder_kind,
                    form.cleaned_data["holder_identifier"],
                    form.cleaned_data["holder_name"],
                )
                licence = services.issue(
                    licence_type,
                    issuer=Organisation.objects.get(pk=form.cleaned_data["issuer"]),
                    holder=holder,
                    data=form.licence_data(),
                    actor=request.user,
                    valid_from=form.cleaned_data["valid_from"],
                    previous=previous,
                )
            except ValidationError as exc:
                form.add_error("holder_identifier", exc)
            except LicenceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("已签发证照 %(i)s。") % {"i": licence.identifier})
                return redirect("licences:manage_detail", identifier=licence.identifier)
    return render(
        request,
        "licences/issue.html",
        {
            "types": types,
            "licence_type": licence_type,
            "form": form,
            "holder_kind": HolderKind(licence_type.holder_kind).label,
        },
        status=400 if form.errors else 200,
    )
