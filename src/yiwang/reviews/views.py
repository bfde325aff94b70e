"""Pages of 好差评: public disclosure, rating a completed case, my reviews (追评, outcome), and the staff
pages for rectification work orders and appeal decisions. Thin: parse, call a service or selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yiwang.accounts.decorators import staff_second_factor_required
from yiwang.cases.models import Case

from . import forms, selectors, services, transitions
from .errors import ReviewError
from .models import Channel, Level, OrderStatus, Review

ORDER_FORMS: dict[str, type[forms.forms.Form]] = {
    "verify": forms.OrderActionForm,
    "rectify": forms.OrderActionForm,
    "explain": forms.OrderActionForm,
    "appeal": forms.OrderActionForm,
    "feedback": forms.OrderActionForm,
    "return_visit": forms.ReturnVisitForm,
    "decide_appeal": forms.AppealDecisionForm,
    "close": forms.OrderActionForm,
}
ACTION_HINTS = {
    "verify": gettext_lazy("回访核实情况（与评价人联系的时间、方式和核实到的事实）"),
    "rectify": gettext_lazy("整改措施（立行立改或限期整改的内容）"),
    "explain": gettext_lazy("解释说明（缺乏法定依据的诉求，向评价人说明的理由）"),
    "appeal": gettext_lazy("申诉理由（误评或不实差评的事实和证据）"),
    "feedback": gettext_lazy("反馈给评价人的内容"),
    "return_visit": gettext_lazy("回访情况"),
    "close": gettext_lazy("办结意见（选填）"),
}


def _channel(request: HttpRequest) -> str:
    wanted = request.GET.get("channel") or request.POST.get("channel") or ""
    if wanted in (Channel.QR_CODE, Channel.SMS):  # from the QR code on the result or the SMS link
        return wanted
    agent = request.headers.get("User-Agent", "")
    return Channel.MOBILE if "Mobile" in agent or "Android" in agent else Channel.PC


# --- public ----------------------------------------------------------------------------------------


def disclosure(request: HttpRequest) -> HttpResponse:
    form = forms.DisclosureForm(request.GET or None)
    rows: list[dict[str, Any]] = []
    totals: dict[str, Any] | None = None
    params: dict[str, Any] = {}
    if form.is_bound:
        if form.is_valid():
            params = form.cleaned_data
    else:
        start, end = forms.default_period()
        params = {"start": start, "end": end, "dimension": "organisation", "region": ""}
    if params:
        try:
            rows = selectors.stats_by(
                params["dimension"],
                start=params["start"],
                end=params["end"],
                region_code=params.get("region") or None,
            )
            totals = selectors.review_stats(
                start=params["start"], end=params["end"], region_code=params.get("region") or None
            )
        except ValueError as exc:
            form.add_error("region" if params.get("region") else None, str(exc))
    for row in [*rows, *([totals] if totals else [])]:
        row["satisfaction_pct"] = _percent(row["satisfaction_rate"])
        row["rectification_pct"] = _percent(row["rectification_rate"])
    return render(
        request, "reviews/disclosure.html", {"form": form, "rows": rows, "totals": totals, "params": params}
    )


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


# --- the rater -------------------------------------------------------------------------------------


def _ratable_case(request: HttpRequest, number: str) -> Case:
    case = (
        Case.objects.select_related("implementation", "organisation", "applicant", "enterprise")
        .filter(number=number)
        .first()
    )
    if case is None or not services.may_rate(request.user, case):
        raise Http404(_("没有找到您的办件 %(n)s。") % {"n": number})
    return case


@login_required
def rate(request: HttpRequest, number: str) -> HttpResponse:
    case = _ratable_case(request, number)
    existing = Review.objects.filter(case=case, rater_id=request.user.pk).first()
    if existing is not None:
        messages.info(request, _("您已评价过办件 %(n)s，可在这里追评一次。") % {"n": number})
        return redirect("reviews:mine")
    form = forms.RateForm(request.POST or None)
    chosen_labels = request.POST.getlist("labels")
    if request.method == "POST" and form.is_valid():
        try:
            services.rate(
                case,
                rater=request.user,
                level=form.cleaned_data["level"],
                channel=_channel(request),
                labels=chosen_labels,
                comment=form.cleaned_data["comment"],
            )
        except ReviewError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("感谢您的评价。差评将由办理部门回访核实并整改，结果会反馈给您。"))
            return redirect("reviews:mine")
    label_groups = [(level, label, services.labels_for(level)) for level, label in Level.choices]
    return render(
        request,
        "reviews/rate.html",
        {
            "case": case,
            "form": form,
            "label_groups": label_groups,
            "chosen_labels": chosen_labels,
            "channel": _channel(request),
        },
    )


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    reviews = list(selectors.my_reviews(request.user)[:100])
    return render(request, "reviews/mine.html", {"reviews": reviews, "follow_up_form": forms.FollowUpForm()})


@login_required
@require_POST
def follow_up(request: HttpRequest, review_id: int) -> HttpResponse:
    review = selectors.my_review_of(request.user, review_id)
    if review is None:
        raise Http404(_("没有找到这条评价。"))
    form = forms.FollowUpForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("追评内容不能为空，最多 1000 字。"))
        return redirect("reviews:mine")
    try:
        services.follow_up(review, rater=request.user, text=form.cleaned_data["text"])
    except ReviewError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("追评已提交。"))
    return redirect("reviews:mine")


# --- the hall terminal (现场“一次一评”) ----------------------------------------------------------------


@staff_second_factor_required
def hall(request: HttpRequest) -> HttpResponse:
    """The window's rating terminal: the clerk opens a completed case, the applicant rates on it."""
    number = (request.GET.get("number") or request.POST.get("number") or "").strip()
    case = None
    problem = ""
    if number:
        case = (
            Case.objects.select_related("implementation", "organisation", "applicant")
            .filter(number=number)
            .first()
        )
        if case is None or not services.may_record_at_window(request.user, case):
            case, problem = None, _("没有找到本机构的办件 %(n)s，请核对办件编号。") % {"n": number}
        elif Review.objects.filter(case=case, rater_id=case.applicant_id).exists():
            case, problem = None, _("办件 %(n)s 已评价过（一事一评）。") % {"n": number}
    form = forms.RateForm(request.POST or None)
    chosen_labels = request.POST.getlist("labels")
    if case is not None and request.method == "POST" and form.is_valid():
        try:
            services.rate(
                case,
                rater=case.applicant,
                level=form.cleaned_data["level"],
                channel=Channel.HALL_TABLET,
                labels=chosen_labels,
                comment=form.cleaned_data["comment"],
                recorded_by=request.user,
            )
        except ReviewError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("评价已记录，感谢您的评价。"))
            return redirect("reviews:hall")
    label_groups = [(level, label, services.labels_for(level)) for level, label in Level.choices]
    return render(
        request,
        "reviews/hall.html",
        {
            "case": case,
            "number": number,
            "problem": problem,
            "form": form,
            "label_groups": label_groups,
            "chosen_labels": chosen_labels,
        },
    )


