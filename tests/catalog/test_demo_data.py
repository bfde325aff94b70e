"""The demo catalogue document: deterministic, complete, valid codes, and guides that pass the quality rules.

Most tests read the document that `build_document()` returns and need no database. The rule checks below
restate domain.md §2.3 independently (keyed by catalog.quality rule ids): every published guide passes them
and every deliberately flawed draft breaks exactly the rule it names. The last test imports a sample through
the real importer and quality checker to confirm the same on the database.
"""

from __future__ import annotations

import csv
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from stdnum.cn import uscc

import yiwang.core
from yiwang.catalog import codes, exchange, quality
from yiwang.catalog.demo import build_document
from yiwang.catalog.demo.drafts import FLAW_RULES
from yiwang.catalog.demo.themes import ENTERPRISE_THEMES, PERSON_THEMES
from yiwang.catalog.demo.uscc import org_check
from yiwang.catalog.models import Bundle, GuideVersion
from yiwang.core.services import load_regions
from yiwang.core.validators import validate_phone

Guide = dict[str, Any]

DOC = build_document()
PUBLISHED = [row for row in DOC["implementations"] if row["status"] == "published"]
DRAFTS = [row for row in DOC["implementations"] if row["status"] == "draft"]
ORG_BY_USCC = {org["uscc"]: org for org in DOC["organisations"]}
BASIC_BY_CODE = {item["basic_code"]: item for item in DOC["basic_items"]}
IMPL_BY_CODE = {row["implementation_code"]: row for row in DOC["implementations"]}
THEME_BY_CODE = {theme["code"]: theme for theme in DOC["themes"]}
LEGAL_PERSON_OBJECTS = {str(code) for code in codes.LEGAL_PERSON_OBJECTS}
PARTS = {
    "themes",
    "joint_organisations",
    "variants",
    "situations",
    "materials",
    "steps",
    "fees",
    "special_procedures",
    "faqs",
}


def _regions() -> dict[str, str | None]:
    path = Path(yiwang.core.__file__).parent / "data" / "regions.csv"
    with path.open(encoding="utf-8") as handle:
        return {row["code"]: row["parent_code"] or None for row in csv.DictReader(handle)}


REGIONS = _regions()


def _in_province(code: str, province: str = "330000") -> bool:
    current: str | None = code
    while current:
        if current == province:
            return True
        current = REGIONS[current]
    return False


def _values(choices: Any) -> set[str]:
    return {str(value) for value in choices.values}


# —— the quality rules (domain.md §2.3), keyed by catalog.quality rule id; True when the guide breaks it ——


def _expected_result_type(name: str) -> str | None:
    name = re.sub(r"[（(][^（）()]*[）)]\s*$", "", name).strip()
    if name.endswith(("批复", "批文")):
        return "approval"
    if name.endswith(("证书", "证")) and not name.endswith(("凭证", "证明")):
        return "licence"
    return "document" if name.endswith("文") else None


def _type_matches_name(guide: Guide) -> bool:
    expected = _expected_result_type(guide["result_name"])
    return bool(guide["result_type"]) and expected is not None and guide["result_type"] != expected


def _step_sum(guide: Guide) -> int:
    return sum(step["time_limit"] for step in guide["steps"])


