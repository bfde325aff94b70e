"""Tell people about reviews after the change has committed: the rater through the in-site inbox
(`yiwang.core.inbox.send`) — or by SMS (accounts.sms, as cases.notify does) where no inbox is installed —
and the responsible organisation's staff by SMS. A failing channel never undoes a committed change."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from django.db import transaction

from yiwang.accounts import sms
from yiwang.accounts.models import Membership

logger = logging.getLogger("yiwang.reviews")


def _inbox_send() -> Any:
    try:
        return importlib.import_module("yiwang.core.inbox").send
    except (ImportError, AttributeError):
        return None


def _deliver(user: Any, title: str, body: str, link: str, case_number: str) -> None:
    send = _inbox_send()
    try:
        if send is not None:
            send(user, title=title, body=body, link=link, category="reviews", case_number=case_number)
        elif getattr(user, "phone", ""):
            sms.send(user.phone, f"【一网】{body}")
    except Exception:  # the change stands; the notice is logged for a retry by hand
        logger.exception("review notification failed", extra={"user_id": getattr(user, "pk", None)})


def channel() -> str:
    """How people are told: 'inbox' when the in-site inbox exists, else 'sms'."""
    return "inbox" if _inbox_send() is not None else "sms"


def person(user: Any, *, title: str, body: str, link: str = "", case_number: str = "") -> None:
    """Tell one person once the current transaction commits."""
    transaction.on_commit(partial(_deliver, user, title, body, link, case_number))


def _sms(phone: str, message: str) -> None:
    try:
        sms.send(phone, message)
    except Exception:
        logger.exception("review staff notification failed")


def staff(organisation_ids: Sequence[int], roles: Sequence[str], message_for: Mapping[int, str]) -> None:
    """SMS the staff of each organisation holding one of `roles` its own message (after commit)."""
    if not organisation_ids:
        return
    rows = (
        Membership.objects.filter(organisation_id__in=organisation_ids, role__in=roles)
        .exclude(user__phone="")
        .values_list("organisation_id", "user__phone")
        .distinct()
    )
    for organisation_id, phone in rows:
        message = message_for.get(organisation_id)
        if message:
            transaction.on_commit(partial(_sms, phone, message))
