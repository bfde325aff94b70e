from __future__ import annotations

from pathlib import Path

import pytest

from catalog.factories import make_organisation
from yiwang.accounts import demo, permissions, registries, services
from yiwang.accounts.models import Enterprise, Membership, PersonIdentity, RealNameLevel, User

pytestmark = pytest.mark.django_db


def test_demo_identities_cover_every_level_role_and_the_enterprise(settings: object, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    make_organisation()
    make_organisation()
    path = demo.load_demo_identities()
    again = demo.load_demo_identities()  # idempotent
    assert path == again and path.stat().st_mode & 0o777 == 0o600
    levels = set(PersonIdentity.objects.values_list("level", flat=True))
    assert {RealNameLevel.L1, RealNameLevel.L2, RealNameLevel.L3} <= levels
    assert set(Membership.objects.values_list("role", flat=True)) == set(demo.STAFF_ROLES)
    enterprise = Enterprise.objects.get(uscc=demo.ENTERPRISE_USCC)
    agent = User.objects.get(username=demo.PERSONS[4].phone)
    assert permissions.may_act_for(agent, enterprise)
    sheet = path.read_text(encoding="utf-8")
    password = next(line.split("\t")[1] for line in sheet.splitlines() if line.startswith("13800000001"))
    assert services.check_password("13800000001", password).username == "13800000001"
    assert (
        registries.population_registry()
        .verify(demo.UNREGISTERED.name, demo.UNREGISTERED.resident_id)
        .verified
    )
    level_one = User.objects.get(username="13800000001")
    services.upgrade_to_l2(level_one)
    assert services.level_of(level_one) == RealNameLevel.L2
