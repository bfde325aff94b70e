"""The queue page reads the user's memberships once (`selectors.StaffScope`): its filters must select exactly
what `accounts.permissions` selects, and the page must run a fixed number of queries however many cases
and tabs it shows."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.case_factories import Office, applicant, filed_case, publish
from catalog.factories import make_organisation, make_region
from workbench.workbench_factories import accepted_case, case_in_review, office_with_item, signed_in
from yiwang.accounts import permissions
from yiwang.accounts.models import Role, User
from yiwang.catalog.models import Implementation
from yiwang.core.models import Organisation
from yiwang.workbench import selectors

pytestmark = pytest.mark.django_db

ROLE_SETS = [(Role.WINDOW,), selectors.HANDLING_ROLES, (Role.WINDOW, Role.APPROVER), selectors.CASE_ROLES]


def _user(name: str, *grants: tuple[Organisation, str, bool], **fields: Any) -> User:
    user = User.objects.create_user(username=name, password="x", **fields)
    for organisation, role, subtree in grants:
        user.memberships.create(organisation=organisation, role=role, covers_region_subtree=subtree)
    return user


def test_scope_selects_what_permissions_select() -> None:
    city = make_organisation(make_region("330100"))
    county = make_organisation(make_region("330106"))
    other_city = make_organisation(make_region("330200"))
    for organisation in (city, county, other_city):
        publish(organisation)
    users = [
        _user("wb-window", (county, Role.WINDOW, False)),
        _user("wb-city-supervisor", (city, Role.SUPERVISOR, True), (other_city, Role.WINDOW, False)),
        _user("wb-two-roles", (city, Role.REVIEWER, False), (other_city, Role.APPROVER, True)),
        _user("wb-inactive", (city, Role.WINDOW, True), is_active=False),
        _user("wb-no-role"),
        _user("wb-root", is_superuser=True),
    ]
    for user in users:
        scope = selectors.StaffScope.of(User.objects.get(pk=user.pk))
        for roles in ROLE_SETS:
            by_permissions = set(Implementation.objects.filter(permissions.scope_q(user, roles)))
            assert set(Implementation.objects.filter(scope.cases_q(roles))) == by_permissions, (user, roles)
            expected = set(Organisation.objects.filter(permissions.organisation_scope_q(user, roles)))
            assert set(Organisation.objects.filter(scope.organisations_q(roles))) == expected, (user, roles)
            assert scope.holds(roles) == (user.is_superuser or bool(permissions.memberships(user, roles)))
    supervisor = selectors.StaffScope.of(users[1])
    assert {o.pk for o in Organisation.objects.filter(supervisor.organisations_q(selectors.CASE_ROLES))} == {
        city.pk,
        county.pk,
        other_city.pk,
    }


def test_a_user_without_case_roles_counts_nothing() -> None:
    _office, item = office_with_item()
    filed_case(item, applicant())
    nobody = _user("wb-nobody")
    counts = selectors.queue_counts(nobody, list(selectors.QUEUES), selectors.Filters())
    assert counts == {queue.key: 0 for queue in selectors.QUEUES}
    assert selectors.queues_for(nobody) == []


def _page_queries(user: User, queue: str) -> list[str]:
    client = signed_in(user)
    client.get(f"/workbench/?queue={queue}")  # the session's first request may touch the session row
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/workbench/?queue={queue}").status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_the_queue_page_runs_a_fixed_number_of_queries() -> None:
    office, item = office_with_item()
    filed_case(item, applicant())
    before = {queue: _page_queries(office.window, queue) for queue in ("pre_review", "all")}
    for _ in range(3):
        filed_case(item, applicant())
        accepted_case(office, item)
    case_in_review(office, item)
    Office(office.organisation)  # more staff of the same department change nothing either
    for queue, queries in before.items():
        after = _page_queries(office.window, queue)
        assert len(after) == len(queries), (queue, after)
        # One statement counts every tab; one reads the memberships for the whole page.
        assert sum("COUNT(*)" in sql and "cases_case" in sql for sql in after) == 1
        assert sum('"accounts_membership"."role"' in sql for sql in after) == 1
        assert len(after) <= 10, after


def test_a_case_with_two_active_steps_in_one_department_counts_once() -> None:
    from yiwang.cases.models import CaseStep, StepStatus

    office, item = office_with_item()
    case = case_in_review(office, item)
    step = case.steps.get(status=StepStatus.ACTIVE)
    CaseStep.objects.create(
        case=case,
        lane=step.lane + 1,
        order=step.order,
        name="并联审查",
        role=step.role,
        organisation=office.organisation,
        status=StepStatus.ACTIVE,
    )
    html = signed_in(office.reviewer).get("/workbench/?queue=my_steps").content.decode()
    assert 'data-queue="my_steps">1<' in html and html.count(case.number) == 1
    counts = selectors.queue_counts(
        office.reviewer, selectors.queues_for(office.reviewer), selectors.Filters()
    )
    assert counts["my_steps"] == 1


def test_the_superusers_my_steps_lists_cases_with_an_active_step_anywhere() -> None:
    from yiwang.cases.models import CaseStep, StepStatus

    office, item = office_with_item()
    waiting = accepted_case(office, item)
    reviewing = case_in_review(office, item)
    all_steps_done = case_in_review(office, item)
    CaseStep.objects.filter(case=all_steps_done).update(status=StepStatus.DONE)  # that one is "to decide"
    root = User.objects.create_superuser(username="root-steps", password="x")
    page = {case.pk for case in selectors.queue_cases(root, "my_steps", selectors.Filters())}
    assert page == {waiting.pk, reviewing.pk}
    counts = selectors.queue_counts(root, selectors.queues_for(root), selectors.Filters())
    assert counts["my_steps"] == 2


def test_a_number_prefix_finds_the_cases_it_starts_and_nothing_else() -> None:
    office, implementation = office_with_item()
    first, second = accepted_case(office, implementation), accepted_case(office, implementation)
    number = first.number or ""

    def found(query: str) -> set[int]:
        filters = selectors.Filters.from_params({"q": query})
        return {case.pk for case in selectors.queue_cases(office.window, "all", filters)}

    assert found(number) == {first.pk}  # the whole number
    assert found(number[:14]) == {first.pk, second.pk}  # region and day: both filed today here
    assert found(number[:6] + "19990101") == set()
    assert found("33O1") == set()  # a letter O typed for a zero: no number has letters
