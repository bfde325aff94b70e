"""Notices of the reviews app: the shared accounts.notices, under this app's inbox category."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from yiwang.accounts import notices

CATEGORY = "reviews"


def channel() -> str:
    """How people are told (recorded on invitations): the in-site inbox."""
    return "inbox"


def person(user: Any, *, title: str, body: str, link: str = "", case_number: str = "") -> None:
    notices.person(user, title=title, body=body, link=link, case_number=case_number, category=CATEGORY)


def staff(organisation_ids: Sequence[int], roles: Sequence[str], message_for: Mapping[int, str]) -> None:
    notices.staff(organisation_ids, roles, message_for, category=CATEGORY)
