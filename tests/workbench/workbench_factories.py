"""Workbench test data: an office with staff of every role, and cases in each queue.

Import as ``from workbench.workbench_factories import ...``."""

from __future__ import annotations

from typing import Any

from django.test import Client

from cases.case_factories import Office, applicant, filed_case, publish
from yiwang.accounts.models import User
from yiwang.cases import services
from yiwang.cases.models import Case


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)  # the suite's conftest marks the second factor as done
    return client


def office_with_item(**guide: Any) -> tuple[Office, Any]:
    office = Office()
    return office, publish(office.organisation, **guide)


def accepted_case(office: Office, implementation: Any) -> Case:
    case = filed_case(implementation, applicant())
    return services.accept(case, actor=office.window)


def case_in_review(office: Office, implementation: Any) -> Case:
    return services.start_review(accepted_case(office, implementation), actor=office.reviewer)


def finish_steps(office: Office, case: Case) -> Case:
    for _ in list(case.steps.filter(status="active")):
        while True:
            active = case.steps.filter(status="active").first()
            if active is None:
                break
            services.complete_step(case, active, actor=office.reviewer, opinion="符合条件")
    case.refresh_from_db()
    return case
