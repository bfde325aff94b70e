"""Factories for catalogue test data: regions, organisations, basic items, implementations and guides.

Import them in any test module as ``from catalog.factories import make_guide`` (pytest puts ``tests/`` on
sys.path because ``tests/conftest.py`` lives there and the test folders have no ``__init__.py``).

Every factory saves its rows and accepts keyword overrides for the model's fields. ``make_guide()``
returns a COMPLETE 行政许可 guide that passes every rule of ``yiwang.catalog.quality`` with no finding at
all (score 100), so a test changes exactly the one thing it is about::

    guide = make_guide(place="")                        # one field
    guide = make_guide(steps=[], faqs=[])                # no rows of a part
    guide = make_guide(fees=[{"name": "工本费", "standard": "每证10元", "basis": "…"}])  # own rows

The content is illustrative test data modelled on a construction permit (建筑工程施工许可证核发); it is
not an official guide.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from stdnum.cn import uscc

from yiwang.catalog import codes
from yiwang.catalog.models import (
    BasicItem,
    Faq,
    Fee,
    GuideVersion,
    Implementation,
    Material,
    SpecialProcedure,
    Step,
    Theme,
    Variant,
)
from yiwang.core.models import Organisation, Region, RegionLevel

_sequence = itertools.count(1)

REGION_NAMES = {"330000": "浙江省", "330100": "杭州市", "330106": "西湖区", "110000": "北京市"}

_ORG_CODE_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_code(body8: str) -> str:
    """A 9-character 组织机构代码 (GB 11714): 8 characters and their check character."""
    total = sum(_ORG_CODE_CHARS.index(c) * w for c, w in zip(body8, _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body8 + ("0" if check == 11 else "X" if check == 10 else str(check))


def make_uscc(region_code: str = "330100", *, category: str = "11") -> str:
    """A fresh, valid 统一社会信用代码 (GB 32100) of a government body (11 = 机关) in the region."""
    first17 = category + region_code + _org_code(f"{next(_sequence) % 10**8:08d}")
    return first17 + uscc.calc_check_digit(first17)


def make_region(code: str = "330000", name: str | None = None, **fields: Any) -> Region:
    """The region with this GB/T 2260 code, created with its parents if missing (330106 → 330100 → 330000)."""
    existing = Region.objects.filter(code=code).first()
    if existing is not None:
        return existing
    if code.endswith("0000"):
        level, parent = RegionLevel.PROVINCE, None
    elif code.endswith("00"):
        level, parent = RegionLevel.PREFECTURE, make_region(code[:2] + "0000")
    else:
        level, parent = RegionLevel.COUNTY, make_region(code[:4] + "00")
    values: dict[str, Any] = {"name": name or REGION_NAMES.get(code, f"测试区划{code}"), "level": level}
    values["parent"] = parent
    values.update(fields)
    return Region.objects.create(code=code, **values)


def make_organisation(region: Region | None = None, **fields: Any) -> Organisation:
    """A department (实施机构) with a valid, unique USCC; default region 杭州市 (330100)."""
    region = region or make_region("330100")
    n = next(_sequence)
    values: dict[str, Any] = {
        "name": f"{region.name}住房和城乡建设局{n}",
        "short_name": "市住建局",
        "uscc": make_uscc(region.code),
        "address": f"{region.name}文三路100号",
        "phone": "0571-87001234",
    }
    values.update(fields)
    return Organisation.objects.create(region=region, **values)


def make_basic_item(**fields: Any) -> BasicItem:
    """A 基本目录 item (行政许可) with a unique 12-character basic code."""
    values: dict[str, Any] = {
        "basic_code": f"00011{next(_sequence):07d}",
        "name": "建筑工程施工许可证核发",
        "item_type": codes.ItemType.LICENSING,
        "legal_basis": "《中华人民共和国建筑法》第七条；《建筑工程施工许可管理办法》",
        "competent_department": "住房和城乡建设部",
    }
    values.update(fields)
    return BasicItem.objects.create(**values)


def make_implementation(
    basic_item: BasicItem | None = None, organisation: Organisation | None = None, **fields: Any
) -> Implementation:
    """An implementation (实施清单) whose code is USCC + level digit + basic code (domain.md §1.4)."""
    basic_item = basic_item or make_basic_item()
    organisation = organisation or make_organisation()
    values: dict[str, Any] = {
        "implementation_code": f"{organisation.uscc}3{basic_item.basic_code}",
        "region": organisation.region,
        "name": basic_item.name,
        "item_type": basic_item.item_type,
    }
    values.update(fields)
    return Implementation.objects.create(basic_item=basic_item, organisation=organisation, **values)


def make_theme(
    code: str = "qy-gcjs", name: str = "工程建设", audience: str = codes.Audience.ENTERPRISE
) -> Theme:
    theme, _created = Theme.objects.get_or_create(code=code, defaults={"name": name, "audience": audience})
    return theme


def make_person_theme() -> Theme:
    return make_theme("gr-zfbz", "住房保障", codes.Audience.PERSON)


DEFAULT_MATERIALS: tuple[dict[str, Any], ...] = (
    {"name": "建筑工程施工许可申请表", "original_count": 1, "issuing_body": "申请人"},
    {
        "name": "营业执照",
        "obtainable_by": codes.MaterialObtainable.LICENCE,
        "obtainable_source": "营业执照电子证照",
        "source_channel": codes.MaterialSourceChannel.GOVERNMENT,
    },
    {
        "name": "建设工程规划许可证",
        "obtainable_by": codes.MaterialObtainable.LICENCE,
        "obtainable_source": "建设工程规划许可证电子证照",
        "source_channel": codes.MaterialSourceChannel.GOVERNMENT,
    },
    {"name": "施工合同", "copy_count": 1, "necessity": codes.MaterialNecessity.DEFERRABLE},
)
DEFAULT_STEPS: tuple[dict[str, Any], ...] = (
    {"name": "受理", "role": "窗口受理人员", "time_limit": 1, "standard": "材料齐全、符合法定形式"},
    {"name": "审查", "role": "审查人员", "time_limit": 2, "standard": "符合施工许可条件"},
    {"name": "决定", "role": "科室负责人", "time_limit": 1, "result": "准予许可或不予许可"},
    {"name": "制证送达", "role": "发证人员", "time_limit": 1, "result": "建筑工程施工许可证"},
)
DEFAULT_FEES: tuple[dict[str, Any], ...] = (
    {
        "name": "证书工本费",
        "standard": "每证10元",
        "amount": Decimal("10.00"),
        "basis": "省物价部门核定的收费标准（测试数据）",
    },
)
DEFAULT_SPECIAL_PROCEDURES: tuple[dict[str, Any], ...] = (
    {
        "name": "专家评审",
        "time_limit": 10,
        "legal_basis": "《中华人民共和国行政许可法》第四十五条",
        "counts_toward_limit": False,
    },
)
DEFAULT_FAQS: tuple[dict[str, Any], ...] = (
    {"question": "办理施工许可需要到现场吗？", "answer": "不需要，全程网上办理，证书可邮寄或电子送达。"},
)
DEFAULT_VARIANTS: tuple[dict[str, Any], ...] = ({"code_suffix": "01", "name": "新办"},)

GUIDE_DEFAULTS: dict[str, Any] = {
    "name": "建筑工程施工许可证核发",
    "item_type": codes.ItemType.LICENSING,
    "legal_basis": "《中华人民共和国建筑法》第七条；《建筑工程施工许可管理办法》第二条",
    "exercise_level": codes.ExerciseLevel.MUNICIPAL,
    "exercise_content": "对本行政区域内建筑工程施工许可的核发",
    "legal_limit": 20,
    "legal_limit_unit": codes.TimeUnit.WORKING_DAY,
    "promised_limit": 5,
    "promised_limit_unit": codes.TimeUnit.WORKING_DAY,
    "case_type": codes.CaseType.PROMISED,
    "acceptance_conditions": "已办理用地批准手续，已取得建设工程规划许可证，施工场地已基本具备施工条件。",
    "result_name": "建筑工程施工许可证",
    "result_type": codes.ResultType.LICENCE,
    "result_sample": "catalog/results/2025/construction-permit-sample.pdf",
    "charges_fee": True,
    "fee_basis": "省物价部门核定的收费标准（测试数据）",
    "service_objects": [codes.ServiceObject.ENTERPRISE.value],
    "handling_forms": [
        codes.HandlingForm.WINDOW.value,
        codes.HandlingForm.PC_ONLINE.value,
        codes.HandlingForm.MOBILE_ONLINE.value,
        codes.HandlingForm.POST.value,
    ],
    "online_depth": codes.OnlineDepth.FULLY_ONLINE,
    "is_online": True,
    "online_url": "https://service.example.org/apply/construction-permit",
    "visits": 0,
    "supports_online_payment": True,
    "supports_delivery": True,
    "delivery_methods": [codes.DeliveryMethod.POST.value, codes.DeliveryMethod.ELECTRONIC.value],
    "place": "杭州市西湖区文三路100号市民中心2楼B区12号窗口",
    "hours": "工作日（周一至周五）上午9:00–12:00，下午13:30–17:00，法定节假日除外",
    "consultation_method": "电话咨询或到窗口咨询",
    "consultation_phone": "0571-87001234",
    "supervision_phone": "0571-87009999",
}

_PARTS: dict[str, tuple[type[Any], tuple[dict[str, Any], ...]]] = {
    "materials": (Material, DEFAULT_MATERIALS),
    "steps": (Step, DEFAULT_STEPS),
    "fees": (Fee, DEFAULT_FEES),
    "special_procedures": (SpecialProcedure, DEFAULT_SPECIAL_PROCEDURES),
    "faqs": (Faq, DEFAULT_FAQS),
    "variants": (Variant, DEFAULT_VARIANTS),
}


def make_guide(
    *,
    implementation: Implementation | None = None,
    themes: Sequence[Theme] | None = None,
    materials: Sequence[dict[str, Any]] | None = None,
    steps: Sequence[dict[str, Any]] | None = None,
    fees: Sequence[dict[str, Any]] | None = None,
    special_procedures: Sequence[dict[str, Any]] | None = None,
    faqs: Sequence[dict[str, Any]] | None = None,
    variants: Sequence[dict[str, Any]] | None = None,
    **overrides: Any,
) -> GuideVersion:
    """A saved draft guide (next version of its implementation) with all its parts.

    Part arguments take a list of field dicts for that part's rows (``order`` defaults to the position);
    ``None`` means the defaults above and ``[]`` means no rows. ``themes`` takes Theme rows (default: the
    enterprise theme 工程建设). Any other keyword overrides a GuideVersion field. Situations, and
    materials tied to a situation, are left to the test (create them on the returned guide).
    """
    implementation = implementation or make_implementation()
    latest = implementation.versions.order_by("-version").values_list("version", flat=True).first()
    values = {**GUIDE_DEFAULTS, "version": (latest or 0) + 1, **overrides}
    guide = GuideVersion.objects.create(implementation=implementation, **values)
    given = {
        "materials": materials,
        "steps": steps,
        "fees": fees,
        "special_procedures": special_procedures,
        "faqs": faqs,
        "variants": variants,
    }
    for part, (model, defaults) in _PARTS.items():
        rows = defaults if given[part] is None else given[part]
        model.objects.bulk_create(
            [model(guide=guide, **{"order": index, **row}) for index, row in enumerate(rows, start=1)]
        )
    guide.themes.set([make_theme()] if themes is None else list(themes))
    return guide