RULE_CHECKS: dict[str, Callable[[Guide], bool]] = {
    "limit.immediate_case_type": lambda g: (g["promised_limit"] == 0) != (g["case_type"] == "1"),
    "limit.promised_exceeds_legal": lambda g: (
        g["legal_limit_unit"] == g["promised_limit_unit"] and g["promised_limit"] > g["legal_limit"]
    ),
    "licensing.step_sum": lambda g: g["item_type"] == "01" and _step_sum(g) > g["promised_limit"],
    "limit.step_sum": lambda g: g["item_type"] != "01" and _step_sum(g) > g["promised_limit"],
    "licensing.faq": lambda g: g["item_type"] == "01" and not g["faqs"],
    "result.type_for_name": lambda g: bool(g["result_name"]) and not g["result_type"],
    "result.type_matches_name": _type_matches_name,
    "visits.onsite_reason": lambda g: g["visits"] > 0 and not g["onsite_reason"].strip(),
    "visits.post_form": lambda g: g["visits"] == 0 and not g["is_online"] and "4" not in g["handling_forms"],
    "online.full_depth_visits": lambda g: g["online_depth"] == 4 and g["visits"] > 0,
    "online.depth_requires_online": lambda g: g["online_depth"] >= 3 and not g["is_online"],
    "fee.basis": lambda g: g["charges_fee"] and not g["fee_basis"],
    "fee.items": lambda g: g["charges_fee"] and not g["fees"],
    "fee.payment_without_fee": lambda g: not g["charges_fee"] and g["supports_online_payment"],
    "fee.online_payment": lambda g: g["charges_fee"] and not g["supports_online_payment"],
    "phone.distinct": lambda g: g["consultation_phone"] == g["supervision_phone"],
    "hours.workdays": lambda g: "工作日" not in g["hours"],
    "place.precise": lambda g: "窗口" not in g["place"],
    "delivery.post_flag": lambda g: ("post" in g["delivery_methods"]) != g["supports_delivery"],
}


def _broken_rules(guide: Guide) -> set[str]:
    return {rule for rule, broken in RULE_CHECKS.items() if broken(guide)}


# —— the document as a whole ——


def test_document_is_deterministic_and_independent() -> None:
    first, second = build_document(), build_document()
    assert first == second == DOC
    first["implementations"][0]["guide"]["name"] = "changed"
    assert build_document()["implementations"][0]["guide"]["name"] != "changed"


def test_document_is_json_with_format_header() -> None:
    assert json.loads(json.dumps(DOC, ensure_ascii=False)) == DOC
    assert DOC["format"] == "yiwang.catalog/1"
    assert DOC["generated_by"] == "yiwang demo"


def test_build_is_fast() -> None:
    best = min(_timed(build_document) for _ in range(3))
    assert best < 0.5, f"build_document() took {best:.3f}s"


def _timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def test_counts_meet_the_issue() -> None:
    assert len(DOC["organisations"]) >= 45
    assert len(DOC["basic_items"]) >= 110
    assert len(PUBLISHED) >= 320
    assert {row["guide"]["item_type"] for row in PUBLISHED} == _values(codes.ItemType)
    assert len({row["guide"]["exercise_level"] for row in PUBLISHED}) >= 3
    assert len(DOC["bundles"]) >= 6
    assert len(DRAFTS) >= 6


# —— organisations, regions, codes ——


def test_organisations_have_valid_unique_usccs_in_the_province() -> None:
    usccs = [org["uscc"] for org in DOC["organisations"]]
    assert len(set(usccs)) == len(usccs)
    for org in DOC["organisations"]:
        code = org["uscc"]
        assert uscc.is_valid(code), code
        assert code[:2] in {"11", "12", "13"}, code
        assert code[2:8] == org["region_code"], org["name"]
        assert org_check(code[8:16]) == code[16], f"GB 11714 check of {org['name']}"
        assert _in_province(org["region_code"]), org["region_code"]
        assert org["kind"] in {"department", "hall", "authorised", "other"}
        assert org["parent_uscc"] is None or org["parent_uscc"] in ORG_BY_USCC
        validate_phone(org["phone"])


def test_organisations_list_parents_first() -> None:
    seen: set[str] = set()
    for org in DOC["organisations"]:
        assert org["parent_uscc"] is None or org["parent_uscc"] in seen, org["name"]
        seen.add(org["uscc"])


def test_basic_codes_and_sub_items() -> None:
    for item in DOC["basic_items"]:
        code = item["basic_code"]
        assert re.fullmatch(r"\d{12}", code), code
        assert item["item_type"] in _values(codes.ItemType)
        assert item["legal_basis"].startswith("《") and item["competent_department"]
        if item["parent_code"]:
            parent = BASIC_BY_CODE[item["parent_code"]]
            assert parent["parent_code"] is None
            assert parent["basic_code"][:9] == code[:9] and parent["basic_code"].endswith("000")
            assert not code.endswith("000")
    with_children = {item["parent_code"] for item in DOC["basic_items"] if item["parent_code"]}
    assert len(with_children) >= 3


