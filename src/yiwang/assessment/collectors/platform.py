"""The platform collector: every `platform` leaf of the default tree measured from this deployment's data.

`collect(region_code, as_of=…)` reads, for the region's subtree (a GB/T 2260 code prefix):

- the published catalogue: one query over the published implementations and their frozen guide
  snapshots (what every channel serves), so each guide rule below reads the same document the public
  reads; plus counts of all implementations, basic items, regions and published bundles;
- cases (办件) with their channel, dates, deadlines and flags, and their materials and events;
- reviews, licences, consultations and federation links, each from its own app when that app (and the
  model or field this collector reads) exists; otherwise the leaf is unmeasured and the reason says so.

Each measure returns a raw value (ratio, share, average, …) and its evidence: counts, the items that
failed the rule (up to `SAMPLE` of them, with their 实施编码) and the rule in words. A measure whose
denominator is empty is unmeasured ("no cases in the period"), never a silent 0 or 100.

Other apps are imported inside functions: some are being built while this one is, and a missing app
must cost one leaf, not the whole run.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

SAMPLE = 10
RECENT_DAYS = 365
# 国办发〔2024〕3号《关于印发〈国务院关于进一步优化政务服务提升行政效能推动“高效办成一件事”的指导意见〉》
# first batch: 13 key 一件事. Overridable per round (options.bundle_target).
DEFAULT_BUNDLE_TARGET = 13
TOP_N = 50

PLACEHOLDER_RE = re.compile(r"^(无|暂无|按规定|按相关规定|按有关规定|详见.*|见.*规定|/|-|—|略)?$")
CATCH_ALL_RE = re.compile(r"其他材料|其它材料|相关材料|有关材料|等材料|材料等|其他.*证明")
LEGAL_BASIS_RE = re.compile(r"《[^》]{2,}》.*第[一二三四五六七八九十百零〇0-9]+条")
IMPL_CODE_RE = re.compile(r"^[0-9A-Z]{18}[0-9A-Z]{1,4}\d{12,}$")
BASIC_CODE_RE = re.compile(r"^\d{12}$")
FORM_NAME_RE = re.compile(r"表|申请书|登记书")


class Unmeasured(Exception):
    """The leaf cannot be measured here; the message is the reason shown in the report."""


@dataclass
class Result:
    raw: Decimal
    evidence: dict[str, Any]


def _d(value: float | int | Decimal) -> Decimal:
    return (
        value
        if isinstance(value, Decimal)
        else Decimal(repr(float(value)) if isinstance(value, float) else value)
    )


def _ratio_decimal(numerator: int, denominator: int) -> Decimal:
    # Exact enough and reproducible: the division is done in Decimal, 6 places (the input column's).
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.000001"))


def ratio(
    rows: Iterable[Any],
    test: Callable[[Any], bool | None],
    *,
    label: Callable[[Any], dict[str, Any]],
    rule: str,
    empty: str,
) -> Result:
    """Share of rows passing `test` (None = not applicable), with the failures as evidence."""
    passed = total = 0
    failed: list[dict[str, Any]] = []
    for row in rows:
        outcome = test(row)
        if outcome is None:
            continue
        total += 1
        if outcome:
            passed += 1
        elif len(failed) < SAMPLE:
            failed.append(label(row))
    if not total:
        raise Unmeasured(empty)
    return Result(
        _ratio_decimal(passed, total),
        {"rule": rule, "passed": passed, "total": total, "failed_count": total - passed, "failed": failed},
    )


def average(values: list[tuple[Any, float]], *, rule: str, empty: str, worst_first: bool = True) -> Result:
    if not values:
        raise Unmeasured(empty)
    mean = sum(v for _, v in values) / len(values)
    samples = sorted(values, key=lambda kv: kv[1], reverse=worst_first)[:SAMPLE]
    return Result(
        Decimal(str(round(mean, 6))),
        {
            "rule": rule,
            "total": len(values),
            "mean": round(mean, 6),
            "samples": [{**k, "value": v} for k, v in samples],
        },
    )


# --- the data of one region ------------------------------------------------------------------------------


@dataclass
class RegionData:
    code: str
    prefix: str
    as_of: dt.date
    options: dict[str, Any]
    items: list[dict[str, Any]] = field(default_factory=list)  # published snapshots + list columns
    implementation_count: int = 0
    _cases: list[dict[str, Any]] | None = None

    def since(self) -> dt.date:
        return self.as_of - dt.timedelta(days=RECENT_DAYS)

    @property
    def cases(self) -> list[dict[str, Any]]:
        if self._cases is None:
            self._cases = _load_cases(self)
        return self._cases


def _item_label(item: dict[str, Any]) -> dict[str, Any]:
    return {"code": item["code"], "name": item["name"]}


def subtree_prefix(region_code: str) -> str:
    from yiwang.core.selectors import region_by_code

    region = region_by_code(region_code)
    if region is None:
        raise Unmeasured(f"本平台没有行政区划 {region_code}")
    return region.subtree_prefix


def load_region(region_code: str, *, as_of: dt.date, options: dict[str, Any] | None = None) -> RegionData:
    from yiwang.catalog.models import Implementation, PublicStatus
    from yiwang.catalog.selectors import published_implementations

    prefix = subtree_prefix(region_code)
    data = RegionData(region_code, prefix, as_of, dict(options or {}))
    rows = (
        published_implementations()
        .filter(region__code__startswith=prefix)
        .order_by("implementation_code")
        .values_list(
            "id",
            "implementation_code",
            "name",
            "item_type",
            "popularity",
            "region_id",
            "basic_item__basic_code",
            "basic_item__name",
            "basic_item__item_type",
            "published_version__snapshot",
            "published_version__blocking_findings",
            "published_version__published_at",
        )
        .iterator(chunk_size=2000)
    )
    for (
        pk,
        code,
        name,
        item_type,
        popularity,
        region,
        basic_code,
        basic_name,
        basic_type,
        doc,
        blocking,
        published,
    ) in rows:
        data.items.append(
            {
                "id": pk,
                "code": code,
                "name": name,
                "item_type": item_type,
                "popularity": popularity,
                "region": region,
                "basic_code": basic_code,
                "basic_name": basic_name,
                "basic_type": basic_type,
                "doc": doc or {},
                "blocking": blocking,
                "published_at": published,
            }
        )
    data.implementation_count = (
        Implementation.objects.filter(region__code__startswith=prefix)
        .exclude(public_status=PublicStatus.WITHDRAWN)
        .count()
    )
    return data


def _load_cases(data: RegionData) -> list[dict[str, Any]]:
    from yiwang.cases.models import Case

    # Read-only aggregate read of the cases table (cases.selectors has no bulk read for statistics yet).
    return [
        dict(row)
        for row in Case.objects.filter(region__code__startswith=data.prefix, submitted_on__isnull=False)
        .filter(submitted_on__gte=data.since(), submitted_on__lte=data.as_of)
        .values(
            "id",
            "number",
            "implementation_id",
            "bundle_id",
            "channel",
            "status",
            "submitted_on",
            "accepted_on",
            "decided_on",
            "completed_on",
            "decision_due",
            "limit_days",
            "auto_decided",
            "is_immediate",
            "applicant_id",
        )
        .order_by("id")
    ]


# --- guide-level rules -----------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return not str(value or "").strip()


def _placeholder(value: Any) -> bool:
    return bool(PLACEHOLDER_RE.match(str(value or "").strip()))


def _on_application(item: dict[str, Any]) -> bool:
    from yiwang.catalog.codes import ON_APPLICATION_TYPES

    return item["item_type"] in ON_APPLICATION_TYPES


def _phone_ok(value: str) -> bool:
    from django.core.exceptions import ValidationError

    from yiwang.core.validators import validate_phone

    parts = [p for p in re.split(r"[;；,，、/\s]+", value or "") if p]
    if not parts:
        return False
    try:
        for part in parts:
            validate_phone(part)
    except ValidationError:
        return False
    return True


def _same_unit_limits(doc: dict[str, Any]) -> tuple[int, int] | None:
    legal, promised = doc.get("legal_limit"), doc.get("promised_limit")
    if legal is None or promised is None or doc.get("legal_limit_unit") != doc.get("promised_limit_unit"):
        return None
    return int(legal), int(promised)


def _guide_ratio(data: RegionData, test: Callable[[dict[str, Any]], bool | None], rule: str) -> Result:
    return ratio(
        data.items,
        lambda item: test(item["doc"]) if item["doc"] else None,
        label=_item_label,
        rule=rule,
        empty="该地区没有已发布的事项",
    )


def _item_ratio(data: RegionData, test: Callable[[dict[str, Any]], bool | None], rule: str) -> Result:
    return ratio(data.items, test, label=_item_label, rule=rule, empty="该地区没有已发布的事项")


def m_a2_1(data: RegionData) -> Result:
    if not data.items:
        raise Unmeasured("该地区没有已发布的事项")
    n = len(data.items)
    audience = sum(1 for i in data.items if i["doc"].get("service_objects"))
    themed = sum(1 for i in data.items if i["doc"].get("themes"))
    organised = sum(1 for i in data.items if (i["doc"].get("organisation") or {}).get("name"))
    bundles = _published_bundle_count(data)
    checks = {
        "个人/法人（服务对象）": _ratio_decimal(audience, n),
        "主题": _ratio_decimal(themed, n),
        "部门": _ratio_decimal(organised, n),
        "场景（一件事）": Decimal(1 if bundles else 0),
    }
    raw = (sum(checks.values(), Decimal(0)) / 4).quantize(Decimal("0.000001"))
    return Result(
        raw,
        {
            "rule": "四个浏览维度各占1/4，按可经该维度找到的事项比例计",
            "checks": {k: str(v) for k, v in checks.items()},
            "total": n,
            "bundles": bundles,
        },
    )


def _published_bundle_count(data: RegionData) -> int:
    from yiwang.catalog.selectors import published_bundles

    return published_bundles().filter(region__code__startswith=data.prefix).count()


def m_a2_3(data: RegionData) -> Result:
    try:
        from yiwang.interaction import selectors as interaction
    except ImportError as exc:
        raise Unmeasured("咨询投诉模块（interaction）尚未提供数据") from exc
    measure = getattr(interaction, "consultation_response", None)
    if measure is None:
        raise Unmeasured("咨询投诉模块没有提供 consultation_response 统计接口")
    answered, total = measure(data.prefix, since=data.since(), until=data.as_of, working_days=3)
    if not total:
        raise Unmeasured("评估期内没有咨询记录")
    return Result(
        _ratio_decimal(answered, total),
        {"rule": "3个工作日内答复的咨询数÷咨询总数", "passed": answered, "total": total},
    )


def m_a2_5(data: RegionData) -> Result:
    count = _published_bundle_count(data)
    target = int(data.options.get("bundle_target") or DEFAULT_BUNDLE_TARGET)
    raw = min(Decimal(count) / Decimal(target), Decimal(1)).quantize(Decimal("0.000001"))
    return Result(
        raw,
        {
            "rule": f"已发布一件事数÷目标清单数（{target}，国办发〔2024〕3号第一批重点事项）",
            "published": count,
            "target": target,
        },
    )


def _case_label(case: dict[str, Any]) -> dict[str, Any]:
    return {"code": case["number"] or f"#{case['id']}", "name": case["status"]}


def _case_ratio(
    data: RegionData,
    test: Callable[[dict[str, Any]], bool | None],
    rule: str,
    empty: str = "评估期内没有办件",
) -> Result:
    return ratio(data.cases, test, label=_case_label, rule=rule, empty=empty)


def _case_events(data: RegionData) -> dict[int, set[str]]:
    from yiwang.cases.models import CaseEvent

    events: dict[int, set[str]] = defaultdict(set)
    ids = [c["id"] for c in data.cases]
    for start in range(0, len(ids), 900):
        for case_id, action in CaseEvent.objects.filter(case_id__in=ids[start : start + 900]).values_list(
            "case_id", "action"
        ):
            events[case_id].add(action)
    return events


def m_a2_6(data: RegionData) -> Result:
    events = _case_events(data)
    return _case_ratio(
        data,
        lambda c: bool(c["number"]) and bool(events.get(c["id"])),
        "有办件编号且有生命周期记录（可在线查询进度）的办件比例",
    )


def m_a3_1(data: RegionData) -> Result:
    from yiwang.catalog.codes import HandlingForm

    return _guide_ratio(
        data,
        lambda d: (
            (HandlingForm.MOBILE_ONLINE in (d.get("handling_forms") or [])) if d.get("is_online") else None
        ),
        "可网办事项中办理形式含“移动端网上申请”的比例",
    )


def m_a3_3(data: RegionData) -> Result:
    return _item_ratio(
        data,
        lambda i: bool(i["doc"]) and i["doc"].get("implementation_code") == i["code"],
        "各渠道读取同一份发布快照（同源发布）：快照存在且与实施清单一致的事项比例",
    )


def m_a3_5(data: RegionData) -> Result:
    return _guide_ratio(
        data,
        lambda d: bool(d.get("sso_pc")) and bool(d.get("sso_mobile")) if d.get("is_online") else None,
        "可网办事项中电脑端和移动端均对接统一身份认证（单点登录）的比例",
    )


def m_b1_3(data: RegionData) -> Result:
    from yiwang.catalog.models import BasicItem

    national = set(
        BasicItem.objects.filter(is_national=True, parent__isnull=True).values_list("basic_code", flat=True)
    )
    if not national:
        raise Unmeasured("本平台没有国家基本目录事项")
    claimed = {i["basic_code"] for i in data.items} | {i["doc"].get("parent_basic_code") for i in data.items}
    missing = sorted(national - claimed)
    return Result(
        _ratio_decimal(len(national & claimed), len(national)),
        {
            "rule": "已编制实施清单的国家基本目录主项÷国家基本目录主项数",
            "passed": len(national & claimed),
            "total": len(national),
            "failed": [{"code": c, "name": ""} for c in missing[:SAMPLE]],
            "failed_count": len(missing),
        },
    )


def m_b1_4(data: RegionData) -> Result:
    from yiwang.core.models import Region

    regions = list(Region.objects.filter(code__startswith=data.prefix).values_list("code", "name"))
    with_items = {i["region"] for i in data.items}
    return ratio(
        regions,
        lambda r: r[0] in with_items,
        label=lambda r: {"code": r[0], "name": r[1]},
        rule="有已发布实施清单的行政区划÷辖区行政区划数",
        empty="没有行政区划",
    )


def m_b1_5(data: RegionData) -> Result:
    since = data.since()
    return _item_ratio(
        data,
        lambda i: i["published_at"] is not None and i["published_at"].date() >= since,
        f"近12个月（{since} 起）发布或更新过指南的事项比例",
    )


def m_b2_1(data: RegionData) -> Result:
    if not data.implementation_count:
        raise Unmeasured("该地区没有实施清单事项")
    published = len(data.items)
    return Result(
        _ratio_decimal(published, data.implementation_count),
        {
            "rule": "有已发布指南的事项÷实施清单事项（不含已取消）",
            "passed": published,
            "total": data.implementation_count,
        },
    )


def _top_items(data: RegionData) -> list[dict[str, Any]]:
    volume = Counter(c["implementation_id"] for c in data.cases)
    return sorted(data.items, key=lambda i: (-volume.get(i["id"], 0), -i["popularity"], i["code"]))[:TOP_N]


def m_b2_4(data: RegionData) -> Result:
    return ratio(
        _top_items(data),
        lambda i: i["blocking"] == 0,
        label=_item_label,
        rule=f"按办件量（其次热度）排名前{TOP_N}的事项中指南无阻断性质量问题的比例",
        empty="该地区没有已发布的事项",
    )


def m_b3_1(data: RegionData) -> Result:
    return _item_ratio(
        data,
        lambda i: bool(IMPL_CODE_RE.match(i["code"])) and bool(BASIC_CODE_RE.match(i["basic_code"] or "")),
        "实施编码（统一社会信用代码+层级+基本编码）与基本编码（12位）格式合规的比例",
    )


def m_b3_2(data: RegionData) -> Result:
    def same(item: dict[str, Any]) -> bool:
        return item["item_type"] == item["basic_type"] and (item["name"] or "").startswith(
            item["basic_name"] or "\0"
        )

    return _item_ratio(data, same, "实施清单事项类型与基本目录一致、名称以基本目录名称开头的比例")


REQUIRED_ELEMENTS = (
    "legal_basis",
    "acceptance_conditions",
    "place",
    "hours",
    "consultation_phone",
    "supervision_phone",
)


def m_b3_3(data: RegionData) -> Result:
    def complete(doc: dict[str, Any]) -> bool:
        return (
            all(not _blank(doc.get(f)) and not _placeholder(doc.get(f)) for f in REQUIRED_ELEMENTS)
            and doc.get("promised_limit") is not None
        )

    return _guide_ratio(
        data, complete, "依据、受理条件、地点、时间、咨询与投诉电话非空非占位，且填写承诺时限的比例"
    )


def _cv(values: list[float]) -> float | None:
    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    return statistics.pstdev(values) / mean if mean else 0.0


def m_b3_4(data: RegionData) -> Result:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in data.items:
        groups[item["basic_code"]].append(item["doc"])
    cvs: list[tuple[Any, float]] = []
    for code, docs in sorted(groups.items()):
        if len(docs) < 2:
            continue
        materials = _cv([float(len(d.get("materials") or [])) for d in docs])
        limits = _cv([float(d["promised_limit"]) for d in docs if d.get("promised_limit") is not None])
        parts = [v for v in (materials, limits) if v is not None]
        if parts:
            cvs.append(({"code": code, "name": docs[0].get("basic_item_name", "")}, sum(parts) / len(parts)))
    return average(
        cvs,
        rule="同一基本事项在各地的材料数与承诺时限变异系数的平均值（越小越一致）",
        empty="没有在两个以上地区实施的基本事项",
    )


def m_b3_5(data: RegionData) -> Result:
    return _guide_ratio(
        data,
        lambda d: bool(LEGAL_BASIS_RE.search(d.get("legal_basis") or "")),
        "设定依据含《法规名称》及“第…条”的比例",
    )


def m_c1_1(data: RegionData) -> Result:
    return _guide_ratio(
        data,
        lambda d: (
            not _blank((d.get("organisation") or {}).get("name"))
            and not _blank(d.get("place"))
            and not _blank(d.get("hours"))
        ),
        "实施机构、办理地点、办理时间齐全的比例",
    )


def m_c1_2(data: RegionData) -> Result:
    return _guide_ratio(
        data,
        lambda d: _phone_ok(d.get("consultation_phone", "")) and _phone_ok(d.get("supervision_phone", "")),
        "咨询电话与监督投诉电话格式均有效的比例",
    )


def m_c1_3(data: RegionData) -> Result:
    def ok(doc: dict[str, Any]) -> bool | None:
        if doc.get("promised_limit") is None:
            return False
        if doc.get("legal_limit") is None:
            return None if doc.get("item_type") != "01" else False
        pair = _same_unit_limits(doc)
        return pair is not None and pair[1] <= pair[0]

    return _guide_ratio(
        data, ok, "法定与承诺时限齐全且承诺时限不超过法定时限的比例（无法定时限的非许可事项不计）"
    )


def m_c1_4(data: RegionData) -> Result:
    return _guide_ratio(
        data,
        lambda d: (
            bool(d.get("service_objects"))
            and not _blank(d.get("acceptance_conditions"))
            and not _placeholder(d.get("acceptance_conditions"))
        ),
        "服务对象已选且受理条件非空、非“按规定”类表述的比例",
    )


def _with_materials(test: Callable[[dict[str, Any]], bool]) -> Callable[[dict[str, Any]], bool | None]:
    def check(doc: dict[str, Any]) -> bool | None:
        materials = doc.get("materials") or []
        return all(test(m) for m in materials) if materials else None

    return check


def m_c2_1(data: RegionData) -> Result:
    return _guide_ratio(
        data,
        _with_materials(
            lambda m: (
                not _blank(m.get("name"))
                and not _blank(m.get("form"))
                and (
                    m.get("form") == "electronic"
                    or (m.get("original_count") or 0) + (m.get("copy_count") or 0) > 0
                )
            )
        ),
        "每项材料均注明名称、形式及份数的事项比例",
    )


def m_c2_2(data: RegionData) -> Result:
    return _guide_ratio(
        data,
        _with_materials(
            lambda m: not _blank(m.get("issuing_body")) or m.get("source_channel") == "applicant"
        ),
        "每项材料均注明出具单位（申请人自备除外）的事项比例",
    )


def m_c2_3(data: RegionData) -> Result:
    result = _guide_ratio(
        data,
        _with_materials(lambda m: not CATCH_ALL_RE.search(m.get("name") or "")),
        "不含“其他材料”“相关材料”等兜底表述的事项比例",
    )
    # The leaf's raw value is the share WITH catch-all wording (scored inverse[0,0.2]).
    result.raw = (Decimal(1) - result.raw).quantize(Decimal("0.000001"))
    result.evidence["rule"] = "材料含“其他材料”“相关材料”等兜底表述的事项比例（failed 为含兜底表述的事项）"
    return result


def m_c2_4(data: RegionData) -> Result:
    materials = [(i, m) for i in data.items for m in (i["doc"].get("materials") or [])]
    return ratio(
        materials,
        lambda im: bool(im[1].get("obtainable_by")),
        label=lambda im: {"code": im[0]["code"], "name": im[1].get("name")},
        rule="可通过数据共享或电子证照免于提交的材料比例",
        empty="该地区事项没有申请材料",
    )


def m_c3_1(data: RegionData) -> Result:
    return _guide_ratio(
        data,
        lambda d: bool(d.get("steps")) and all(not _blank(s.get("role")) for s in d["steps"]),
        "办理环节有序列出且每个环节注明承办岗位的比例",
    )


def m_c3_2(data: RegionData) -> Result:
    return _guide_ratio(
        data,
        lambda d: len(d.get("steps") or []) >= 1,
        "能生成流程图的事项比例（流程图由办理环节自动生成，catalog.flowchart）",
    )


def m_c3_3(data: RegionData) -> Result:
    def ok(doc: dict[str, Any]) -> bool | None:
        steps = doc.get("steps") or []
        if not steps:
            return False
        immediate = doc.get("promised_limit") == 0
        timed = immediate or all((s.get("time_limit") or 0) > 0 for s in steps)
        specials = all((p.get("time_limit") or 0) > 0 for p in (doc.get("special_procedures") or []))
        return timed and specials

    return _guide_ratio(data, ok, "各环节时限（即办件除外）及特别程序时限均已公开的比例")


def _form_materials(data: RegionData) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [
        (i, m)
        for i in data.items
        for m in (i["doc"].get("materials") or [])
        if FORM_NAME_RE.search(m.get("name") or "")
    ]


def m_c4_1(data: RegionData) -> Result:
    return ratio(
        _form_materials(data),
        lambda im: bool(im[1].get("blank_form")),
        label=lambda im: {"code": im[0]["code"], "name": im[1].get("name")},
        rule="表格类材料（名称含“表”“申请书”）提供空白表格的比例",
        empty="该地区没有表格类材料",
    )


def m_c4_2(data: RegionData) -> Result:
    return ratio(
        _form_materials(data),
        lambda im: bool(im[1].get("sample")),
        label=lambda im: {"code": im[0]["code"], "name": im[1].get("name")},
        rule="表格类材料提供示例样表的比例",
        empty="该地区没有表格类材料",
    )


def m_c5_1(data: RegionData) -> Result:
    return _guide_ratio(
        data, lambda d: isinstance(d.get("charges_fee"), bool), "明确标注“是否收费”的事项比例"
    )


def m_c5_2(data: RegionData) -> Result:
    def ok(doc: dict[str, Any]) -> bool | None:
        if not doc.get("charges_fee"):
            return None
        fees = doc.get("fees") or []
        return bool(fees) and all(
            not _blank(f.get("basis")) and (f.get("amount") is not None or not _blank(f.get("standard")))
            for f in fees
        )

    return _guide_ratio(data, ok, "收费事项的每个收费项目均注明依据与金额或标准的比例")


def m_c5_3(data: RegionData) -> Result:
    return _guide_ratio(
        data,
        lambda d: bool(d.get("supports_online_payment")) if d.get("charges_fee") else None,
        "收费事项支持网上支付的比例",
    )


def m_d1_1(data: RegionData) -> Result:
    return _item_ratio(
        data,
        lambda i: ((i["doc"].get("online_depth") or 1) >= 2) if _on_application(i) else None,
        "依申请事项中网上办理深度不低于“在线预审”的比例",
    )


def m_d1_2(data: RegionData) -> Result:
    return _item_ratio(
        data,
        lambda i: (
            (i["doc"].get("online_depth") == 4 and (i["doc"].get("visits") or 0) == 0)
            if _on_application(i)
            else None
        ),
        "依申请事项中全程网办且到现场0次的比例",
    )


def m_d1_3(data: RegionData) -> Result:
    return _item_ratio(
        data,
        lambda i: ((i["doc"].get("visits") or 0) <= 1) if _on_application(i) else None,
        "依申请事项中到现场不超过1次的比例",
    )


def m_d1_4(data: RegionData) -> Result:
    from yiwang.accounts.models import PersonIdentity

    online = [c for c in data.cases if c["channel"] in ("web", "mobile")]
    applicants = {c["applicant_id"] for c in online}
    verified = set(
        PersonIdentity.objects.filter(user_id__in=applicants, level__gte=2).values_list("user_id", flat=True)
    )
    return ratio(
        online,
        lambda c: c["applicant_id"] in verified,
        label=_case_label,
        rule="网上申请中申请人实名等级≥二级（人口库核验）的比例",
        empty="评估期内没有网上申请",
    )


def _licences_model() -> Any:
    try:
        from yiwang.licences.models import Licence
    except ImportError as exc:
        raise Unmeasured("电子证照模块（licences）不可用") from exc
    return Licence


def m_d1_5(data: RegionData) -> Result:
    _licences_model()
    from yiwang.licences.models import LicenceType

    issuing = [i for i in data.items if i["doc"].get("result_type") == "licence"]
    if not issuing:
        raise Unmeasured("该地区没有出证办结类事项")
    names = {
        n
        for group in LicenceType.objects.filter(is_active=True).values_list("result_names", flat=True)
        for n in (group or [])
    }
    issued = [i for i in issuing if i["doc"].get("result_name") in names]
    materials = [m for i in data.items for m in (i["doc"].get("materials") or [])]
    callable_count = sum(1 for m in materials if m.get("obtainable_by") == "licence")
    issued_share = Decimal(len(issued)) / Decimal(len(issuing))
    callable_share = Decimal(callable_count) / Decimal(len(materials)) if materials else Decimal(0)
    raw = ((issued_share + callable_share) / 2).quantize(Decimal("0.000001"))
    not_issued = [_item_label(i) for i in issuing if i not in issued][:SAMPLE]
    return Result(
        raw,
        {
            "rule": "出证事项的结果名称对应启用的电子证照类型的比例，与可调用电子证照的材料比例的平均",
            "issuing_items": len(issuing),
            "electronic": len(issued),
            "materials": len(materials),
            "callable_materials": callable_count,
            "failed": not_issued,
        },
    )


def m_d1_6(data: RegionData) -> Result:
    licence = _licences_model()
    issued = licence.objects.filter(
        issuer__region__code__startswith=data.prefix, issued_at__date__gte=data.since()
    )
    total = issued.count()
    if not total:
        raise Unmeasured("评估期内本地区没有签发电子证照")
    signed = (
        issued.exclude(signature="").count()
        if any(f.name == "signature" for f in licence._meta.get_fields())
        else total
    )
    return Result(
        _ratio_decimal(signed, total),
        {"rule": "评估期内签发的电子证照中带 SM2 电子签章的比例", "passed": signed, "total": total},
    )


def m_d1_7(data: RegionData) -> Result:
    return _guide_ratio(
        data,
        lambda d: (
            bool(d.get("supports_delivery"))
            or "3" in (d.get("delivery_methods") or [])
            or "electronic" in (d.get("delivery_methods") or [])
            if d.get("result_name") or d.get("result_type")
            else None
        ),
        "有办理结果的事项中支持寄递或电子送达的比例",
    )


def m_d2_1(data: RegionData) -> Result:
    return _guide_ratio(
        data,
        lambda d: _blank(d.get("online_url")) if d.get("is_online") else None,
        "可网办事项中经统一平台申报（未跳转到外部网办地址）的比例",
    )


COMPLETE_CHAIN = (
    {"submit"},
    {"accept", "deemed_accept"},
    {"approve", "refuse", "approve_immediately", "refuse_immediately"},
    {"complete"},
)


def m_d2_2(data: RegionData) -> Result:
    events = _case_events(data)

    def complete(case: dict[str, Any]) -> bool | None:
        if case["status"] not in ("completed", "delivered"):
            return None
        actions = events.get(case["id"], set())
        return all(actions & stage for stage in COMPLETE_CHAIN)

    return _case_ratio(
        data, complete, "已办结办件中受理—办理—办结事件链完整的比例", empty="评估期内没有已办结办件"
    )


def m_d2_3(data: RegionData) -> Result:
    from yiwang.cases.models import CaseMaterial

    ids = [c["id"] for c in data.cases]
    rows: list[tuple[int, str, str]] = []
    for start in range(0, len(ids), 900):
        rows.extend(
            CaseMaterial.objects.filter(case_id__in=ids[start : start + 900]).values_list(
                "case_id", "name", "obtainable_by"
            )
        )
    return ratio(
        rows,
        lambda r: bool(r[2]),
        label=lambda r: {"code": f"#{r[0]}", "name": r[1]},
        rule="办件材料中通过数据共享或电子证照免交的比例",
        empty="评估期内办件没有材料",
    )


def m_d2_4(data: RegionData) -> Result:
    from yiwang.catalog.models import BundleMember

    members = set(
        BundleMember.objects.filter(bundle__region__code__startswith=data.prefix).values_list(
            "implementation_id", flat=True
        )
    )
    return _case_ratio(
        data,
        lambda c: bool(c["bundle_id"]) if c["implementation_id"] in members or c["bundle_id"] else None,
        "一件事所含事项的办件中以一件事联办提交的比例",
        empty="评估期内没有一件事相关事项的办件",
    )


def m_d2_5(data: RegionData) -> Result:
    return _guide_ratio(
        data,
        lambda d: (
            d.get("handling_scope") in ("national", "province")
            if _on_application({"item_type": d.get("item_type")})
            else None
        ),
        "依申请事项中实现全国通办或跨省通办的比例",
    )


def _app_has_rows(app_label: str, model: str, **filters: Any) -> tuple[bool, str]:
    from django.apps import apps

    try:
        model_class = apps.get_model(app_label, model)
    except LookupError:
        return False, f"{app_label} 模块没有 {model} 数据"
    try:
        return model_class.objects.filter(**filters).exists(), ""
    except Exception as exc:  # a field named in filters may not exist in that app (yet)
        return False, f"{app_label}.{model} 无法读取：{type(exc).__name__}"


def m_d2_6(data: RegionData) -> Result:
    paid = any(i["doc"].get("supports_online_payment") for i in data.items)
    delivered = any(i["doc"].get("supports_delivery") for i in data.items)
    reviewed, why_r = _app_has_rows("reviews", "Review", region__code__startswith=data.prefix)
    licensed, why_l = _app_has_rows("licences", "Licence", issuer__region__code__startswith=data.prefix)
    checks = {"统一支付": paid, "统一物流": delivered, "统一好差评": reviewed, "统一电子证照": licensed}
    raw = _ratio_decimal(sum(checks.values()), len(checks))
    return Result(
        raw,
        {
            "rule": "四类公共支撑组件是否已被本地区事项或办件使用",
            "checks": checks,
            "notes": [w for w in (why_r, why_l) if w],
        },
    )


def m_d2_7(data: RegionData) -> Result:
    from django.apps import apps

    if not apps.is_installed("yiwang.federation"):
        raise Unmeasured("联邦（国家平台对接）模块未安装")
    try:
        federation = importlib.import_module("yiwang.federation.selectors")
    except ImportError as exc:
        raise Unmeasured("联邦模块尚未提供对接状态（federation.selectors）") from exc
    status = getattr(federation, "national_links", None)
    if status is None:
        raise Unmeasured("联邦模块没有提供 national_links 对接状态接口")
    links: dict[str, bool] = dict(status())
    if not links:
        raise Unmeasured("没有登记与国家平台的对接")
    return Result(
        _ratio_decimal(sum(links.values()), len(links)),
        {"rule": "事项、身份、证照、好差评、办件数据对接国家平台的情况", "checks": links},
    )


def m_e1_1(data: RegionData) -> Result:
    population = data.options.get("population")
    if not population:
        raise Unmeasured("缺少常住人口基数（在评估对象中填写常住人口）")
    from yiwang.accounts.models import PersonIdentity

    users = PersonIdentity.objects.filter(level__gte=2).count()
    raw = (Decimal(users) / Decimal(int(population))).quantize(Decimal("0.000001"))
    return Result(
        raw,
        {
            "rule": "实名（二级及以上）注册自然人÷常住人口（全平台口径）",
            "users": users,
            "population": population,
        },
    )


def m_e1_2(data: RegionData) -> Result:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(is_active=True)
    total = users.count()
    if not total:
        raise Unmeasured("没有注册用户")
    recent = dt.datetime.combine(data.as_of - dt.timedelta(days=30), dt.time.min, tzinfo=dt.UTC)
    active = users.filter(last_login__gte=recent).count()
    return Result(
        _ratio_decimal(active, total),
        {"rule": "近30天登录过的用户÷注册用户（全平台口径）", "passed": active, "total": total},
    )


def m_e1_3(data: RegionData) -> Result:
    return _case_ratio(
        data, lambda c: c["channel"] in ("web", "mobile", "api"), "网上（电脑端、移动端、接口）受理的办件比例"
    )


def m_e1_4(data: RegionData) -> Result:
    return _case_ratio(
        data,
        lambda c: c["channel"] == "mobile" if c["channel"] in ("web", "mobile") else None,
        "移动端办件占网上办件的比例",
        empty="评估期内没有网上办件",
    )


def m_e2_1(data: RegionData) -> Result:
    values = []
    for item in data.items:
        pair = _same_unit_limits(item["doc"])
        if pair and pair[0] > 0:
            values.append((_item_label(item), round(1 - min(pair[1], pair[0]) / pair[0], 6)))
    return average(
        values,
        rule="1−承诺时限÷法定时限的平均值（同一单位）",
        empty="没有同时填写法定与承诺时限的事项",
        worst_first=False,
    )


def m_e2_2(data: RegionData) -> Result:
    from yiwang.core.workdays import working_days_between

    values = []
    for case in data.cases:
        if case["completed_on"] and case["accepted_on"] and case["limit_days"]:
            days = working_days_between(case["accepted_on"], case["completed_on"])
            values.append((_case_label(case), days / case["limit_days"]))
    if not values:
        raise Unmeasured("评估期内没有已办结且有时限的办件")
    median = statistics.median(v for _, v in values)
    worst = sorted(values, key=lambda kv: kv[1], reverse=True)[:SAMPLE]
    return Result(
        Decimal(str(round(median, 6))),
        {
            "rule": "受理至办结的工作日÷承诺办结时限的中位数",
            "total": len(values),
            "median": round(median, 6),
            "samples": [{**k, "value": round(v, 4)} for k, v in worst],
        },
    )


def m_e2_3(data: RegionData) -> Result:
    return _case_ratio(
        data,
        lambda c: (
            (c["completed_on"] <= c["decision_due"]) if c["completed_on"] and c["decision_due"] else None
        ),
        "已办结办件中在办结期限内办结的比例",
        empty="评估期内没有已办结且有期限的办件",
    )


def m_e2_4(data: RegionData) -> Result:
    return _case_ratio(
        data,
        lambda c: (
            (bool(c["auto_decided"]) or c["completed_on"] == c["submitted_on"]) if c["completed_on"] else None
        ),
        "已办结办件中当日办结或秒批的比例",
        empty="评估期内没有已办结办件",
    )


def m_e3_1(data: RegionData) -> Result:
    values = [
        (_item_label(i), float(sum(1 for m in i["doc"].get("materials") or [] if not m.get("obtainable_by"))))
        for i in data.items
        if _on_application(i)
    ]
    return average(
        values, rule="依申请事项平均需申请人提交的材料数（不含免提交材料）", empty="没有依申请事项"
    )


def m_e3_2(data: RegionData) -> Result:
    volume = Counter(c["implementation_id"] for c in data.cases)
    rows = [i for i in data.items if _on_application(i)]
    if not rows:
        raise Unmeasured("没有依申请事项")
    weights = [volume.get(i["id"], 0) for i in rows]
    weighted = sum(weights) > 0
    if not weighted:
        weights = [1] * len(rows)
    mean = sum(w * (i["doc"].get("visits") or 0) for w, i in zip(weights, rows, strict=True)) / sum(weights)
    worst = sorted(rows, key=lambda i: -(i["doc"].get("visits") or 0))[:SAMPLE]
    return Result(
        Decimal(str(round(mean, 6))),
        {
            "rule": "依申请事项到现场次数的平均值"
            + ("（按办件量加权）" if weighted else "（无办件，未加权）"),
            "total": len(rows),
            "samples": [{**_item_label(i), "value": i["doc"].get("visits") or 0} for i in worst],
        },
    )


def m_e3_3(data: RegionData) -> Result:
    values = [
        (_item_label(i), float(len(i["doc"].get("steps") or []))) for i in data.items if _on_application(i)
    ]
    return average(values, rule="依申请事项平均办理环节数", empty="没有依申请事项")


def _reviews(data: RegionData) -> Any:
    from django.apps import apps

    try:
        return apps.get_model("reviews", "Review")
    except LookupError as exc:
        raise Unmeasured("好差评模块（reviews）不可用") from exc


def m_e4_1(data: RegionData) -> Result:
    review = _reviews(data)
    closed = [c for c in data.cases if c["status"] in ("completed", "delivered")]
    ids = [c["id"] for c in closed]
    rated: set[int] = set()
    for start in range(0, len(ids), 900):
        rated.update(
            review.objects.filter(case_id__in=ids[start : start + 900]).values_list("case_id", flat=True)
        )
    return ratio(
        closed,
        lambda c: c["id"] in rated,
        label=_case_label,
        rule="已办结办件中已获评价的比例",
        empty="评估期内没有已办结办件",
    )


def m_e4_2(data: RegionData) -> Result:
    review = _reviews(data)
    levels = list(
        review.objects.filter(
            region__code__startswith=data.prefix,
            rated_on__gte=data.since(),
            rated_on__lte=data.as_of,
            excluded=False,
        ).values_list("level", flat=True)
    )
    if not levels:
        raise Unmeasured("评估期内没有评价")
    satisfied = sum(1 for level in levels if level >= 4)
    return Result(
        _ratio_decimal(satisfied, len(levels)),
        {
            "rule": "“非常满意”“满意”评价占全部评价的比例（五级）",
            "passed": satisfied,
            "total": len(levels),
            "levels": dict(sorted(Counter(levels).items())),
        },
    )


def m_e4_3(data: RegionData) -> Result:
    from django.apps import apps

    try:
        order = apps.get_model("reviews", "WorkOrder")
    except LookupError as exc:
        raise Unmeasured("差评整改工单（reviews.WorkOrder）不可用") from exc
    rows = list(
        order.objects.filter(
            region__code__startswith=data.prefix, opened_on__gte=data.since(), opened_on__lte=data.as_of
        ).values("id", "status", "opened_on", "due_on", "resolved_at")
    )
    return ratio(
        rows,
        lambda r: (
            r["resolved_at"] is not None
            and r["due_on"] is not None
            and r["resolved_at"].date() <= r["due_on"]
        ),
        label=lambda r: {"code": f"#{r['id']}", "name": r["status"]},
        rule="差评工单在整改期限（15个工作日）内处置完毕的比例",
        empty="评估期内没有差评工单",
    )


MEASURES: dict[str, Callable[[RegionData], Result]] = {
    "A2.1": m_a2_1, "A2.3": m_a2_3, "A2.5": m_a2_5, "A2.6": m_a2_6,
    "A3.1": m_a3_1, "A3.3": m_a3_3, "A3.5": m_a3_5,
    "B1.3": m_b1_3, "B1.4": m_b1_4, "B1.5": m_b1_5,
    "B2.1": m_b2_1, "B2.4": m_b2_4,
    "B3.1": m_b3_1, "B3.2": m_b3_2, "B3.3": m_b3_3, "B3.4": m_b3_4, "B3.5": m_b3_5,
    "C1.1": m_c1_1, "C1.2": m_c1_2, "C1.3": m_c1_3, "C1.4": m_c1_4,
    "C2.1": m_c2_1, "C2.2": m_c2_2, "C2.3": m_c2_3, "C2.4": m_c2_4,
    "C3.1": m_c3_1, "C3.2": m_c3_2, "C3.3": m_c3_3,
    "C4.1": m_c4_1, "C4.2": m_c4_2,
    "C5.1": m_c5_1, "C5.2": m_c5_2, "C5.3": m_c5_3,
    "D1.1": m_d1_1, "D1.2": m_d1_2, "D1.3": m_d1_3, "D1.4": m_d1_4, "D1.5": m_d1_5, "D1.6": m_d1_6, "D1.7": m_d1_7,
    "D2.1": m_d2_1, "D2.2": m_d2_2, "D2.3": m_d2_3, "D2.4": m_d2_4, "D2.5": m_d2_5, "D2.6": m_d2_6, "D2.7": m_d2_7,
    "E1.1": m_e1_1, "E1.2": m_e1_2, "E1.3": m_e1_3, "E1.4": m_e1_4,
    "E2.1": m_e2_1, "E2.2": m_e2_2, "E2.3": m_e2_3, "E2.4": m_e2_4,
    "E3.1": m_e3_1, "E3.2": m_e3_2, "E3.3": m_e3_3,
    "E4.1": m_e4_1, "E4.2": m_e4_2, "E4.3": m_e4_3,
}  # fmt: skip


def collect(
    region_code: str, leaf_ids: Iterable[str], *, as_of: dt.date, options: dict[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """Measure `leaf_ids` for one region: {leaf id: {"raw", "reason", "evidence", "source"}} (JSON-able)."""
    wanted = [leaf for leaf in leaf_ids if leaf in MEASURES]
    try:
        data = load_region(region_code, as_of=as_of, options=options)
    except Unmeasured as exc:
        return {
            leaf: {"source": "platform", "raw": None, "reason": str(exc), "evidence": {}} for leaf in wanted
        }
    out: dict[str, dict[str, Any]] = {}
    for leaf in wanted:
        try:
            result = MEASURES[leaf](data)
        except Unmeasured as exc:
            out[leaf] = {"source": "platform", "raw": None, "reason": str(exc), "evidence": {}}
        else:
            out[leaf] = {
                "source": "platform",
                "raw": str(result.raw),
                "reason": "",
                "evidence": _jsonable(result.evidence),
            }
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal | dt.date | dt.datetime):
        return str(value)
    return value
