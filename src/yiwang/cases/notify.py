"""Tell people what happened to a case, after the change has committed: the applicant by SMS (the
pluggable gateway in accounts.sms), responsible staff about deadline warnings. A failing gateway never
undoes a committed change; it is logged."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial

from django.db import transaction

from yiwang.accounts import sms
from yiwang.accounts.models import Membership, Role

logger = logging.getLogger("yiwang.cases")


def _send(phone: str, message: str) -> None:
    try:
        sms.send(phone, message)
    except Exception:  # the case change stands; the notice is logged for a retry by hand
        logger.exception("case notification failed", extra={"sms_message": message})


def applicant(phone: str, message: str) -> None:
    """SMS the applicant once the current transaction commits (nothing when no phone is known)."""
    if phone:
        transaction.on_commit(lambda: _send(phone, message))


def staff(organisation_ids: Iterable[int], message_for: dict[int, str]) -> None:
    """SMS the window and approver staff of each organisation its own message (after commit)."""
    ids = list(organisation_ids)
    if not ids:
        return
    rows = (
        Membership.objects.filter(organisation_id__in=ids, role__in=[Role.WINDOW, Role.APPROVER])
        .exclude(user__phone="")
        .values_list("organisation_id", "user__phone")
        .distinct()
    )
    for organisation_id, phone in rows:
        message = message_for.get(organisation_id)
        if message:
            transaction.on_commit(partial(_send, phone, message))