def test_implementation_codes_are_uscc_level_basic_code() -> None:
    codes_seen = Counter(row["implementation_code"] for row in DOC["implementations"])
    assert max(codes_seen.values()) == 1
    for row in DOC["implementations"]:
        guide = row["guide"]
        expected = row["organisation_uscc"] + guide["exercise_level"] + row["basic_code"]
        assert row["implementation_code"] == expected
        assert len(expected) == 31
        assert row["organisation_uscc"] in ORG_BY_USCC
        assert row["basic_code"] in BASIC_BY_CODE
        assert row["region_code"] == ORG_BY_USCC[row["organisation_uscc"]]["region_code"]
        assert _in_province(row["region_code"])
        assert guide["name"] == BASIC_BY_CODE[row["basic_code"]]["name"]
        assert guide["item_type"] == BASIC_BY_CODE[row["basic_code"]]["item_type"]
        assert row["popularity"] > 0


def test_each_item_has_one_to_six_published_implementations() -> None:
    per_item = Counter(row["basic_code"] for row in PUBLISHED)
    main_items = {item["basic_code"] for item in DOC["basic_items"]} - {
        item["parent_code"] for item in DOC["basic_items"] if item["parent_code"]
    }
    assert set(per_item) == main_items
    assert all(1 <= count <= 6 for count in per_item.values())


def test_high_frequency_services_under_official_names() -> None:
    names = {item["name"] for item in DOC["basic_items"]}
    for name in (
        "居民身份证补领",
        "居住证签发",
        "出生登记",
        "户口迁移（迁入）",
        "内地居民结婚登记",
        "内地居民离婚登记",
        "补领结婚证",
        "出生医学证明签发",
        "生育登记",
        "机动车驾驶证补领",
        "机动车注册登记",
        "机动车检验合格标志核发",
        "城乡居民基本养老保险参保登记",
        "失业保险金申领",
        "就业创业证申领",
        "住房公积金提取（购房）",
        "住房公积金个人住房贷款",
        "企业设立登记",
        "企业注销登记",
        "食品经营许可",
        "药品经营许可（零售）",
        "医疗器械经营许可",
        "建筑工程施工许可证核发",
        "建设工程规划许可证核发",
        "医师执业注册",
        "护士执业注册",
        "教师资格认定",
        "义务教育阶段学生转学",
        "最低生活保障审核确认",
        "特困人员救助供养审核确认",
        "临时救助",
        "残疾人证申领",
        "社会团体成立登记",
        "普通护照签发",
        "往来港澳通行证签发",
        "不动产转移登记",
        "不动产抵押登记",
        "道路货物运输经营许可",
        "烟草专卖零售许可证核发",
        "排污许可",
        "发票领用",
        "法律援助申请",
        "公证事项办理",
    ):
        assert name in names, name


# —— guides ——


def test_guide_fields_are_guide_version_fields() -> None:
    model_fields = {field.name for field in GuideVersion._meta.get_fields()}
    for row in DOC["implementations"]:
        for key in set(row["guide"]) - PARTS:
            assert key in model_fields, key


