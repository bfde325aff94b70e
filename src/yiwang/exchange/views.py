"""Pages of the exchange app (mounted at /exchange/): thin views over exchange.services and selectors.

Staff (second factor required): the resource catalogue, grant requests and decisions, consumer keys and
the 减材料 report. Signed-in people: "谁查看了我的数据" and the materials obtained for their own case.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yiwang.accounts import permissions
from yiwang.accounts.decorators import staff_second_factor_required
from yiwang.core.models import Organisation

from . import selectors, services
from .models import CallResult, Grant, GrantStatus, SharingType


def _error_text(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("您没有权限执行该操作。")


# --- catalogue ------------------------------------------------------------------------------------------------


@staff_second_factor_required
def catalogue(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "")[:50]
    sharing_type = request.GET.get("type", "")
    if sharing_type not in SharingType.values:
        sharing_type = ""
    resources = list(selectors.catalogue(text=text, sharing_type=sharing_type)[:300])
    return render(
        request,
        "exchange/catalogue.html",
        {"resources": resources, "q": text, "type": sharing_type, "types": SharingType.choices},
    )


class GrantRequestForm(forms.Form):
    consumer = forms.ModelChoiceField(
        label=gettext_lazy("申请单位"), queryset=Organisation.objects.none(), empty_label=None
    )
    items = forms.MultipleChoiceField(
        label=gettext_lazy("申请的信息项"), widget=forms.CheckboxSelectMultiple, choices=()
    )
    purpose = forms.CharField(
        label=gettext_lazy("使用用途"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=gettext_lazy("写明用于办理哪些事项、为何需要这些信息项。"),
    )
    basis = forms.CharField(
        label=gettext_lazy("申请依据"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text=gettext_lazy("有条件共享资源必填：法律法规条款或履职需要。"),
    )
    days = forms.IntegerField(label=gettext_lazy("申请期限（天）"), min_value=1, max_value=1095, initial=365)

    def __init__(
        self,
        *args: Any,
        organisations: list[Organisation],
        field_choices: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        consumer = self.fields["consumer"]
        assert isinstance(consumer, forms.ModelChoiceField)
        consumer.queryset = Organisation.objects.filter(pk__in=[o.pk for o in organisations])
        items = self.fields["items"]
        assert isinstance(items, forms.MultipleChoiceField)
        items.choices = field_choices


@staff_second_factor_required
def resource_detail(request: HttpRequest, code: str) -> HttpResponse:
    resource = selectors.resource_by_code(code)
    if resource is None or not resource.is_active:
        raise Http404
    fields = selectors.fields_of(resource)
    organisations = [
        o for o in selectors.consumer_organisations(request.user) if o.pk != resource.provider_id
    ]
    form = None
    if organisations and resource.sharing_type != SharingType.NOT_SHARED:
        form = GrantRequestForm(
            request.POST or None,
            organisations=organisations,
            field_choices=[(f.code, f"{f.name}（{f.code}）") for f in fields],
        )
        if request.method == "POST" and form.is_valid():
            try:
                grant = services.request_grant(
                    actor=request.user,
                    resource=resource,
                    consumer=form.cleaned_data["consumer"],
                    fields=form.cleaned_data["items"],
                    purpose=form.cleaned_data["purpose"],
                    basis=form.cleaned_data["basis"],
                    days=form.cleaned_data["days"],
                )
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, _error_text(exc))
            else:
                if grant.status == GrantStatus.APPROVED:
                    messages.success(request, _("无条件共享资源，已即时授权。"))
                else:
                    messages.success(
                        request, _("申请已提交，等待%(p)s审批。") % {"p": resource.provider.name}
                    )
                return redirect("exchange:grants")
    return render(request, "exchange/resource.html", {"resource": resource, "fields": fields, "form": form})


# --- grants -------------------------------------------------------------------------------------------------------


def _grant_rows(grants: Any) -> list[dict[str, Any]]:
    return [
        {"grant": g, "state": selectors.grant_state_label(g), "active": selectors.grant_is_active(g)}
        for g in grants[:200]
    ]


@staff_second_factor_required
def grants(request: HttpRequest) -> HttpResponse:
    incoming = selectors.grants_to_decide(request.user)
    outgoing = selectors.grants_requested_by(request.user).order_by("-requested_at", "-id")
    return render(
        request,
        "exchange/grants.html",
        {
            "pending": _grant_rows(incoming.filter(status=GrantStatus.PENDING)),
            "decided": _grant_rows(incoming.exclude(status=GrantStatus.PENDING)),
            "outgoing": _grant_rows(outgoing),
        },
    )


class ApproveForm(forms.Form):
    items = forms.MultipleChoiceField(
        label=gettext_lazy("批准的信息项"), widget=forms.CheckboxSelectMultiple, choices=()
    )
    valid_until = forms.DateField(
        label=gettext_lazy("授权有效期至"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    reason = forms.CharField(label=gettext_lazy("审批意见"), required=False, max_length=2000)

    def __init__(self, *args: Any, field_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        items = self.fields["items"]
        assert isinstance(items, forms.MultipleChoiceField)
        items.choices = field_choices


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


def _grant_for(request: HttpRequest, grant_id: int) -> tuple[Grant, bool, bool]:
    grant = get_object_or_404(Grant.objects.select_related("resource__provider", "consumer"), pk=grant_id)
    is_provider = permissions.has_role(request.user, selectors.GRANT_ADMIN_ROLES, grant.resource.provider)
    is_consumer = permissions.has_role(request.user, selectors.GRANT_ADMIN_ROLES, grant.consumer)
    if not (is_provider or is_consumer):
        raise Http404
    return grant, is_provider, is_consumer


def _end_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))


@staff_second_factor_required
def grant_detail(request: HttpRequest, grant_id: int) -> HttpResponse:
    grant, is_provider, is_consumer = _grant_for(request, grant_id)
    names = {f.code: f.name for f in selectors.fields_of(grant.resource)}
    choices = [(code, f"{names.get(code, code)}（{code}）") for code in grant.fields]
    approve_form = ApproveForm(
        request.POST if request.POST.get("action") == "approve" else None,
        field_choices=choices,
        initial={
            "items": list(grant.fields),
            "valid_until": (timezone.localdate() + dt.timedelta(days=365)),
        },
        prefix="approve",
    )
    reason_form = ReasonForm(
        request.POST if request.POST.get("action") in ("refuse", "revoke") else None, prefix="reason"
    )
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "approve" and is_provider and approve_form.is_valid():
                services.approve_grant(
                    grant,
                    actor=request.user,
                    fields=approve_form.cleaned_data["items"],
                    valid_until=_end_of_day(approve_form.cleaned_data["valid_until"]),
                    reason=approve_form.cleaned_data["reason"],
                )
                messages.success(request, _("已批准授权。"))
                return redirect("exchange:grant", grant_id=grant.pk)
            if action in ("refuse", "revoke") and reason_form.is_valid():
                if action == "refuse" and is_provider:
                    services.refuse_grant(
                        grant, actor=request.user, reason=reason_form.cleaned_data["reason"]
                    )
                    messages.success(request, _("已不予批准，申请单位将看到理由。"))
                else:
                    services.revoke_grant(
                        grant, actor=request.user, reason=reason_form.cleaned_data["reason"]
                    )
                    messages.success(request, _("已撤销授权，此后的读取将被拒绝。"))
                return redirect("exchange:grant", grant_id=grant.pk)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
            return redirect("exchange:grant", grant_id=grant.pk)
    return render(
        request,
        "exchange/grant.html",
        {
            "grant": grant,
            "state": selectors.grant_state_label(grant),
            "active": selectors.grant_is_active(grant),
            "field_names": [names.get(code, code) for code in grant.fields],
            "is_provider": is_provider,
            "is_consumer": is_consumer,
            "approve_form": approve_form,
            "reason_form": reason_form,
        },
    )


# --- keys -------------------------------------------------------------------------------------------------------


@staff_second_factor_required
def keys(request: HttpRequest) -> HttpResponse:
    organisations = selectors.consumer_organisations(request.user)
    rows = [{"organisation": o, "credentials": list(selectors.credentials_of(o.pk))} for o in organisations]
    return render(
        request,
        "exchange/keys.html",
        {"rows": rows, "new_key": request.session.pop("exchange_new_key", None)},
    )


@staff_second_factor_required
@require_POST
def issue_key(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = get_object_or_404(Organisation, pk=organisation_id)
    try:
        credential, private_hex = services.issue_credential(
            actor=request.user, organisation=organisation, label=request.POST.get("label", "")
        )
    except PermissionDenied as exc:
        messages.error(request, _error_text(exc))
        return redirect("exchange:keys")
    # Shown once on the next page, never stored by the platform.
    request.session["exchange_new_key"] = {"key_id": credential.key_id, "private_hex": private_hex}
    return redirect("exchange:keys")


@staff_second_factor_required
@require_POST
def revoke_key(request: HttpRequest, key_id: str) -> HttpResponse:
    from .models import Credential

    credential = get_object_or_404(Credential, key_id=key_id)
    try:
        services.revoke_credential(credential, actor=request.user)
    except PermissionDenied as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("密钥 %(k)s 已停用。") % {"k": key_id})
    return redirect("exchange:keys")


# --- reports ------------------------------------------------------------------------------------------------------


@staff_second_factor_required
def reduced(request: HttpRequest) -> HttpResponse:
    rows = selectors.reduced_materials()
    return render(
        request,
        "exchange/reduced.html",
        {"rows": rows, "total": sum(r.obtained for r in rows)},
    )


# --- people ----------------------------------------------------------------------------------------------------------


@login_required
def my_reads(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "exchange/my_reads.html",
        {"reads": selectors.reads_of(request.user), "ok": CallResult.OK},
    )


@login_required
def case_materials(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.applicant_case(request.user, case_id)
    if case is None:
        raise Http404
    rows = [selectors.prefill_row(row) for row in selectors.prefilled_for_case(case.pk)]
    return render(request, "exchange/case_materials.html", {"case": case, "rows": rows})
