"""The licence lifecycle as a table: (action, from statuses, to status, who). No status is set elsewhere.

Codes follow the 住建部 certificate interface (domain.md §5): 有效 · 暂扣 · 撤销 · 注销 · 失效 (expired);
操作 暂扣 · 暂扣发还 · 撤销/吊销 · 注销 · 过期失效 · 延续/变更 (a new version supersedes the old one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from .models import LicenceStatus as S

OFFICIAL = "official"  # an approver of the issuing organisation
SYSTEM = "system"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    who: str
    label: Any  # lazy translation
    needs_reason: bool = True


TABLE: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("suspend", (S.VALID,), S.SUSPENDED, OFFICIAL, _("暂扣")),
        Transition("reinstate", (S.SUSPENDED,), S.VALID, OFFICIAL, _("暂扣发还")),
        Transition("revoke", (S.VALID, S.SUSPENDED), S.REVOKED, OFFICIAL, _("撤销")),
        Transition("cancel", (S.VALID, S.SUSPENDED, S.EXPIRED), S.CANCELLED, OFFICIAL, _("注销")),
        Transition("expire", (S.VALID, S.SUSPENDED), S.EXPIRED, SYSTEM, _("过期失效")),
        Transition("supersede", (S.VALID, S.EXPIRED), S.SUPERSEDED, SYSTEM, _("换发新版本")),
    )
}
OFFICIAL_ACTIONS = tuple(a for a, t in TABLE.items() if t.who == OFFICIAL)

LABELS = {"issue": _("签发"), **{a: t.label for a, t in TABLE.items()}}


def label(action: str) -> str:
    return str(LABELS.get(action, action))
