"""Demo data for `yiwang demo load`: the resource catalogue of the demo province, grants and keys.

Resources: the population registry (浙江省公安厅, 有条件共享), the legal-entity registry (浙江省市场监督管理局,
无条件共享), the licence library (浙江省大数据发展管理局, 无条件共享), and two catalogue-only entries (one not
connected to the gateway, one 不予共享 with its basis). Grants: every organisation whose published guides
ask for a material one of these resources provides gets one (so prefill works in the demo), the identity
consumer (省大数据局) reads both registries, and one request waits for the 公安厅 administrator's decision.
Keys: one SM2 key pair for each of a few consuming departments; private keys go to
data/exchange-demo-keys.txt (never the repository), public keys to the catalogue. Idempotent.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from yiwang.core.models import Organisation, Region

from . import services
from .models import (
    Credential,
    Grant,
    GrantStatus,
    InternalUse,
    OpenType,
    Resource,
    SharingType,
    SubjectKind,
    UpdateCycle,
)

KEYS_FILE = "exchange-demo-keys.txt"
DATA_OFFICE = "浙江省大数据发展管理局"
KEYED_CONSUMERS = 3


class Writer(Protocol):
    def write(self, text: str, /) -> Any: ...


POPULATION = {
    "code": "330000-GA-0001",
    "name": "人口基础信息",
    "provider": "浙江省公安厅",
    "summary": "常住人口的姓名、公民身份号码、性别、出生日期、户籍登记地和户籍状态。",
    "sharing_type": SharingType.CONDITIONAL,
    "sharing_conditions": "用于依法履职和办理政务服务事项时核验身份、户籍信息；不得用于其他用途。",
    "sharing_basis": "《中华人民共和国居民身份证法》第六条、第十九条；国发〔2016〕51号第九条。",
    "update_cycle": UpdateCycle.REALTIME,
    "subject_kind": SubjectKind.PERSON,
    "adapter": "population",
    "source_names": ["人口综合库", "公安人口库"],
    "prefill_fields": ["name", "resident_id_masked", "gender", "birth_date", "household_status"],
    "fields": [
        {"code": "name", "name": "姓名"},
        {"code": "resident_id_masked", "name": "公民身份号码（脱敏）"},
        {"code": "gender", "name": "性别"},
        {"code": "birth_date", "name": "出生日期", "data_type": "date"},
        {"code": "registration_region_code", "name": "户籍登记地区划代码"},
        {"code": "household_status", "name": "户籍状态"},
    ],
}
LEGAL_ENTITY = {
    "code": "330000-SJ-0001",
    "name": "法人基础信息",
    "provider": "浙江省市场监督管理局",
    "summary": "企业等市场主体的统一社会信用代码、名称、法定代表人、登记状态和登记机关。",
    "sharing_type": SharingType.UNCONDITIONAL,
    "open_type": OpenType.CONDITIONAL,
    "update_cycle": UpdateCycle.DAILY,
    "subject_kind": SubjectKind.ENTERPRISE,
    "adapter": "legal_entity",
    "source_names": ["法人库", "企业登记信息"],
    "prefill_fields": ["uscc", "name", "representative_name", "status"],
    "fields": [
        {"code": "uscc", "name": "统一社会信用代码"},
        {"code": "name", "name": "名称"},
        {"code": "representative_name", "name": "法定代表人"},
        {"code": "representative_id_index", "name": "法定代表人身份证号码校验值", "is_sensitive": True},
        {"code": "status", "name": "登记状态"},
        {"code": "status_code", "name": "登记状态代码"},
        {"code": "region_code", "name": "登记机关区划代码"},
    ],
}
LICENCE_LIBRARY = {
    "code": "330000-DSJ-0001",
    "name": "电子证照库",
    "provider": DATA_OFFICE,
    "summary": "各部门签发的电子证照（GB/T 36904 证照标识）：证照信息和照面信息，按持证人查询。",
    "sharing_type": SharingType.UNCONDITIONAL,
    "update_cycle": UpdateCycle.REALTIME,
    "subject_kind": SubjectKind.HOLDER,
    "adapter": "licence",
    "source_names": ["电子证照", "电子驾驶证", "电子行驶证", "电子社会保障卡", "电子就业创业证"],
    "prefill_fields": ["identifier", "type_name", "issuer_name", "holder_name", "valid_until", "data"],
    "fields": [
        {"code": "identifier", "name": "证照标识"},
        {"code": "type_code", "name": "证照类型代码"},
        {"code": "type_name", "name": "证照名称"},
        {"code": "issuer_code", "name": "颁发机构代码"},
        {"code": "issuer_name", "name": "颁发机构"},
        {"code": "holder_name", "name": "持证人"},
        {"code": "holder_id_masked", "name": "持证人证件号码（脱敏）"},
        {"code": "valid_from", "name": "有效期起始", "data_type": "date"},
        {"code": "valid_until", "name": "有效期至", "data_type": "date"},
        {"code": "version", "name": "版本号"},
        {"code": "status", "name": "证照状态"},
        {"code": "data", "name": "照面信息", "data_type": "object"},
    ],
}
MARRIAGE = {
    "code": "330000-MZ-0001",
    "name": "婚姻登记信息",
    "provider": "浙江省民政厅",
    "summary": "结婚、离婚登记信息（尚未接入交换网关，由民政部门系统提供）。",
    "sharing_type": SharingType.CONDITIONAL,
    "sharing_conditions": "限于办理需核验婚姻状况的政务服务事项。",
    "sharing_basis": "《婚姻登记条例》；国发〔2016〕51号第九条。",
    "update_cycle": UpdateCycle.DAILY,
    "subject_kind": SubjectKind.PERSON,
    "fields": [
        {"code": "marital_status", "name": "婚姻状况"},
        {"code": "registered_on", "name": "登记日期", "data_type": "date"},
    ],
}
CASE_FILES = {
    "code": "330000-GA-0099",
    "name": "刑事案件侦查信息",
    "provider": "浙江省公安厅",
    "summary": "侦查阶段的案件信息。",
    "sharing_type": SharingType.NOT_SHARED,
    "sharing_basis": "《中华人民共和国刑事诉讼法》第五十四条、第一百五十二条（侦查秘密）。",
    "update_cycle": UpdateCycle.IRREGULAR,
    "subject_kind": SubjectKind.PERSON,
    "fields": [{"code": "case_summary", "name": "案件摘要"}],
}
RESOURCES = (POPULATION, LEGAL_ENTITY, LICENCE_LIBRARY, MARRIAGE, CASE_FILES)


def _organisation(name: str) -> Organisation | None:
    return Organisation.objects.filter(name=name, is_active=True).first()


def _data_office() -> Organisation:
    office = _organisation(DATA_OFFICE)
    if office is not None:
        return office
    from yiwang.catalog.demo.uscc import make_uscc
    from yiwang.core.services import register_organisation

    region = Region.objects.get(code="330000")
    return register_organisation(
        actor=None,
        name=DATA_OFFICE,
        short_name="省大数据局",
        uscc=make_uscc(DATA_OFFICE, "330000"),
        region=region,
        address="杭州市西湖区省府路8号",
    )


def _save_resources() -> dict[str, Resource]:
    saved: dict[str, Resource] = {}
    for spec in RESOURCES:
        provider = _data_office() if spec["provider"] == DATA_OFFICE else _organisation(str(spec["provider"]))
        if provider is None:
            continue
        values = {k: v for k, v in spec.items() if k != "provider"}
        saved[str(spec["code"])] = services.save_resource(actor=None, provider=provider, **values)  # type: ignore[arg-type]
    return saved


def _ensure_grant(
    resource: Resource, consumer: Organisation, purpose: str, fields: list[str] | None = None
) -> None:
    if consumer.pk == resource.provider_id:
        return
    held = Grant.objects.filter(
        resource=resource, consumer=consumer, status__in=[GrantStatus.APPROVED, GrantStatus.PENDING]
    ).first()
    if held is not None and (
        held.status == GrantStatus.PENDING or (held.valid_until and held.valid_until > timezone.now())
    ):
        return
    grant = services.request_grant(
        actor=None,
        resource=resource,
        consumer=consumer,
        fields=fields or list(resource.prefill_fields),
        purpose=purpose,
        basis="《浙江省公共数据条例》第二十五条（履职需要）",
        days=365,
    )
    if grant.status == GrantStatus.PENDING:
        services.approve_grant(grant, actor=None, valid_until=timezone.now() + dt.timedelta(days=365))


def _prefill_consumers(resource: Resource) -> list[Organisation]:
    """Organisations whose published guides ask for a material this resource provides."""
    from yiwang.catalog.models import Material, PublicStatus

    aliases = resource.source_name_list
    materials = Material.objects.filter(
        guide__implementation__public_status=PublicStatus.PUBLISHED,
        guide__implementation__published_version=F("guide"),
    ).exclude(obtainable_by="")
    org_ids: set[int] = set()
    for org_id, source, name in materials.values_list(
        "guide__implementation__organisation_id", "obtainable_source", "name"
    ):
        if any(alias in f"{source}\n{name}" for alias in aliases):
            org_ids.add(org_id)
    return list(Organisation.objects.filter(pk__in=org_ids, is_active=True).order_by("pk"))


def _keys(consumers: list[Organisation]) -> list[str]:
    path = Path(settings.DATA_DIR) / KEYS_FILE
    stored: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) >= 3 and not line.startswith("#"):
                stored[parts[1]] = line
    lines = [
        "# 一网数据共享演示接入密钥（由 yiwang demo load 生成；只在本机 data/ 目录，切勿提交）",
        "# 单位\t密钥标识\tSM2 私钥",
    ]
    for organisation in consumers:
        existing = [
            stored[c.key_id]
            for c in Credential.objects.filter(organisation=organisation, revoked_at__isnull=True)
            if c.key_id in stored
        ]
        if existing:
            lines.append(existing[0])
            continue
        credential, private_hex = services.issue_credential(
            actor=None, organisation=organisation, label="演示密钥"
        )
        lines.append(f"{organisation.name}\t{credential.key_id}\t{private_hex}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return lines[2:]


def load_demo(*, stdout: Writer) -> None:
    with transaction.atomic():
        resources = _save_resources()
        office = _data_office()
        services.set_internal_consumer(InternalUse.IDENTITY, office)
        population = resources.get(POPULATION["code"])  # type: ignore[call-overload]
        legal = resources.get(LEGAL_ENTITY["code"])  # type: ignore[call-overload]
        if population is not None:
            _ensure_grant(population, office, "统一身份认证：实名核验", ["name", "household_status"])
        if legal is not None:
            _ensure_grant(
                legal,
                office,
                "统一身份认证：企业身份核验",
                [
                    "uscc",
                    "name",
                    "representative_name",
                    "representative_id_index",
                    "status_code",
                    "region_code",
                ],
            )
        consumers: list[Organisation] = []
        for code in (POPULATION["code"], LEGAL_ENTITY["code"], LICENCE_LIBRARY["code"]):
            resource = resources.get(code)  # type: ignore[call-overload]
            if resource is None:
                continue
            for consumer in _prefill_consumers(resource):
                _ensure_grant(resource, consumer, "办理政务服务事项，申请材料免提交")
                if consumer not in consumers:
                    consumers.append(consumer)
        waiting = _organisation("杭州市民政局")
        if (
            population is not None
            and waiting is not None
            and not Grant.objects.filter(resource=population, consumer=waiting).exists()
        ):
            services.request_grant(
                actor=None,
                resource=population,
                consumer=waiting,
                fields=["name", "birth_date", "household_status"],
                purpose="办理最低生活保障审批时核验申请人户籍",
                basis="《社会救助暂行办法》第十一条",
            )
        keyed = _keys([o for o in consumers if o.pk != office.pk][:KEYED_CONSUMERS])
    stdout.write(
        f"数据共享演示：资源目录 {len(resources)} 项，授权 {Grant.objects.filter(status=GrantStatus.APPROVED).count()} 项，"
        f"接入密钥 {len(keyed)} 把（私钥见 data/{KEYS_FILE}）；资源目录 /exchange/，谁查看了我的数据 /exchange/me/。\n"
    )
