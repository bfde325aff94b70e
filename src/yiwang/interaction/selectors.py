"""政民互动 reads: my messages, a department's queue, the public list of published replies, the
knowledge base list. Published replies never show the asker."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from yiwang.accounts import permissions

from .models import FaqEntry, Message, Status
from .services import HANDLER_ROLES


def my_messages(user: Any) -> QuerySet[Message]:
    if not getattr(user, "is_authenticated", False):
        return Message.objects.none()
    return Message.objects.filter(asker=user).select_related("organisation").order_by("-submitted_at", "-id")


def department_queue(user: Any, status: str | None = None) -> QuerySet[Message]:
    queryset = Message.objects.filter(permissions.scope_q(user, HANDLER_ROLES)).select_related("organisation")
    if status in Status.values:
        queryset = queryset.filter(status=status)
    return queryset.order_by("status", "due_on", "id")


def visible_message(user: Any, number: str) -> Message | None:
    """A message its asker or its organisation's handlers may open, or a published one (anyone)."""
    queryset = Message.objects.filter(number=number).select_related("organisation", "implementation", "asker")
    message = queryset.first()
    if message is None:
        return None
    if message.published_at is not None or getattr(user, "pk", None) == message.asker_id:
        return message
    if permissions.has_role(user, HANDLER_ROLES, message.organisation):
        return message
    return None


def published(query: str = "", kind: str | None = None) -> QuerySet[Message]:
    queryset = Message.objects.filter(published_at__isnull=False).select_related("organisation")
    if kind:
        queryset = queryset.filter(kind=kind)
    if query:
        queryset = queryset.filter(
            Q(title__icontains=query) | Q(content__icontains=query) | Q(reply__icontains=query)
        )
    return queryset.order_by("-published_at", "-id")


def faq_entries() -> QuerySet[FaqEntry]:
    return FaqEntry.objects.filter(is_active=True).select_related("implementation", "organisation")
