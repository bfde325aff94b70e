"""The in-site inbox (站内信): every notice a person receives on the platform, read or unread.

Writers call `send` (usually after the change they announce has committed, see cases.notify); the inbox
page reads `messages_for` / `unread_count` and marks messages read. A person only ever sees or marks
their own messages: `mark_read` filters by the owner, so another person's message id does nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from yiwang.core.models import InboxMessage

TITLE_MAX = 200
LINK_MAX = 500


def send(
    user: Any,
    *,
    title: str,
    body: str,
    link: str = "",
    category: str = "",
    case_number: str = "",
) -> InboxMessage:
    """Put one message into `user`'s inbox and return it."""
    title = (title or "").strip()
    if not title:
        raise ValueError("站内信标题不能为空。")
    return InboxMessage.objects.create(
        user=user,
        title=title[:TITLE_MAX],
        body=body or "",
        link=(link or "")[:LINK_MAX],
        category=(category or "")[:32],
        case_number=(case_number or "")[:40],
    )


def messages_for(user: Any) -> QuerySet[InboxMessage]:
    """The user's messages, newest first (unread and read alike)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return InboxMessage.objects.none()
    return InboxMessage.objects.filter(user=user).order_by("-created_at", "-id")


def unread_count(user: Any) -> int:
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return InboxMessage.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(user: Any, message_id: int) -> None:
    """Mark one of the user's own messages read; a message already read keeps its first read time."""
    if user is None or not getattr(user, "is_authenticated", False):
        return
    InboxMessage.objects.filter(user=user, pk=message_id, read_at__isnull=True).update(read_at=timezone.now())


def mark_all_read(user: Any) -> int:
    """Mark every unread message of the user read; returns how many changed."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return InboxMessage.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
