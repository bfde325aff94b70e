"""The in-site inbox: send, list newest first, unread count, mark read (own messages only)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from yiwang.accounts.models import User
from yiwang.core import inbox
from yiwang.core.models import InboxMessage

pytestmark = pytest.mark.django_db


def _user(name: str) -> User:
    return User.objects.create_user(username=name, password=None)


def test_send_lists_newest_first_and_counts_unread() -> None:
    alice = _user("alice")
    first = inbox.send(alice, title="办件已受理", body="您的申请已受理。", case_number="X1", category="case")
    second = inbox.send(alice, title="请补正材料", body="缺少身份证复印件。", link="/cases/X1/")
    assert list(inbox.messages_for(alice)) == [second, first]
    assert inbox.unread_count(alice) == 2
    assert first.case_number == "X1" and first.category == "case" and second.link == "/cases/X1/"


def test_mark_read_only_touches_own_message_and_keeps_first_read_time() -> None:
    alice, bob = _user("alice"), _user("bob")
    message = inbox.send(alice, title="通知", body="")
    inbox.mark_read(bob, message.pk)  # another person's id does nothing
    message.refresh_from_db()
    assert message.read_at is None
    inbox.mark_read(alice, message.pk)
    message.refresh_from_db()
    first_read = message.read_at
    assert first_read is not None and message.is_read
    inbox.mark_read(alice, message.pk)
    message.refresh_from_db()
    assert message.read_at == first_read
    assert inbox.unread_count(alice) == 0


def test_mark_all_read_returns_how_many_changed() -> None:
    alice, bob = _user("alice"), _user("bob")
    for n in range(3):
        inbox.send(alice, title=f"通知{n}", body="")
    inbox.send(bob, title="别人的通知", body="")
    inbox.mark_read(alice, inbox.messages_for(alice).first().pk)  # type: ignore[union-attr]
    assert inbox.mark_all_read(alice) == 2
    assert inbox.mark_all_read(alice) == 0
    assert inbox.unread_count(bob) == 1


def test_anonymous_has_an_empty_inbox_and_blank_title_is_refused() -> None:
    anonymous = AnonymousUser()
    assert inbox.unread_count(anonymous) == 0
    assert list(inbox.messages_for(anonymous)) == []
    assert inbox.mark_all_read(anonymous) == 0
    inbox.mark_read(anonymous, 1)
    with pytest.raises(ValueError, match="标题不能为空"):
        inbox.send(_user("carol"), title="  ", body="x")
    assert InboxMessage.objects.count() == 0
