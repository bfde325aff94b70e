"""Demo data for the supervision dashboards (`yiwang demo load`): a few thousand cases over the last four
months on the published demo items, written in bulk with a realistic spread of channels, outcomes and
handling times (some late, some still open past their deadline), the materials the platform fetched for
them, then the summary tables and the yellow/red cards. The demo supervisor (`supervisor1`) also gets a
region-wide supervisor membership over the demo region.

Idempotent: cases are marked by their idempotency key (`demo-sv-…`) and created once; the summary tables
are rebuilt on every run. A fixed random seed makes the data the same on every machine.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from yiwang.accounts.models import Membership, Role, User
from yiwang.cases.models import Case, CaseMaterial, CaseStatus, Channel, DeliveryMethod, MaterialStatus
from yiwang.catalog.models import Implementation, Material, PublicStatus
from yiwang.core.models import Organisation, Region
from yiwang.core.workdays import CalendarYearMissing, add_working_days, is_working_day

MARK = "demo-sv-"
DAYS = 120
PER_DAY = (12, 30)  # cases filed per working day (range)
SEQUENCE_BASE = 900_000  # demo case numbers use the top of the per-day sequence, away from real ones


class Writer(Protocol):
    def write(self, text: str, /) -> Any: ...


def _supervisor_membership() -> str:
    """Give the demo supervisor a region-wide view of the demo region."""
    user = User.objects.filter(username="supervisor1").first()
    region = Region.objects.filter(code=settings.YIWANG_REGION_CODE).first()
    if user is None or region is None:
        return ""
    organisation = (
        Organisation.objects.filter(region=region, is_active=True).order_by("pk").first()
        or Organisation.objects.filter(region__code__startswith=region.subtree_prefix)
        .order_by("region_id", "pk")
        .first()
    )
    if organisation is None:
        return ""
    membership, _created = Membership.objects.get_or_create(
        user=user, organisation=organisation, role=Role.SUPERVISOR, defaults={"covers_region_subtree": True}
    )
    if not membership.covers_region_subtree:
        membership.covers_region_subtree = True
        membership.save(update_fields=["covers_region_subtree"])
    return f"{user.username}（{organisation.name}，覆盖{organisation.region.name}及下级）"


def _pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _w in weighted], weights=[w for _v, w in weighted])[0]


def _case_rows(today: dt.date, rng: random.Random) -> list[tuple[Case, list[Material]]]:
    implementations = list(
        Implementation.objects.filter(public_status=PublicStatus.PUBLISHED, published_version__isnull=False)
        .select_related("published_version")
        .order_by("implementation_code")
    )
    applicants = list(User.objects.filter(username__startswith="138000000").order_by("username")) or list(
        User.objects.filter(is_superuser=False).order_by("pk")[:5]
    )
    if not implementations or not applicants:
        return []
    obtainable: dict[int, list[Material]] = {}
    for material in Material.objects.filter(
        guide_id__in=[i.published_version_id for i in implementations], situation__isnull=True
    ).exclude(obtainable_by=""):
        obtainable.setdefault(material.guide_id, []).append(material)
    weights = [rng.randint(1, 10) for _ in implementations]  # some items are far busier than others
    rows: list[tuple[Case, list[Material]]] = []
    sequence: dict[tuple[str, dt.date], int] = {}
    for offset in range(DAYS, -1, -1):
        day = today - dt.timedelta(days=offset)
        if not is_working_day(day):
            continue
        for _n in range(rng.randint(*PER_DAY)):
            implementation = rng.choices(implementations, weights=weights)[0]
            guide = implementation.published_version
            assert guide is not None
            key = (implementation.region_id, day)
            sequence[key] = sequence.get(key, 0) + 1
            limit = guide.promised_limit or guide.legal_limit or 20
            channel = _pick(
                rng, [(Channel.WEB, 45), (Channel.MOBILE, 30), (Channel.WINDOW, 20), (Channel.API, 5)]
            )
            case = Case(
                number=f"{implementation.region_id}{day:%Y%m%d}{SEQUENCE_BASE + sequence[key]:06d}",
                implementation=implementation,
                guide=guide,
                organisation_id=implementation.organisation_id,
                region_id=implementation.region_id,
                applicant=rng.choice(applicants),
                channel=channel,
                idempotency_key=f"{MARK}{day:%Y%m%d}-{len(rows)}",
                limit_days=limit,
                submitted_at=timezone.make_aware(dt.datetime.combine(day, dt.time(9 + rng.randint(0, 7)))),
                submitted_on=day,
                acceptance_due=add_working_days(day, min(5, limit)),
                form_data={"demo": True},
            )
            _outcome(case, today, rng)
            rows.append((case, obtainable.get(guide.pk, [])))
    return rows


def _outcome(case: Case, today: dt.date, rng: random.Random) -> None:
    day = case.submitted_on
    assert day is not None
    if rng.random() < 0.03:
        case.status = CaseStatus.NOT_ACCEPTED
        case.not_accepted_reason = "申请事项不属于本机关职权范围，已告知申请人向有权机关提出申请。"
        return
    accepted = add_working_days(day, rng.choice([0, 0, 0, 1, 1, 2]))
    if accepted > today:
        case.status, case.due_on = CaseStatus.SUBMITTED, case.acceptance_due
        return
    case.accepted_on = accepted
    case.decision_due = add_working_days(accepted, case.limit_days)
    late = rng.random() < 0.08
    spent = case.limit_days + rng.randint(1, 6) if late else rng.randint(0, max(0, case.limit_days - 1))
    decided = add_working_days(accepted, spent)
    if decided > today:  # still running
        case.status = CaseStatus.IN_REVIEW
        case.due_on = case.decision_due
        case.warn_on = add_working_days(accepted, max(0, int(case.limit_days * 0.8)))
        case.warning_level = (
            "red" if case.decision_due < today else ("yellow" if case.warn_on <= today else "")
        )
        return
    case.decided_on = decided
    case.completed_on = decided
    case.decision_reason = "材料齐全，符合法定条件，准予办理。"
    case.status = CaseStatus.COMPLETED
    if add_working_days(decided, 1) <= today:
        case.status = CaseStatus.DELIVERED
        case.delivered_on = add_working_days(decided, 1)
        case.delivery_method = _pick(
            rng, [(DeliveryMethod.ELECTRONIC, 45), (DeliveryMethod.POST, 35), (DeliveryMethod.WINDOW, 20)]
        )


def load_demo(*, stdout: Writer) -> None:
    started = time.monotonic()
    who = _supervisor_membership()
    today = timezone.localdate()
    created = 0
    if not Case.objects.filter(idempotency_key__startswith=MARK).exists():
        rng = random.Random(20261122)
        try:
            rows = _case_rows(today, rng)
        except CalendarYearMissing as exc:
            stdout.write(f"效能监督演示数据：跳过（{exc}）")
            return
        with transaction.atomic():
            cases = Case.objects.bulk_create([case for case, _m in rows], batch_size=1000)
            materials = [
                CaseMaterial(
                    case=case,
                    catalog_material=material,
                    name=material.name,
                    necessity=material.necessity,
                    obtainable_by=material.obtainable_by,
                    obtainable_source=material.obtainable_source,
                    order=material.order,
                    status=MaterialStatus.FETCHED,
                )
                for case, (_c, fetched) in zip(cases, rows, strict=True)
                for material in fetched
            ]
            CaseMaterial.objects.bulk_create(materials, batch_size=2000)
        created = len(rows)
    from .alerts import raise_alerts
    from .summary import rebuild

    facts = rebuild()
    raised = raise_alerts(today)
    stdout.write(
        f"效能监督演示数据：新增办件 {created} 件，汇总 {facts} 件，新增红黄牌 {raised.total} 条"
        f"{'；监督账号 ' + who if who else ''}（{time.monotonic() - started:.1f} 秒）。"
    )
