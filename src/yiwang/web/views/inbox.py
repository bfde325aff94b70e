"""我的消息: the person's in-site inbox (core.inbox), newest first, with the unread count."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.core import inbox as core_inbox
from yiwang.web.views.errors import NotFound

PAGE_SIZE = 20


def safe_link(link: str) -> str:
    """Only links inside this site are followed from a message (a path, never another host)."""
    link = (link or "").strip()
    return link if link.startswith("/") and not link.startswith("//") and "\\" not in link else ""


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    page = Paginator(core_inbox.messages_for(request.user), PAGE_SIZE).get_page(number)
    return render(
        request,
        "web/inbox/list.html",
        {"page_obj": page, "unread": core_inbox.unread_count(request.user)},
    )


@login_required
def message(request: HttpRequest, message_id: int) -> HttpResponse:
    """One message; opening it marks it read."""
    found = core_inbox.messages_for(request.user).filter(pk=message_id).first()
    if found is None:
        raise NotFound(_("没有找到这条消息。"))
    core_inbox.mark_read(request.user, found.pk)
    return render(request, "web/inbox/message.html", {"message": found, "link": safe_link(found.link)})


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    changed = core_inbox.mark_all_read(request.user)
    messages.success(request, _("已将 %(n)d 条消息标为已读。") % {"n": changed})
    return redirect("web:inbox")