# --- staff -----------------------------------------------------------------------------------------


@staff_second_factor_required
def staff_orders(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or ""
    if status and status not in OrderStatus.values:
        status = ""
    orders = list(selectors.department_orders(request.user, status or None)[:200])
    return render(
        request,
        "reviews/staff_orders.html",
        {"orders": orders, "status": status, "statuses": OrderStatus.choices},
    )


@staff_second_factor_required
def staff_appeals(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reviews/staff_appeals.html",
        {
            "appeals": list(selectors.pending_appeals(request.user)[:200]),
            "closing": list(selectors.awaiting_closure(request.user)[:200]),
        },
    )


def _order_or_404(request: HttpRequest, order_id: int) -> Any:
    order = selectors.visible_order(request.user, order_id)
    if order is None:
        raise Http404(_("没有找到该整改工单，或您无权查看。"))
    return order


def _action_forms(
    request: HttpRequest, order: Any, bound: tuple[str, Any] | None = None
) -> list[dict[str, Any]]:
    roles = services.roles_of(request.user, order)
    available: list[dict[str, Any]] = []
    for action in transitions.allowed_actions(order.status):
        transition = transitions.TRANSITIONS[(order.status, action)]
        if not roles & transition.who:
            continue
        name = "decide_appeal" if action in ("uphold_appeal", "reject_appeal") else action
        if any(item["action"] == name for item in available):
            continue
        form_class = ORDER_FORMS[name]
        form = bound[1] if bound and bound[0] == name else form_class(prefix=name)
        if name in ACTION_HINTS and "text" in form.fields:
            form.fields["text"].label = ACTION_HINTS[name]
            form.fields["text"].required = name != "close"
        label = _("申诉复核决定") if name == "decide_appeal" else transitions.label(action)
        available.append({"action": name, "label": label, "form": form})
    return available


@staff_second_factor_required
def staff_order(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order_or_404(request, order_id)
    return render(request, "reviews/staff_order.html", _order_context(request, order))


def _order_context(request: HttpRequest, order: Any, bound: tuple[str, Any] | None = None) -> dict[str, Any]:
    return {
        "order": order,
        "review": order.review,
        "events": [
            {"at": event.occurred_at, "label": transitions.label(event.action), "comment": event.comment}
            for event in order.events.all()
        ],
        "actions": _action_forms(request, order, bound),
    }


@staff_second_factor_required
@require_POST
def staff_order_action(request: HttpRequest, order_id: int, action: str) -> HttpResponse:
    order = _order_or_404(request, order_id)
    if action not in ORDER_FORMS:
        raise Http404(_("没有这个操作。"))
    form = ORDER_FORMS[action](request.POST, prefix=action)
    if action in ACTION_HINTS and "text" in form.fields:
        form.fields["text"].label = ACTION_HINTS[action]
        form.fields["text"].required = action != "close"
    if form.is_valid():
        data = form.cleaned_data
        try:
            _run(order, action, request.user, data)
        except PermissionDenied:
            raise
        except ReviewError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("已保存：%(a)s。")
                % {"a": _("申诉复核决定") if action == "decide_appeal" else transitions.label(action)},
            )
            return redirect("reviews:staff_order", order_id=order.pk)
    return render(
        request, "reviews/staff_order.html", _order_context(request, order, (action, form)), status=400
    )


def _run(order: Any, action: str, actor: Any, data: dict[str, Any]) -> None:
    text = data.get("text", "")
    if action == "verify":
        services.verify(order, actor=actor, note=text)
    elif action == "rectify":
        services.rectify(order, actor=actor, text=text)
    elif action == "explain":
        services.explain(order, actor=actor, text=text)
    elif action == "appeal":
        services.appeal(order, actor=actor, reason=text)
    elif action == "feedback":
        services.give_feedback(order, actor=actor, text=text)
    elif action == "return_visit":
        services.record_return_visit(order, actor=actor, note=text, satisfied=data.get("satisfied"))
    elif action == "decide_appeal":
        services.decide_appeal(order, actor=actor, upheld=data["upheld"], reason=text)
    elif action == "close":
        services.close(order, actor=actor, comment=text)
