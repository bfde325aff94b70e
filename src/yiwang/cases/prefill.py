"""Materials the platform obtains itself (免提交): the provider interface cases offers to higher apps.

cases must not import the exchange (architecture.md: dependencies point downwards). Instead a higher app
registers a provider here (exchange does so in ExchangeConfig.ready()); `run_prefill(case)` is called by
cases.services when a draft's materials are copied, so the applicant sees the outcome before submitting.

A provider gets the case and its materials still marked "待共享获取" and returns one PrefillResult for each
material it tried. Obtained materials become "已共享获取"; a failed fetch falls back to "待提交" with the
reason, so the applicant is asked for the material. A material no provider tried keeps its mark (the
department obtains it by its own means, as before sharing was connected). Every outcome is written to the
case's history, which is what the applicant's timeline shows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from yiwang.core import audit

from .models import Case, CaseEvent, CaseMaterial, MaterialStatus

logger = logging.getLogger("yiwang.cases.prefill")


@dataclass(frozen=True)
class PrefillResult:
    material_id: int
    obtained: bool
    source: str  # the department that provided (or failed to provide) the data
    message: str  # what the applicant reads: "已从…获取，无需提交" or why not and what to do


Provider = Callable[[Case, Sequence[CaseMaterial]], Sequence[PrefillResult]]
Selector = Callable[[Sequence[CaseMaterial]], Sequence[CaseMaterial]]
_providers: list[Provider] = []
_selectors: dict[Provider, Selector] = {}


def register_prefill_provider(provider: Provider, *, selects: Selector | None = None) -> None:
    """`selects` (optional, read-only): which of the materials the provider would try. It runs before
    the savepoint the provider gets, so a draft with nothing the provider can obtain costs one read."""
    if provider not in _providers:
        _providers.append(provider)
    if selects is not None:
        _selectors[provider] = selects


def unregister_prefill_provider(provider: Provider) -> None:
    if provider in _providers:
        _providers.remove(provider)
    _selectors.pop(provider, None)


def _selected(provider: Provider, materials: list[CaseMaterial]) -> list[CaseMaterial]:
    selector = _selectors.get(provider)
    return materials if selector is None else list(selector(materials))


def run_prefill(case: Case, pending: Sequence[CaseMaterial] | None = None) -> list[PrefillResult]:
    """Ask every provider for the case's obtainable materials and record what each one got.

    `pending`: the materials still "待共享获取" when the caller has just written them (a new draft), so
    they need not be read back; otherwise they are read from the database."""
    if pending is None:
        pending = list(case.materials.filter(status=MaterialStatus.TO_BE_FETCHED).order_by("order", "id"))
    else:
        pending = sorted(pending, key=lambda m: (m.order, m.pk))
    if not pending or not _providers:
        return []
    results: dict[int, PrefillResult] = {}
    for provider in list(_providers):
        remaining = [m for m in pending if not (m.pk in results and results[m.pk].obtained)]
        if not remaining:
            break
        try:
            remaining = _selected(provider, remaining)
            if not remaining:
                continue
            with transaction.atomic():  # a failing provider rolls back only its own work
                answers = list(provider(case, remaining))
        except Exception:
            logger.exception("prefill provider failed", extra={"case_id": case.pk})
            continue
        wanted = {m.pk for m in remaining}
        for answer in answers:
            if answer.material_id in wanted:
                results[answer.material_id] = answer
    if results:
        _apply(case, pending, results)
    return list(results.values())


def _apply(case: Case, pending: Sequence[CaseMaterial], results: dict[int, PrefillResult]) -> None:
    with transaction.atomic():
        outcome = []
        for material in pending:
            result = results.get(material.pk)
            if result is None:
                continue
            status = MaterialStatus.FETCHED if result.obtained else MaterialStatus.MISSING
            # Guarded: only a material still waiting for sharing changes (an upload in between wins).
            if CaseMaterial.objects.filter(pk=material.pk, status=MaterialStatus.TO_BE_FETCHED).update(
                status=status
            ):
                material.status = status
                outcome.append(
                    {
                        "material": material.name,
                        "obtained": result.obtained,
                        "source": result.source,
                        "message": result.message,
                    }
                )
        if not outcome:
            return
        obtained = sum(1 for row in outcome if row["obtained"])
        comment = "；".join(f"{row['material']}：{row['message']}" for row in outcome)
        CaseEvent.objects.create(
            case=case,
            action="prefill",
            from_status=case.status,
            to_status=case.status,
            actor=None,
            actor_label="系统",
            occurred_at=timezone.now(),
            comment=comment,
            data={"materials": outcome},
        )
        audit.record(
            actor=None,
            action="cases.prefill",
            object_type="cases.case",
            object_id=case.pk,
            summary=f"{case.number or '草稿'}：共享获取材料 {obtained}/{len(outcome)} 项",
            data={"materials": [{"material": r["material"], "obtained": r["obtained"]} for r in outcome]},
        )
