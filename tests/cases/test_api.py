"""The read-only case API: a person sees their own cases and timelines, never anyone else's."""

from __future__ import annotations

import pytest
from django.test import Client

from cases.case_factories import Office, applicant, filed_case, publish
from yiwang.cases import services

pytestmark = pytest.mark.django_db


def test_my_cases_and_timeline_never_leak_another_persons_case(client: Client) -> None:
    office = Office()
    implementation = publish(office.organisation)
    me, someone = applicant(), applicant()
    mine = filed_case(implementation, me)
    theirs = filed_case(implementation, someone)
    services.accept(mine, actor=office.window)

    assert client.get("/api/cases/mine").status_code == 401
    client.force_login(me)
    listing = client.get("/api/cases/mine").json()
    assert [item["number"] for item in listing["items"]] == [mine.number]
    assert listing["items"][0]["status_label"] == "已受理"
    assert "前作出决定" in listing["items"][0]["next_step"]

    detail = client.get(f"/api/cases/mine/{mine.number}").json()
    actions = [event["action"] for event in detail["timeline"]]
    assert actions[-2:] == ["submit", "accept"]
    accepted = detail["timeline"][-1]
    assert accepted["label"] == "受理" and accepted["documents"][0]["title"] == "受理通知书"

    response = client.get(f"/api/cases/mine/{theirs.number}")
    assert response.status_code == 404 and "没有找到您的办件" in response.json()["detail"]
    assert client.get(f"/api/cases/mine/{theirs.pk}").status_code == 404