def test_guide_codes_come_from_the_code_tables() -> None:
    time_units = _values(codes.TimeUnit)
    for row in DOC["implementations"]:
        guide = row["guide"]
        assert guide["exercise_level"] in _values(codes.ExerciseLevel)
        assert guide["subject_nature"] in _values(codes.SubjectNature)
        assert guide["power_source"] in _values(codes.PowerSource)
        assert guide["case_type"] in _values(codes.CaseType)
        assert guide["result_type"] in _values(codes.ResultType)
        assert guide["handling_scope"] in _values(codes.HandlingScope)
        assert guide["system_level"] in _values(codes.SystemLevel)
        assert guide["online_depth"] in {int(value) for value in codes.OnlineDepth.values}
        assert guide["legal_limit_unit"] in time_units and guide["promised_limit_unit"] in time_units
        assert set(guide["service_objects"]) <= _values(codes.ServiceObject) and guide["service_objects"]
        assert set(guide["handling_forms"]) <= _values(codes.HandlingForm) and guide["handling_forms"]
        assert set(guide["delivery_methods"]) <= _values(codes.DeliveryMethod) and guide["delivery_methods"]
        for material in guide["materials"]:
            assert material["necessity"] in _values(codes.MaterialNecessity)
            assert material["form"] in _values(codes.MaterialForm)
            assert material["source_channel"] in _values(codes.MaterialSourceChannel)
            assert material["obtainable_by"] in _values(codes.MaterialObtainable)
            assert bool(material["obtainable_by"]) == bool(material["obtainable_source"]), material["name"]
        for special in guide["special_procedures"]:
            assert special["kind"] in _values(codes.SpecialProcedureKind)
            assert special["time_limit_unit"] in time_units


def test_rule_ids_are_the_quality_checkers() -> None:
    assert set(RULE_CHECKS) <= set(quality.RULES)
    assert set(FLAW_RULES) <= set(quality.RULES)


def test_document_passes_the_importers_field_checks() -> None:
    report = exchange.ImportReport()
    exchange.parse_document(DOC, report)
    assert report.errors == [] and report.warnings == []


def test_published_guides_pass_every_quality_rule() -> None:
    for row in PUBLISHED:
        assert row["expected_findings"] == []
        broken = _broken_rules(row["guide"])
        assert not broken, f"{row['guide']['name']} ({row['implementation_code']}): {broken}"


def test_published_guides_are_complete_and_consistent() -> None:
    for row in PUBLISHED:
        guide, label = row["guide"], row["guide"]["name"]
        assert guide["legal_basis"].startswith("《"), label
        assert guide["acceptance_conditions"] and guide["exercise_content"] and guide["authority_division"], (
            label
        )
        assert guide["legal_limit"] is not None and guide["promised_limit"] <= guide["legal_limit"], label
        assert 2 <= len(guide["materials"]) <= 7, label
        assert [step["name"] for step in guide["steps"]] and all(step["role"] for step in guide["steps"]), (
            label
        )
        assert guide["faqs"], label
        validate_phone(guide["consultation_phone"])
        validate_phone(guide["supervision_phone"])
        assert guide["is_online"] == bool(guide["online_url"]), label
        if guide["online_url"]:
            assert guide["online_url"].startswith("https://www.zjzwfw.gov.cn/"), label
        if guide["online_depth"] == 4:
            assert guide["is_online"] and guide["visits"] == 0, label
        if guide["visits"] == 0 and not guide["is_online"]:
            assert "4" in guide["handling_forms"], label
        for fee in guide["fees"]:
            assert fee["basis"] and fee["standard"], label
            assert fee["amount"] is None or re.fullmatch(r"\d+\.\d{2}", fee["amount"]), label


def test_situations_and_variants_referenced_by_parts_exist() -> None:
    for row in DOC["implementations"]:
        guide = row["guide"]
        situations = {situation["name"] for situation in guide["situations"]}
        variants = {variant["code_suffix"] for variant in guide["variants"]}
        assert all(re.fullmatch(r"\d{2}", suffix) for suffix in variants)
        assert all(
            situation["variant"] is None or situation["variant"] in variants
            for situation in guide["situations"]
        )
        assert all(
            material["situation"] is None or material["situation"] in situations
            for material in guide["materials"]
        )
        assert set(guide["joint_organisations"]) <= set(ORG_BY_USCC)


