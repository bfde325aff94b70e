"""Notices to people and to an organisation's staff, sent after the change has committed: a person through
the in-site inbox (core.inbox), staff by SMS to the members holding given roles. A failing channel never
undoes a committed change; the failure is logged. Used by reviews and interaction (one place, one rule)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from django.db import transaction

from yiwang.accounts import sms
from yiwang.accounts.models import Membership
from yiwang.core import inbox

logger = logging.getLogger("yiwang.notices")


def _deliver(user: Any, title: str, body: str, link: str, case_number: str, category: str) -> None:
    try:
        inbox.send(user, title=title, body=body, link=link, category=category, case_number=case_number)
    except Exception:  # the change stands; the notice is logged for a retry by hand
        logger.exception("notice failed", extra={"user_id": getattr(user, "pk", None), "category": category})


def person(user: Any, *, title: str, body: str, link: str = "", case_number: str = "", category: str) -> None:
    """Tell one person once the current transaction commits."""
    transaction.on_commit(partial(_deliver, user, title, body, link, case_number, category))


def _sms(phone: str, message: str, category: str) -> None:
    try:
        sms.send(phone, message)
    except Exception:
        logger.exception("staff notice failed", extra={"category": category})


def staff(
    organisation_ids: Sequence[int], roles: Sequence[str], message_for: Mapping[int, str], *, category: str
) -> None:
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
            transaction.on_commit(partial(_sms, phone, message, category))
