"""一件事: the members' departments review in parallel lanes, and the case joins when all are done."""

from __future__ import annotations

import pytest

from cases.case_factories import Office, applicant, filed_case, publish
from yiwang.cases import services
from yiwang.cases.errors import NotPermitted, TransitionRefused
from yiwang.cases.models import CaseStatus, StepStatus
from yiwang.catalog import codes
from yiwang.catalog.models import Bundle, BundleMember

pytestmark = pytest.mark.django_db

TWO_STEPS = [
    {"name": "审查", "role": "审查人员", "time_limit": 2},
    {"name": "决定", "role": "科室负责人", "time_limit": 1},
]


def test_bundle_lanes_run_in_parallel_and_join() -> None:
    lead, partner = Office(), Office()
    first = publish(lead.organisation, steps=TWO_STEPS)
    second = publish(partner.organisation, steps=TWO_STEPS)
    bundle = Bundle.objects.create(
        code="B-TEST-1",
        name="开办餐饮店一件事",
        audience=codes.Audience.PERSON,
        lead_organisation=lead.organisation,
        region=lead.organisation.region,
    )
    BundleMember.objects.create(bundle=bundle, implementation=first, order=1)
    BundleMember.objects.create(bundle=bundle, implementation=second, order=2)
    case = filed_case(first, applicant(), bundle=bundle)
    services.accept(case, actor=lead.window)
    services.start_review(case, actor=lead.reviewer)
    active = list(case.steps.filter(status=StepStatus.ACTIVE).order_by("lane"))
    assert [(s.lane, s.name, s.organisation_id) for s in active] == [
        (0, "审查", lead.organisation.pk),
        (1, "审查", partner.organisation.pk),
    ]
    with pytest.raises(NotPermitted):
        services.complete_step(case, active[1], actor=lead.reviewer)  # the partner's lane is theirs
    services.complete_step(case, active[1], actor=partner.reviewer)
    services.complete_step(case, case.steps.get(lane=1, name="决定"), actor=partner.approver)
    with pytest.raises(TransitionRefused, match="未完成的办理环节"):
        services.approve(case, actor=lead.approver)  # lane 0 still open: no join yet
    services.complete_step(case, active[0], actor=lead.reviewer)
    last = services.complete_step(case, case.steps.get(lane=0, name="决定"), actor=lead.approver)
    assert case.events.filter(action="complete_step").last().data["all_steps_done"] is True  # type: ignore[union-attr]
    assert last.status == StepStatus.DONE
    services.extend(case, actor=lead.approver, days=15, reason="联合办理需延长")  # bundle ceiling: 15
    services.approve(case, actor=lead.approver)
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
