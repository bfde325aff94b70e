"""Demo identities for `yiwang demo load`: registry records, a person at each real-name level, an enterprise
with its representative and an agent, and staff of every role in several departments.

Idempotent. Passwords come from YIWANG_DEMO_PASSWORD, or are generated once into data/demo-identities.txt
(never the repository). Public accounts sign in with password + SMS code: with the default file gateway the
code is in data/sms-outbox.log (`yiwang sms latest PHONE`). Staff enrol an authenticator app (TOTP) at
their first sign-in.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from stdnum.cn import ric, uscc

from yiwang.accounts import fieldcrypto, registries
from yiwang.accounts.models import (
    AgentAuthorisation,
    Enterprise,
    Membership,
    PersonIdentity,
    RealNameLevel,
    Role,
    User,
)
from yiwang.core import audit
from yiwang.core.validators import mask_resident_id

IDENTITIES_FILE = "demo-identities.txt"


class Writer(Protocol):
    def write(self, text: str, /) -> Any: ...


STAFF_ROLES = [Role.WINDOW, Role.REVIEWER, Role.APPROVER, Role.SUPERVISOR, Role.ADMIN, Role.EVALUATOR]
STAFF_DEPARTMENTS = 2


def _resident_id(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def _enterprise_uscc(region: str, body8: str) -> str:
    """91 (enterprise) + region + 组织机构代码 (8 characters and their GB 11714 check) + GB 32100 check."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    total = sum(alphabet.index(c) * w for c, w in zip(body8, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    first17 = "91" + region + body8 + ("0" if check == 11 else "X" if check == 10 else str(check))
    return first17 + uscc.calc_check_digit(first17)


@dataclass(frozen=True)
class DemoPerson:
    phone: str
    name: str
    resident_id: str
    level: int
    note: str


PERSONS = [
    DemoPerson(
        "13800000001",
        "李一级",
        _resident_id("33010619850312001"),
        RealNameLevel.L1,
        "实名一级（可在线核验升为二级）",
    ),
    DemoPerson("13800000002", "王二级", _resident_id("33010619900521002"), RealNameLevel.L2, "实名二级"),
    DemoPerson("13800000003", "张三级", _resident_id("33010619780808003"), RealNameLevel.L3, "实名三级"),
    DemoPerson(
        "13800000004", "赵法人", _resident_id("33010619700101004"), RealNameLevel.L2, "企业法定代表人"
    ),
    DemoPerson("13800000005", "孙经办", _resident_id("33010619950615005"), RealNameLevel.L2, "企业经办人"),
]
# In the registry but not yet registered on the platform: use it to try registration and the L2 check.
UNREGISTERED = DemoPerson("13800000009", "周未注册", _resident_id("33010620000229009"), 0, "")
ENTERPRISE_USCC = _enterprise_uscc("330106", "MA2CD8K7")
ENTERPRISE_NAME = "杭州一网示范科技有限公司"


def _password_file() -> Path:
    return Path(settings.DATA_DIR) / IDENTITIES_FILE


def _passwords(usernames: list[str]) -> dict[str, str]:
    stored: dict[str, str] = {}
    path = _password_file()
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) >= 2 and not line.startswith("#"):
                stored[parts[0]] = parts[1]
    shared = os.environ.get("YIWANG_DEMO_PASSWORD", "")
    return {name: shared or stored.get(name) or f"Yw-{secrets.token_urlsafe(9)}" for name in usernames}


def _user(username: str, password: str, **fields: Any) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, **fields)
        user.set_password(password)
        user.save()
        audit.record(
            actor=None,
            action="accounts.demo_user.create",
            object_type="accounts.User",
            object_id=user.pk,
            summary=f"创建演示账号 {username}",
        )
    elif not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


def _person(person: DemoPerson, password: str) -> User:
    user = _user(person.phone, password, phone=person.phone, display_name=person.name)
    PersonIdentity.objects.update_or_create(
        user=user,
        defaults={
            "resident_id_ciphertext": fieldcrypto.encrypt(
                person.resident_id, context=registries.RESIDENT_ID_CONTEXT
            ),
            "resident_id_index": registries.resident_id_index(person.resident_id),
            "resident_id_masked": mask_resident_id(person.resident_id),
            "level": person.level,
            "level_source": "demo",
            "level_verified_at": timezone.now(),
        },
    )
    return user


