"""Factories for identity tests: valid resident IDs and USCCs, persons at each real-name level, staff,
enterprises. Import as ``from accounts.identity_factories import make_person``."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone
from stdnum.cn import ric, uscc

from yiwang.accounts import enterprises, registries, services
from yiwang.accounts.models import (
    AgentAuthorisation,
    Enterprise,
    Membership,
    PersonIdentity,
    RealNameLevel,
    User,
)
from yiwang.core.validators import mask_resident_id

_sequence = itertools.count(1)
PASSWORD = "Zheshi-Yige-Mima-2024"


def make_resident_id(region: str = "330106", birth: str = "19900307") -> str:
    first17 = f"{region}{birth}{next(_sequence) % 1000:03d}"
    return first17 + ric.calc_check_digit(first17 + "0")


def make_enterprise_uscc(region: str = "330106") -> str:
    body = f"{next(_sequence) % 10**8:08d}"
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(body, weights, strict=True))
    check = 11 - total % 11
    org = body + ("0" if check == 11 else "X" if check == 10 else str(check))
    first17 = "91" + region + org
    return first17 + uscc.calc_check_digit(first17)


def make_phone() -> str:
    return f"139{next(_sequence) % 10**8:08d}"


def make_person(
    *, level: int = RealNameLevel.L1, name: str | None = None, in_registry: bool = True, **fields: Any
) -> User:
    """A registered person (username = phone) with an encrypted resident ID; in the population registry
    unless told otherwise."""
    phone = fields.pop("phone", None) or make_phone()
    number = fields.pop("resident_id", None) or make_resident_id()
    name = name or f"测试居民{next(_sequence)}"
    user = User.objects.create_user(
        username=phone, password=PASSWORD, phone=phone, display_name=name, **fields
    )
    from yiwang.accounts import fieldcrypto

    PersonIdentity.objects.create(
        user=user,
        resident_id_ciphertext=fieldcrypto.encrypt(number, context=registries.RESIDENT_ID_CONTEXT),
        resident_id_index=registries.resident_id_index(number),
        resident_id_masked=mask_resident_id(number),
        level=level,
    )
    if in_registry:
        registries.add_registry_person(name, number)
    return user


def make_staff(organisation: Any, role: str, *, subtree: bool = False, username: str | None = None) -> User:
    user = User.objects.create_user(
        username=username or f"staff{next(_sequence)}",
        password=PASSWORD,
        display_name="工作人员",
        is_staff=False,
    )
    Membership.objects.create(user=user, organisation=organisation, role=role, covers_region_subtree=subtree)
    return user


def make_enterprise(representative: User | None = None, **fields: Any) -> Enterprise:
    """An enterprise in the legal-entity registry, registered on the platform by its representative."""
    representative = representative or make_person(level=RealNameLevel.L2)
    code = fields.pop("uscc", None) or make_enterprise_uscc()
    registries.add_registry_entity(
        code,
        fields.pop("name", f"杭州测试科技有限公司{next(_sequence)}"),
        representative_name=representative.display_name,
        representative_resident_id=services.resident_id_of(representative),
    )
    return enterprises.register_enterprise(user=representative, uscc=code)


def authorise(
    enterprise: Enterprise,
    agent: User,
    *,
    codes: tuple[str, ...] = (),
    all_items: bool = False,
    days: int = 30,
) -> AgentAuthorisation:
    return enterprises.authorise_agent(
        enterprise=enterprise,
        actor=enterprise.representative,
        agent_phone=agent.phone,
        valid_until=timezone.now() + dt.timedelta(days=days),
        all_items=all_items,
        item_codes=codes,
    )