def test_themes_exist_and_match_service_objects() -> None:
    assert {theme["code"] for theme in DOC["themes"]} == PERSON_THEMES | ENTERPRISE_THEMES
    assert {theme["audience"] for theme in DOC["themes"]} == {"person", "enterprise"}
    for row in DOC["implementations"]:
        guide = row["guide"]
        themes = set(guide["themes"])
        assert themes <= set(THEME_BY_CODE), themes - set(THEME_BY_CODE)
        objects = set(guide["service_objects"])
        if themes & PERSON_THEMES:
            assert "1" in objects, guide["name"]
        if themes & ENTERPRISE_THEMES:
            assert objects & LEGAL_PERSON_OBJECTS, guide["name"]
        if "1" in objects and guide["item_type"] in codes.ON_APPLICATION_TYPES:
            assert themes & PERSON_THEMES, guide["name"]
        if objects & LEGAL_PERSON_OBJECTS and guide["item_type"] in codes.ON_APPLICATION_TYPES:
            assert themes & ENTERPRISE_THEMES, guide["name"]


def test_aliases_for_popular_services() -> None:
    aliases = " ".join(row["guide"]["aliases"] for row in PUBLISHED)
    for colloquial in ("身份证补办", "办营业执照", "领结婚证", "提取公积金", "生孩子上户口"):
        assert colloquial in aliases, colloquial


# —— drafts and bundles ——


def test_each_draft_breaks_exactly_the_rule_it_names() -> None:
    rules = set()
    for row in DRAFTS:
        expected = set(row["expected_findings"])
        assert expected and expected <= set(FLAW_RULES)
        assert _broken_rules(row["guide"]) == expected, row["implementation_code"]
        rules |= expected
    assert len(rules) >= 6


def test_bundles_members_exist_and_are_published() -> None:
    codes_seen = [bundle["code"] for bundle in DOC["bundles"]]
    assert len(set(codes_seen)) == len(codes_seen)
    for bundle in DOC["bundles"]:
        assert bundle["status"] == "published"
        assert bundle["lead_organisation_uscc"] in ORG_BY_USCC
        assert _in_province(bundle["region_code"])
        assert set(bundle["themes"]) <= set(THEME_BY_CODE)
        assert all(THEME_BY_CODE[theme]["audience"] == bundle["audience"] for theme in bundle["themes"])
        assert len(bundle["members"]) >= 2 and len(set(bundle["members"])) == len(bundle["members"])
        for member in bundle["members"]:
            assert IMPL_BY_CODE[member]["status"] == "published", member
            assert _in_province(IMPL_BY_CODE[member]["region_code"], bundle["region_code"][:4] + "00")


@pytest.mark.parametrize("name", ["新生儿出生一件事", "企业开办一件事", "退休一件事", "身后一件事"])
def test_required_bundles_present(name: str) -> None:
    assert name in {bundle["name"] for bundle in DOC["bundles"]}


# —— through the real importer and quality checker (database) ——


def _sample() -> list[dict[str, Any]]:
    """Every flawed draft, the first bundle's members and one published implementation of each item type."""
    members = set(DOC["bundles"][0]["members"])
    by_type: dict[str, dict[str, Any]] = {}
    for row in PUBLISHED:
        by_type.setdefault(row["guide"]["item_type"], row)
    chosen = {row["implementation_code"] for row in by_type.values()} | members
    return [row for row in DOC["implementations"] if row["implementation_code"] in chosen] + DRAFTS


@pytest.mark.django_db
def test_importer_publishes_the_sample_and_the_checker_catches_each_flaw() -> None:
    load_regions()
    sample = _sample()
    exchange.import_document({**DOC, "implementations": sample, "bundles": DOC["bundles"][:1]}, publish=True)
    for row in sample:
        guide = GuideVersion.objects.get(implementation__implementation_code=row["implementation_code"])
        blocking = {
            finding["rule"] for finding in guide.quality_findings if finding["severity"] == "blocking"
        }
        if row["status"] == "published":
            assert (guide.status, blocking) == ("published", set()), row["implementation_code"]
        else:
            assert (guide.status, blocking) == ("draft", set(row["expected_findings"])), row[
                "implementation_code"
            ]
    assert Bundle.objects.get(code=DOC["bundles"][0]["code"]).status == "published"
