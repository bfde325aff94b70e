"""Demo licences for `yiwang demo load`: licence types for a few demo items' results (结婚证, 营业执照,
食品经营许可证, 建筑工程施工许可证), SM2 keys for every organisation that issues them, and licences held by
the demo persons and the demo enterprise (accounts.demo): one valid marriage certificate each for two
persons; for the enterprise a business licence in two versions (a change of address), a food business
licence and a revoked construction permit, so every state shows. Idempotent; a few seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiwang.accounts import demo as accounts_demo
from yiwang.catalog.demo.organisations import ORG_BY_KEY
from yiwang.catalog.models import GuideVersion, PublicStatus
from yiwang.core.models import Organisation

from . import holders, keys, services
from .models import HolderKind, Licence, LicenceTemplate, LicenceType


@dataclass(frozen=True)
class DemoType:
    definer: str  # key of the provincial department in catalog.demo.organisations
    sequence: int
    name: str
    holder_kind: str
    fields: tuple[dict[str, Any], ...]
    validity_months: int | None = None
    template: str = LicenceTemplate.CERTIFICATE


CASE_NUMBER = {"name": "case_number", "label": "办件编号", "required": False}
DECIDED_ON = {"name": "decided_on", "label": "准予日期", "required": False}

TYPES = (
    DemoType(
        "zj_mzt",
        1,
        "结婚证",
        HolderKind.PERSON,
        (
            {"name": "spouse_name", "label": "配偶姓名", "required": False},
            {"name": "registered_on", "label": "登记日期", "required": False},
            CASE_NUMBER,
        ),
    ),
    DemoType(
        "zj_scjg",
        1,
        "营业执照",
        HolderKind.ENTERPRISE,
        (
            {"name": "legal_representative", "label": "法定代表人", "required": False, "public": True},
            {"name": "registered_capital", "label": "注册资本", "required": False},
            {"name": "address", "label": "住所", "required": False, "public": True},
            {"name": "business_scope", "label": "经营范围", "required": False, "public": True},
            CASE_NUMBER,
        ),
    ),
    DemoType(
        "zj_scjg",
        2,
        "食品经营许可证",
        HolderKind.ENTERPRISE,
        (
            {"name": "address", "label": "经营场所", "required": False, "public": True},
            {"name": "business_scope", "label": "经营项目", "required": False, "public": True},
            CASE_NUMBER,
        ),
        validity_months=60,  # 《食品经营许可和备案管理办法》: 有效期5年
        template=LicenceTemplate.PERMIT,
    ),
    DemoType(
        "zj_jst",
        1,
        "建筑工程施工许可证",
        HolderKind.ENTERPRISE,
        (
            {"name": "project_name", "label": "工程名称", "required": False, "public": True},
            {"name": "address", "label": "建设地址", "required": False},
            {"name": "application_matter", "label": "许可事项", "required": False},
            CASE_NUMBER,
            DECIDED_ON,
        ),
        template=LicenceTemplate.PERMIT,
    ),
)


def _organisation(key: str) -> Organisation | None:
    spec = ORG_BY_KEY.get(key)
    return Organisation.objects.filter(name=spec.name).first() if spec else None


def _issuers(result_name: str) -> list[Organisation]:
    """Organisations whose published guide gives this result as a licence."""
    ids = GuideVersion.objects.filter(
        status=PublicStatus.PUBLISHED, result_name=result_name, result_type="licence"
    ).values_list("implementation__organisation_id", flat=True)
    return list(Organisation.objects.filter(pk__in=set(ids)).order_by("region_id", "pk"))


def _types() -> dict[str, LicenceType]:
    defined: dict[str, LicenceType] = {}
    for spec in TYPES:
        issuers = _issuers(spec.name)
        if not issuers:
            continue
        # The provincial department defines the type; a smaller catalogue without it uses the first issuer.
        definer = _organisation(spec.definer) or issuers[0]
        defined[spec.name] = services.define_type(
            actor=services.SYSTEM,
            defining_organisation=definer,
            sequence=spec.sequence,
            name=spec.name,
            holder_kind=spec.holder_kind,
            fields=spec.fields,
            issuers=issuers,
            validity_months=spec.validity_months,
            template=spec.template,
            result_names=[spec.name],
        )
        for issuer in issuers:
            keys.ensure_key(issuer)
    return defined


def _has(licence_type: LicenceType, holder: holders.Holder) -> Licence | None:
    return (
        Licence.objects.filter(licence_type=licence_type, holder_id_index=holder.index)
        .order_by("-version")
        .first()
    )


def _issue(
    licence_type: LicenceType | None, holder: holders.Holder, data: dict[str, Any], *, days_ago: int = 30
) -> Licence | None:
    if licence_type is None:
        return None
    existing = _has(licence_type, holder)
    if existing is not None:
        return existing
    issuer = licence_type.issuers.order_by("region_id", "pk").first()
    assert issuer is not None
    return services.issue(
        licence_type,
        issuer=issuer,
        holder=holder,
        data=data,
        actor=services.SYSTEM,
        valid_from=timezone.localdate() - dt.timedelta(days=days_ago),
    )


def load_demo(*, stdout: Any) -> None:
    with transaction.atomic():
        types = _types()
        persons = {p.phone: p for p in accounts_demo.PERSONS}
        made: list[Licence] = []
        for phone, spouse in (("13800000002", "陈晓燕"), ("13800000003", "刘建华")):
            person = persons[phone]
            holder = holders.make_holder(HolderKind.PERSON, person.resident_id, person.name)
            licence = _issue(
                types.get("结婚证"),
                holder,
                {
                    "spouse_name": spouse,
                    "registered_on": (timezone.localdate() - dt.timedelta(days=400)).isoformat(),
                },
                days_ago=400,
            )
            made += [licence] if licence else []

        company = holders.make_holder(
            HolderKind.ENTERPRISE, accounts_demo.ENTERPRISE_USCC, accounts_demo.ENTERPRISE_NAME
        )
        business = types.get("营业执照")
        first = _issue(
            business,
            company,
            {
                "legal_representative": accounts_demo.PERSONS[3].name,
                "registered_capital": "500万元人民币",
                "address": "浙江省杭州市西湖区文三路90号",
                "business_scope": "软件开发；信息技术咨询服务",
            },
            days_ago=700,
        )
        if first is not None and business is not None and first.version == 1 and first.status == "valid":
            first = services.issue(
                business,
                issuer=first.issuer,
                holder=company,
                data={**first.data, "address": "浙江省杭州市西湖区文一西路998号"},
                actor=services.SYSTEM,
                previous=first,
            )
        made += [first] if first else []
        food = _issue(
            types.get("食品经营许可证"),
            company,
            {
                "address": "浙江省杭州市西湖区文一西路998号一楼",
                "business_scope": "预包装食品销售；热食类食品制售",
            },
        )
        made += [food] if food else []
        permit = _issue(
            types.get("建筑工程施工许可证"),
            company,
            {"project_name": "一网示范研发楼", "address": "杭州市西湖区三墩镇", "application_matter": "新建"},
            days_ago=200,
        )
        if permit is not None and permit.status == "valid":
            permit = services.change_status(
                permit,
                "revoke",
                actor=services.SYSTEM,
                reason="演示：建设单位以欺骗手段取得施工许可，依法撤销",
            )
        made += [permit] if permit else []
    stdout.write(
        f"电子证照：证照类型 {len(types)} 种，持证演示数据 {len(made)} 本；"
        "持证人登录后在 /licences/ 查看“我的证照”，任何人可在 /licences/verify/ 核验。\n"
    )
