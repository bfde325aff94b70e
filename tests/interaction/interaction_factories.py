"""Organisations with handlers, and messages filed through the real service. Import as
``from interaction.interaction_factories import Desk, consultation``."""

from __future__ import annotations

from typing import Any

from accounts.identity_factories import make_person, make_staff
from catalog.factories import make_organisation
from yiwang.accounts.models import Role, User
from yiwang.core.models import Organisation
from yiwang.interaction import services
from yiwang.interaction.models import Kind, Message


class Desk:
    """An organisation with a window clerk who answers messages, and a supervisor (no handler role)."""

    def __init__(self, organisation: Organisation | None = None, **fields: Any) -> None:
        self.organisation = organisation or make_organisation(**fields)
        self.clerk = make_staff(self.organisation, Role.WINDOW)
        self.supervisor = make_staff(self.organisation, Role.SUPERVISOR)


def consultation(desk: Desk, asker: User | None = None, **fields: Any) -> Message:
    values: dict[str, Any] = {
        "kind": Kind.CONSULTATION,
        "title": "新生儿落户需要带什么材料",
        "content": "孩子刚出生，想问一下办理户口登记需要哪些材料，能否网上办理？",
        "organisation": desk.organisation,
        "publish_consent": False,
    }
    values.update(fields)
    return services.submit(asker=asker or make_person(), **values)
