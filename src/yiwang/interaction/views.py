"""Pages of 政民互动: intelligent Q&A with hand-over, writing to a department, my messages, a message page
(asker: rate and consent; handlers: reply, transfer, extend, publish), published replies, the knowledge
base, and the department queue. Thin: parse, call a service or selector, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yiwang.accounts.decorators import staff_second_factor_required
from yiwang.core.models import Organisation

from . import forms, knowledge, selectors, services
from .models import Kind, Message, Status
from .services import InteractionError

EVENT_LABELS = {
    "submit": gettext_lazy("提交"),
    "transfer": gettext_lazy("转办"),
    "extend": gettext_lazy("延期答复"),
    "reply": gettext_lazy("答复"),
    "rate": gettext_lazy("评价答复"),
    "publish": gettext_lazy("公开"),
    "unpublish": gettext_lazy("撤下公开"),
    "consent": gettext_lazy("同意公开"),
    "withdraw_consent": gettext_lazy("撤回公开同意"),
}


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "interaction/home.html",
        {"form": forms.AskForm(), "recent": list(selectors.published()[:5]), "kinds": Kind.choices},
    )


def ask(request: HttpRequest) -> HttpResponse:
    form = forms.AskForm(request.GET or None)
    result = None
    if form.is_bound and form.is_valid():
        result = knowledge.answer(form.cleaned_data["q"])
    organisations = Organisation.objects.filter(is_active=True).order_by("region_id", "name")[:500]
    return render(
        request, "interaction/ask.html", {"form": form, "result": result, "organisations": organisations}
    )


@login_required
@require_POST
def hand_over(request: HttpRequest) -> HttpResponse:
    question = request.POST.get("q", "")
    organisation = None
    if request.POST.get("organisation"):
        organisation = Organisation.objects.filter(pk=request.POST["organisation"], is_active=True).first()
    try:
        message = services.hand_over(
            question,
            asker=request.user,
            organisation=organisation,
            publish_consent=request.POST.get("publish_consent") == "on",
        )
    except InteractionError as exc:
        flash.error(request, str(exc))
        return redirect(f"{reverse('interaction:ask')}?{urlencode({'q': question[:200]})}")
    flash.success(
        request, _("已转人工：%(n)s，答复期限 %(d)s。") % {"n": message.number, "d": message.due_on}
    )
    return redirect("interaction:detail", number=message.number)


@login_required
def new(request: HttpRequest) -> HttpResponse:
    initial = {
        "title": request.GET.get("title", "")[:100],
        "kind": request.GET.get("kind") or Kind.CONSULTATION,
    }
    form = forms.MessageForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        files = [(f.name or "", f.content_type or "", f.read()) for f in request.FILES.getlist("attachments")]
        try:
            message = services.submit(
                asker=request.user,
                kind=data["kind"],
                title=data["title"],
                content=data["content"],
                organisation=data.get("organisation"),
                implementation=data.get("implementation"),
                contact_phone=data.get("contact_phone") or "",
                complained_about=data.get("complained_about") or "",
                publish_consent=data.get("publish_consent", False),
                files=files,
            )
        except InteractionError as exc:
            form.add_error(None, str(exc))
        else:
            flash.success(
                request,
                _("已提交，编号 %(n)s。%(org)s 将于 %(d)s 前答复。")
                % {"n": message.number, "org": message.organisation.name, "d": message.due_on},
            )
            return redirect("interaction:detail", number=message.number)
    return render(request, "interaction/new.html", {"form": form})


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    return render(
        request, "interaction/mine.html", {"messages_list": list(selectors.my_messages(request.user)[:200])}
    )


def public_list(request: HttpRequest) -> HttpResponse:
    query = (request.GET.get("q") or "").strip()[:50]
    kind = request.GET.get("kind") if request.GET.get("kind") in Kind.values else None
    page = Paginator(selectors.published(query, kind), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "interaction/public.html",
        {"page": page, "q": query, "kind": kind or "", "kinds": Kind.choices},
    )


def faq(request: HttpRequest) -> HttpResponse:
    query = (request.GET.get("q") or "").strip()[:200]
    if query:
        matches = knowledge.search_faq(query, limit=20)
        entries = [match.entry for match in matches]
    else:
        entries = list(selectors.faq_entries()[:50])
    return render(request, "interaction/faq.html", {"entries": entries, "q": query})


def _message_or_404(request: HttpRequest, number: str) -> Message:
    message = selectors.visible_message(request.user, number)
    if message is None:
        raise Http404(_("没有找到 %(n)s，或它尚未公开。") % {"n": number})
    return message


def _context(request: HttpRequest, message: Message, bound: tuple[str, Any] | None = None) -> dict[str, Any]:
    is_asker = getattr(request.user, "pk", None) == message.asker_id
    is_handler = services.may_handle(request.user, message)

    def form(name: str, cls: type[Any]) -> Any:
        return bound[1] if bound and bound[0] == name else cls(prefix=name)

    staff_forms: list[tuple[str, str, Any]] = []
    if is_handler and message.status == Status.SUBMITTED:
        staff_forms.append(("reply", _("答复"), form("reply", forms.TextForm)))
        staff_forms.append(("transfer", _("转办给有权处理的单位"), form("transfer", forms.TransferForm)))
        if not message.extension_days:
            staff_forms.append(("extend", _("延期答复"), form("extend", forms.ExtendForm)))
    return {
        "message": message,
        "is_asker": is_asker,
        "is_handler": is_handler,
        "staff_forms": staff_forms,
        "rate_form": form("rate", forms.RateReplyForm),
        "attachments": list(message.attachments.all()) if (is_asker or is_handler) else [],
        "events": [
            {
                "at": event.occurred_at,
                "label": EVENT_LABELS.get(event.action, event.action),
                "source": event.from_organisation,
                "target": event.to_organisation,
                "comment": event.comment if is_handler or event.action in ("transfer", "extend") else "",
            }
            for event in message.events.select_related("from_organisation", "to_organisation")
        ]
        if (is_asker or is_handler)
        else [],
    }


def detail(request: HttpRequest, number: str) -> HttpResponse:
    message = _message_or_404(request, number)
    return render(request, "interaction/detail.html", _context(request, message))


ACTION_FORMS: dict[str, type[Any]] = {
    "reply": forms.TextForm,
    "transfer": forms.TransferForm,
    "extend": forms.ExtendForm,
    "rate": forms.RateReplyForm,
}


@login_required
@require_POST
def action(request: HttpRequest, number: str, name: str) -> HttpResponse:
    message = _message_or_404(request, number)
    user = request.user
    try:
        if name in ("publish", "unpublish", "consent", "withdraw_consent"):
            if name == "publish":
                services.publish(message, actor=user)
            elif name == "unpublish":
                services.unpublish(message, actor=user)
            else:
                services.set_consent(message, asker=user, consent=name == "consent")
            flash.success(request, _("已保存。"))
            return redirect("interaction:detail", number=number)
        if name not in ACTION_FORMS:
            raise Http404(_("没有这个操作。"))
        form = ACTION_FORMS[name](request.POST, prefix=name)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if name == "reply":
                    services.reply(message, actor=user, text=data["text"])
                elif name == "transfer":
                    message = services.transfer(
                        message, actor=user, to_organisation=data["to_organisation"], reason=data["text"]
                    )
                elif name == "extend":
                    services.extend(message, actor=user, days=data["days"], reason=data["text"])
                elif name == "rate":
                    services.rate_reply(
                        message, asker=user, satisfaction=data["satisfaction"], comment=data["comment"]
                    )
            except PermissionDenied:
                raise
            except InteractionError as exc:
                form.add_error(None, str(exc))
            else:
                flash.success(request, _("已保存。"))
                if name == "transfer" and not services.may_handle(user, message):
                    return redirect("interaction:staff")
                return redirect("interaction:detail", number=number)
        return render(
            request, "interaction/detail.html", _context(request, message, (name, form)), status=400
        )
    except PermissionDenied:
        raise
    except InteractionError as exc:
        flash.error(request, str(exc))
        return redirect("interaction:detail", number=number)


@staff_second_factor_required
def staff(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or ""
    queue = list(selectors.department_queue(request.user, status or None)[:300])
    return render(
        request, "interaction/staff.html", {"queue": queue, "status": status, "statuses": Status.choices}
    )
