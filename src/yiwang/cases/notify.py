"""Tell people what happened to a case, after the change has committed.

- The applicant: a message in the in-site inbox (core.inbox), an SMS through the pluggable gateway
  (accounts.sms) and, when the applicant has an e-mail address, an e-mail through Django's e-mail backend.
- Staff: the window and approver staff of an organisation get an inbox message (and an SMS when they
  have a phone) about deadline warnings and cases waiting for them.

The applicant's inbox row is written in the changing transaction (it commits with the change or not at
all); SMS, e-mail and staff notices run in `transaction.on_commit`, so nobody is told about a change that
rolled back, and a failing external channel never undoes a committed change: it is logged, and the other
channels still go out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import NoReverseMatch, reverse

from yiwang.accounts import sms
from yiwang.accounts.models import Membership, Role, User
from yiwang.core import inbox
from yiwang.core.models import InboxMessage

logger = logging.getLogger("yiwang.cases")

CATEGORY = "case"
STAFF_CATEGORY = "case_staff"
STAFF_ROLES = (Role.WINDOW, Role.APPROVER)


@dataclass(frozen=True)
class Notice:
    """One applicant-facing notice: the title is the inbox/e-mail subject, the text the SMS and body."""

    user_id: int
    phone: str
    email: str
    title: str
    text: str
    case_number: str = ""
    link: str = ""


def case_link(case_number: str | None) -> str:
    """Where the applicant follows the case on the portal ("我的办件" detail page)."""
    if not case_number:
        return ""
    try:
        return reverse("web:my_case", args=[case_number])
    except (NoReverseMatch, ImportError):  # the portal is not mounted (or not loadable): no link
        return ""


def _guarded(channel: str, func: Any, *args: Any) -> None:
    try:
        func(*args)
    except Exception:  # the case change stands; the notice is logged for a retry by hand
        logger.exception("case notification failed", extra={"channel": channel})


def _send_sms(phone: str, message: str) -> None:
    _guarded("sms", sms.send, phone, message)


def _send_email(address: str, subject: str, body: str) -> None:
    _guarded(
        "email",
        lambda: send_mail(
            subject, body, getattr(settings, "DEFAULT_FROM_EMAIL", None), [address], fail_silently=False
        ),
    )


def _deliver(notices: list[Notice]) -> None:
    """Inbox (one bulk insert), then SMS and e-mail one by one."""
    try:
        _insert(_inbox_rows(notices))
    except Exception:
        logger.exception("case notification failed", extra={"channel": "inbox"})
    _send_external(notices)


def _inbox_rows(notices: list[Notice]) -> list[InboxMessage]:
    return [
        InboxMessage(
            user_id=n.user_id,
            title=n.title[: inbox.TITLE_MAX],
            body=n.text,
            link=n.link,
            category=CATEGORY,
            case_number=n.case_number or "",
        )
        for n in notices
    ]


def _insert(messages: list[InboxMessage]) -> None:
    """One INSERT. A lone message (the usual case) is saved as such: bulk_create wraps even one row in a
    transaction of its own (two more round trips), which a single autocommitted INSERT does not need."""
    if len(messages) == 1:
        messages[0].save(force_insert=True)
    elif messages:
        InboxMessage.objects.bulk_create(messages)


def _send_external(notices: list[Notice]) -> None:
    for n in notices:
        if n.phone:
            _send_sms(n.phone, n.text)
        if n.email:
            _send_email(n.email, n.title, n.text)


def applicant_notices(notices: Iterable[Notice]) -> None:
    """Notify applicants of a change being made in the current transaction.

    The inbox rows are written in the transaction itself: they commit with the change or not at all, and
    cost no commit of their own. SMS and e-mail leave the building, so they go after the commit (one
    callback for the whole batch). Outside a transaction everything is delivered at once."""
    batch = list(notices)
    if not batch:
        return
    if not transaction.get_connection().in_atomic_block:
        _deliver(batch)
        return
    _insert(_inbox_rows(batch))
    if any(n.phone or n.email for n in batch):
        transaction.on_commit(partial(_send_external, batch))


def applicant(case: Any, message: str, *, title: str = "") -> None:
    """Notify the case's applicant (inbox + SMS + e-mail) once the current transaction commits.

    The SMS goes to the contact phone the form gives, else the account's phone."""
    user: User = case.applicant
    phone = str((case.form_data or {}).get("contact_phone") or user.phone or "")
    applicant_notices(
        [
            Notice(
                user_id=user.pk,
                phone=phone,
                email=user.email or "",
                title=title or _title_from(message, case.number),
                text=message,
                case_number=case.number or "",
                link=case_link(case.number),
            )
        ]
    )


def _title_from(message: str, number: str | None) -> str:
    """A short subject: the SMS text without its 【一网】 signature, cut at the first full stop."""
    text = message.removeprefix("【一网】").strip()
    head = text.split("。", 1)[0]
    return (head or (f"办件 {number} 有新进展" if number else "办件通知"))[:80]


def staff_users(organisation_ids: Iterable[int]) -> dict[int, list[tuple[int, str]]]:
    """Window and approver staff per organisation: [(user id, phone)] (one query)."""
    rows = (
        Membership.objects.filter(organisation_id__in=list(organisation_ids), role__in=STAFF_ROLES)
        .values_list("organisation_id", "user_id", "user__phone")
        .distinct()
    )
    found: dict[int, list[tuple[int, str]]] = {}
    for organisation_id, user_id, phone in rows:
        if (user_id, phone) not in found.setdefault(organisation_id, []):
            found[organisation_id].append((user_id, phone or ""))
    return found


def _deliver_staff(message_for: Mapping[int, str], title: str, link: str) -> None:
    recipients = staff_users(message_for)
    messages: list[InboxMessage] = []
    texts: list[tuple[str, str]] = []
    for organisation_id, people in recipients.items():
        message = message_for.get(organisation_id)
        if not message:
            continue
        for user_id, phone in people:
            messages.append(
                InboxMessage(user_id=user_id, title=title, body=message, link=link, category=STAFF_CATEGORY)
            )
            if phone:
                texts.append((phone, message))
    try:
        _insert(messages)
    except Exception:
        logger.exception("case notification failed", extra={"channel": "inbox"})
    for phone, message in texts:
        _send_sms(phone, message)


def staff(
    organisation_ids: Iterable[int],
    message_for: Mapping[int, str],
    *,
    title: str = "办件时限提醒",
    link: str = "/workbench/",
) -> None:
    """Send the window and approver staff of each organisation its own message (inbox + SMS, after commit)."""
    wanted = {oid: message_for[oid] for oid in organisation_ids if message_for.get(oid)}
    if wanted:
        transaction.on_commit(partial(_deliver_staff, wanted, title, link))