def _departments() -> list[Any]:
    from yiwang.core.models import Organisation, OrganisationKind

    return list(
        Organisation.objects.filter(kind=OrganisationKind.DEPARTMENT, is_active=True)
        .select_related("region")
        .order_by("region_id", "pk")[:STAFF_DEPARTMENTS]
    )


def _item_codes(limit: int = 2) -> list[str]:
    from yiwang.catalog.models import Implementation, PublicStatus

    return list(
        Implementation.objects.filter(public_status=PublicStatus.PUBLISHED)
        .order_by("implementation_code")
        .values_list("implementation_code", flat=True)[:limit]
    )


def load_demo_identities(stdout: Writer | None = None) -> Path:
    """Create or refresh every demo identity; write the sign-in sheet; print how to sign in."""
    departments = _departments()
    staff_names = [f"{role}{n}" for n, _org in enumerate(departments, start=1) for role in STAFF_ROLES]
    passwords = _passwords([p.phone for p in PERSONS] + staff_names)
    lines = [
        "# 一网演示账号（由 yiwang demo load 生成；只在本机 data/ 目录，切勿提交）",
        "# 账号\t密码\t说明",
    ]
    with transaction.atomic():
        for person in [*PERSONS, UNREGISTERED]:
            registries.add_registry_person(person.name, person.resident_id)
        representative_data, agent_data = PERSONS[3], PERSONS[4]
        registries.add_registry_entity(
            ENTERPRISE_USCC,
            ENTERPRISE_NAME,
            representative_name=representative_data.name,
            representative_resident_id=representative_data.resident_id,
            region_code="330106",
        )
        users = {p.phone: _person(p, passwords[p.phone]) for p in PERSONS}
        for p in PERSONS:
            lines.append(f"{p.phone}\t{passwords[p.phone]}\t个人：{p.name}，{p.note}；登录需短信验证码")
        representative = users[representative_data.phone]
        enterprise, _created = Enterprise.objects.get_or_create(
            uscc=ENTERPRISE_USCC,
            defaults={
                "name": ENTERPRISE_NAME,
                "representative": representative,
                "verified_at": timezone.now(),
            },
        )
        agent = users[agent_data.phone]
        if not AgentAuthorisation.objects.filter(
            enterprise=enterprise, agent=agent, revoked_at__isnull=True
        ).exists():
            codes = _item_codes()
            AgentAuthorisation.objects.create(
                enterprise=enterprise,
                agent=agent,
                all_items=not codes,
                item_codes=codes,
                valid_until=timezone.now() + dt.timedelta(days=365),
                granted_by=representative,
            )
        for number, organisation in enumerate(departments, start=1):
            for role in STAFF_ROLES:
                username = f"{role}{number}"
                user = _user(
                    username,
                    passwords[username],
                    display_name=f"{organisation.short_name or organisation.name}{Role(role).label}",
                    is_staff=role == Role.ADMIN,
                )
                Membership.objects.get_or_create(
                    user=user,
                    organisation=organisation,
                    role=role,
                    defaults={"covers_region_subtree": role in (Role.SUPERVISOR, Role.EVALUATOR)},
                )
                lines.append(
                    f"{username}\t{passwords[username]}\t工作人员：{organisation.name} · {Role(role).label}；"
                    "首次登录绑定动态口令（TOTP）"
                )
    lines.append(
        f"# 未注册但在人口库中的演示居民（可用于试注册）：{UNREGISTERED.name} {UNREGISTERED.resident_id}"
    )
    lines.append(
        f"# 演示企业：{ENTERPRISE_NAME}（{ENTERPRISE_USCC}），法定代表人 {representative_data.phone}"
    )
    path = _password_file()
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
    if stdout is not None:
        stdout.write(
            f"统一身份演示账号：个人 {len(PERSONS)} 个、企业 1 家、工作人员 {len(staff_names)} 个，账号和密码见 {path}。\n"
            "个人登录：/account/signin/，短信验证码见 data/sms-outbox.log（或运行 yiwang sms latest 手机号）；"
            "工作人员登录：/account/staff/signin/，首次登录用验证器应用扫码绑定动态口令。\n"
        )
    return path
