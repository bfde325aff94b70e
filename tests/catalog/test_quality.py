"""The guide quality checker: every rule fires on a guide that breaks it and stays quiet on one that doesn't."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from catalog.factories import make_guide, make_person_theme
from yiwang.catalog import codes
from yiwang.catalog.models import GuideVersion, Material, Situation
from yiwang.catalog.quality import RULES, QualityReport, check_guide

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")
IMMEDIATE_STEPS = [{"name": "受理并办结", "role": "窗口人员", "time_limit": 0}]
OFFLINE = {"is_online": False, "online_depth": codes.OnlineDepth.PRE_REVIEW, "online_url": ""}
NO_FEE = {"charges_fee": False, "fee_basis": "", "supports_online_payment": False, "fees": []}


@dataclass(frozen=True)
class Case:
    rule: str
    severity: str
    trigger: Callable[[], GuideVersion]
    # A guide close to the trigger that must NOT fire the rule; None: the clean factory guide.
    clean: Callable[[], GuideVersion] | None = None
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.rule}{'-' + self.label if self.label else ''}"


def _with_situation_duplicate() -> GuideVersion:
    guide = make_guide()
    situation = Situation.objects.create(guide=guide, name="委托代理人办理")
    Material.objects.create(guide=guide, situation=situation, name="营业执照", original_count=1)
    return guide


def _two_situations_same_name() -> GuideVersion:
    guide = make_guide()
    for name in ("个人办理", "委托代理人办理"):
        situation = Situation.objects.create(guide=guide, name=name)
        Material.objects.create(guide=guide, situation=situation, name="身份证明", original_count=1)
    return guide


CASES = [
    # 必备要素
    Case("completeness.name", "blocking", lambda: make_guide(name="")),
    Case("completeness.item_type", "blocking", lambda: make_guide(item_type="")),
    Case("completeness.item_type", "blocking", lambda: make_guide(item_type="99"), label="unknown"),
    Case("completeness.legal_basis", "blocking", lambda: make_guide(legal_basis="  ")),
    Case("completeness.exercise_level", "blocking", lambda: make_guide(exercise_level="")),
    Case("completeness.acceptance_conditions", "blocking", lambda: make_guide(acceptance_conditions="")),
    Case("completeness.promised_limit", "blocking", lambda: make_guide(promised_limit=None)),
    Case(
        "completeness.legal_limit",
        "blocking",
        lambda: make_guide(legal_limit=None),
        clean=lambda: make_guide(item_type=codes.ItemType.PUBLIC_SERVICE, legal_limit=None),
    ),
    Case("completeness.place", "blocking", lambda: make_guide(place="")),
    Case("completeness.hours", "blocking", lambda: make_guide(hours="")),
    Case("completeness.consultation_phone", "blocking", lambda: make_guide(consultation_phone="")),
    Case("completeness.supervision_phone", "blocking", lambda: make_guide(supervision_phone="")),
    Case("completeness.service_objects", "blocking", lambda: make_guide(service_objects=[])),
    Case("completeness.handling_forms", "blocking", lambda: make_guide(handling_forms=[])),
    Case("completeness.steps", "blocking", lambda: make_guide(steps=[])),
    Case(
        "completeness.materials",
        "blocking",
        lambda: make_guide(materials=[]),
        clean=lambda: make_guide(item_type=codes.ItemType.PENALTY, materials=[]),
    ),
    Case("codes.service_objects", "blocking", lambda: make_guide(service_objects=["2", "7"])),
    Case("codes.handling_forms", "blocking", lambda: make_guide(handling_forms=["1", "2", "3", "5"])),
    # 时限与办件类型
    Case(
        "limit.immediate_case_type",
        "blocking",
        lambda: make_guide(promised_limit=0, steps=IMMEDIATE_STEPS),
        clean=lambda: make_guide(promised_limit=0, case_type=codes.CaseType.IMMEDIATE, steps=IMMEDIATE_STEPS),
        label="immediate-limit",
    ),
    Case(
        "limit.immediate_case_type",
        "blocking",
        lambda: make_guide(case_type=codes.CaseType.IMMEDIATE),
        clean=lambda: make_guide(
            promised_limit_unit=codes.TimeUnit.IMMEDIATE,
            promised_limit=0,
            case_type=codes.CaseType.IMMEDIATE,
            steps=IMMEDIATE_STEPS,
        ),
        label="promised-limit",
    ),
    Case("limit.promised_case_type", "warning", lambda: make_guide(case_type=codes.CaseType.OTHER)),
    Case(
        "limit.immediate_unit_value",
        "warning",
        lambda: make_guide(
            promised_limit_unit=codes.TimeUnit.IMMEDIATE, promised_limit=3, case_type=codes.CaseType.IMMEDIATE
        ),
        clean=lambda: make_guide(
            promised_limit_unit=codes.TimeUnit.IMMEDIATE,
            promised_limit=0,
            case_type=codes.CaseType.IMMEDIATE,
            steps=IMMEDIATE_STEPS,
        ),
    ),
    Case(
        "limit.promised_exceeds_legal",
        "blocking",
        lambda: make_guide(promised_limit=25, legal_limit=20),
        # Different units cannot be compared without a calendar: not this rule's business.
        clean=lambda: make_guide(promised_limit=25, legal_limit=1, legal_limit_unit=codes.TimeUnit.MONTH),
    ),
    Case(
        "limit.step_sum",
        "warning",
        lambda: make_guide(item_type=codes.ItemType.PUBLIC_SERVICE, promised_limit=3),
        clean=lambda: make_guide(item_type=codes.ItemType.PUBLIC_SERVICE, promised_limit=5),
    ),
    Case(
        "licensing.step_sum",
        "blocking",
        lambda: make_guide(promised_limit=4),
        # Step limits are working days; a promise in calendar days is not compared.
        clean=lambda: make_guide(promised_limit=4, promised_limit_unit=codes.TimeUnit.CALENDAR_DAY),
    ),
    Case(
        "licensing.faq",
        "blocking",
        lambda: make_guide(faqs=[]),
        clean=lambda: make_guide(item_type=codes.ItemType.PUBLIC_SERVICE, faqs=[]),
    ),
    # 办理结果
    Case(
        "result.type_for_name",
        "blocking",
        lambda: make_guide(result_type=""),
        clean=lambda: make_guide(result_name="", result_type="", result_sample=""),
    ),
    Case(
        "result.type_matches_name",
        "blocking",
        lambda: make_guide(result_name="关于同意建设的批复", result_type=codes.ResultType.LICENCE),
        clean=lambda: make_guide(result_name="关于同意建设的批复", result_type=codes.ResultType.APPROVAL),
        label="approval",
    ),
    Case(
        "result.type_matches_name",
        "blocking",
        lambda: make_guide(result_name="建筑工程施工许可证（电子）", result_type=codes.ResultType.DOCUMENT),
        clean=lambda: make_guide(
            result_name="建筑工程施工许可证（电子）", result_type=codes.ResultType.LICENCE
        ),
        label="licence",
    ),
    Case(
        "result.type_matches_name",
        "blocking",
        lambda: make_guide(result_name="行政许可决定文", result_type=codes.ResultType.LICENCE),
        # 凭证 and 证明 end in 证 but are not licences.
        clean=lambda: make_guide(result_name="缴费凭证", result_type=codes.ResultType.OTHER),
        label="document",
    ),
    Case("result.name_for_type", "warning", lambda: make_guide(result_name="", result_sample="")),
    Case("result.sample", "warning", lambda: make_guide(result_sample="")),
    # 到现场次数与网办
    Case(
        "visits.onsite_reason",
        "blocking",
        lambda: make_guide(visits=1, online_depth=codes.OnlineDepth.ONLINE_ACCEPTANCE),
        clean=lambda: make_guide(
            visits=1, online_depth=codes.OnlineDepth.ONLINE_ACCEPTANCE, onsite_reason="需现场核验原件"
        ),
    ),
    Case(
        "visits.post_form",
        "blocking",
        lambda: make_guide(**OFFLINE, handling_forms=["1"]),
        clean=lambda: make_guide(**OFFLINE, handling_forms=["1", "4"]),
    ),
    Case(
        "online.full_depth_visits",
        "blocking",
        lambda: make_guide(visits=1, onsite_reason="需现场核验原件"),
        clean=lambda: make_guide(
            visits=1, onsite_reason="需现场核验原件", online_depth=codes.OnlineDepth.ONLINE_ACCEPTANCE
        ),
    ),
    Case(
        "online.depth_requires_online",
        "blocking",
        lambda: make_guide(is_online=False),
        clean=lambda: make_guide(**OFFLINE),
    ),
    Case("online.url", "warning", lambda: make_guide(online_url=""), clean=lambda: make_guide(**OFFLINE)),
    Case("online.forms", "warning", lambda: make_guide(handling_forms=["1", "4"])),
    # 收费
    Case("fee.basis", "blocking", lambda: make_guide(fee_basis=""), clean=lambda: make_guide(**NO_FEE)),
    Case("fee.items", "blocking", lambda: make_guide(fees=[])),
    Case(
        "fee.item_complete",
        "blocking",
        lambda: make_guide(fees=[{"name": "证书工本费", "standard": "", "basis": "省物价部门文件"}]),
    ),
    Case("fee.online_payment", "warning", lambda: make_guide(supports_online_payment=False)),
    Case(
        "fee.payment_without_fee",
        "blocking",
        lambda: make_guide(**{**NO_FEE, "supports_online_payment": True}),
        clean=lambda: make_guide(**NO_FEE),
    ),
    Case(
        "fee.rows_without_charge",
        "warning",
        lambda: make_guide(charges_fee=False, fee_basis="", supports_online_payment=False),
        clean=lambda: make_guide(**NO_FEE),
    ),
    # 联系方式、时间、地点
    Case(
        "phone.consultation_format",
        "blocking",
        lambda: make_guide(consultation_phone="87001234"),
        clean=lambda: make_guide(consultation_phone="0571-87001234、12345"),
    ),
    Case(
        "phone.supervision_format",
        "blocking",
        lambda: make_guide(supervision_phone="投诉请拨打本局电话"),
        clean=lambda: make_guide(supervision_phone="12345"),
    ),
    Case("phone.distinct", "blocking", lambda: make_guide(supervision_phone="0571 87001234")),
    Case(
        "hours.workdays",
        "warning",
        lambda: make_guide(hours="9:00–17:00"),
        clean=lambda: make_guide(hours="星期一至星期五 9:00–17:00"),
    ),
    Case("place.precise", "warning", lambda: make_guide(place="杭州市西湖区文三路")),
    # 服务对象与主题
    Case(
        "objects.person_theme",
        "warning",
        lambda: make_guide(themes=[make_person_theme()]),
        clean=lambda: make_guide(themes=[make_person_theme()], service_objects=["1", "2"]),
    ),
    Case(
        "objects.enterprise_theme",
        "warning",
        lambda: make_guide(service_objects=["1"]),
        clean=lambda: make_guide(service_objects=["4"]),
    ),
    # 特别程序
    Case(
        "special.time_limit",
        "warning",
        lambda: make_guide(
            special_procedures=[{"name": "专家评审", "time_limit": 0, "legal_basis": "行政许可法第四十五条"}]
        ),
    ),
    Case(
        "special.legal_basis",
        "warning",
        lambda: make_guide(special_procedures=[{"name": "专家评审", "time_limit": 10, "legal_basis": ""}]),
    ),
    # 申请材料
    Case("material.name", "warning", lambda: make_guide(materials=[{"name": " ", "original_count": 1}])),
    Case(
        "material.counts",
        "warning",
        lambda: make_guide(materials=[{"name": "申请表", "form": codes.MaterialForm.PAPER}]),
        clean=lambda: make_guide(materials=[{"name": "申请表", "form": codes.MaterialForm.ELECTRONIC}]),
    ),
    Case(
        "material.deferrable_case_type",
        "warning",
        lambda: make_guide(case_type=codes.CaseType.OTHER),
        clean=None,  # the factory's 施工合同 is 容缺 on a 承诺件
    ),
    Case(
        "material.obtainable_source",
        "warning",
        lambda: make_guide(
            materials=[
                {"name": "身份证", "obtainable_by": codes.MaterialObtainable.SHARING, "obtainable_source": ""}
            ]
        ),
    ),
    Case(
        "material.duplicate_name",
        "blocking",
        lambda: make_guide(
            materials=[{"name": "申请表", "original_count": 1}, {"name": "申请 表", "original_count": 1}]
        ),
        clean=_two_situations_same_name,
        label="general",
    ),
    Case("material.duplicate_name", "blocking", _with_situation_duplicate, label="situation"),
    # 送达
    Case("delivery.post_method", "warning", lambda: make_guide(delivery_methods=["electronic"])),
    Case(
        "delivery.post_flag",
        "warning",
        lambda: make_guide(supports_delivery=False),
        clean=lambda: make_guide(supports_delivery=False, delivery_methods=["window", "electronic"]),
    ),
    # 办理流程与办理项
    Case(
        "step.name", "blocking", lambda: make_guide(steps=[{"name": "", "role": "审查人员", "time_limit": 1}])
    ),
    Case("step.role", "blocking", lambda: make_guide(steps=[{"name": "审查", "role": "", "time_limit": 1}])),
    Case(
        "step.name_unique",
        "warning",
        lambda: make_guide(
            steps=[
                {"name": "审查", "role": "初审人员", "time_limit": 1},
                {"name": "审查", "role": "复审人员", "time_limit": 1},
            ]
        ),
    ),
    Case(
        "variant.code_suffix",
        "blocking",
        lambda: make_guide(variants=[{"code_suffix": "1", "name": "新办"}]),
        label="format",
    ),
    Case(
        "variant.code_suffix",
        "blocking",
        lambda: make_guide(
            variants=[{"code_suffix": "01", "name": "新办"}, {"code_suffix": "01", "name": "变更"}]
        ),
        clean=lambda: make_guide(
            variants=[{"code_suffix": "01", "name": "新办"}, {"code_suffix": "02", "name": "变更"}]
        ),
        label="duplicate",
    ),
]


def _reloaded(guide: GuideVersion) -> GuideVersion:
    return GuideVersion.objects.get(pk=guide.pk)


def test_every_rule_has_a_case() -> None:
    assert {case.rule for case in CASES} == set(RULES)
    assert all(CHINESE.search(str(description)) for description in RULES.values())


def test_the_factory_guide_is_clean() -> None:
    report = check_guide(_reloaded(make_guide()))
    assert report.findings == []
    assert report.score == 100
    assert report.blocking == []


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_rule_fires(case: Case) -> None:
    report = check_guide(_reloaded(case.trigger()))
    hits = [f for f in report.findings if f.rule == case.rule]
    assert hits, f"{case.rule} did not fire; got {[f.rule for f in report.findings]}"
    for finding in hits:
        assert finding.severity == case.severity
        assert CHINESE.search(finding.message)
        assert finding.field


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_rule_stays_quiet(case: Case) -> None:
    guide = case.clean() if case.clean else make_guide()
    report = check_guide(_reloaded(guide))
    assert case.rule not in {f.rule for f in report.findings}


def test_messages_name_the_offending_values() -> None:
    guide = make_guide(promised_limit=25, legal_limit=20, supervision_phone="8888")
    messages = {f.rule: f.message for f in check_guide(_reloaded(guide)).findings}
    assert "25个工作日" in messages["limit.promised_exceeds_legal"]
    assert "20个工作日" in messages["limit.promised_exceeds_legal"]
    assert "8888" in messages["phone.supervision_format"]


def test_score_is_100_minus_15_per_blocking_and_4_per_warning() -> None:
    # Two blocking (place, legal basis) and two warnings (hours, online payment).
    guide = make_guide(place="", legal_basis="", hours="全天", supports_online_payment=False)
    report = check_guide(_reloaded(guide))
    assert [f.rule for f in report.findings] == [
        "completeness.legal_basis",
        "completeness.place",
        "fee.online_payment",
        "hours.workdays",
    ]
    assert len(report.blocking) == 2
    assert len(report.warnings) == 2
    assert report.score == 100 - 2 * 15 - 2 * 4


def test_score_never_drops_below_zero() -> None:
    guide = make_guide(
        name="",
        legal_basis="",
        acceptance_conditions="",
        place="",
        hours="",
        consultation_phone="",
        supervision_phone="",
        service_objects=[],
        handling_forms=[],
        steps=[],
        materials=[],
        faqs=[],
    )
    report = check_guide(_reloaded(guide))
    assert len(report.blocking) > 7
    assert report.score == 0


def test_findings_store_as_json_on_the_guide() -> None:
    guide = make_guide(place="", hours="全天")
    report = check_guide(_reloaded(guide))
    stored = report.as_json()
    assert stored[0] == {
        "rule": "completeness.place",
        "severity": "blocking",
        "field": "place",
        "message": stored[0]["message"],
    }
    GuideVersion.objects.filter(pk=guide.pk).update(
        quality_findings=stored, quality_score=report.score, blocking_findings=len(report.blocking)
    )
    assert _reloaded(guide).quality_findings == json.loads(json.dumps(stored, ensure_ascii=False))


def test_prefetched_guide_is_checked_without_queries(django_assert_num_queries) -> None:
    make_guide()
    guide = GuideVersion.objects.prefetch_related(
        "materials", "steps", "fees", "special_procedures", "faqs", "themes", "variants", "situations"
    ).get()
    with django_assert_num_queries(0):
        report = check_guide(guide)
    assert report.score == 100


def test_guide_without_prefetch_takes_one_query_per_part(django_assert_num_queries) -> None:
    guide = _reloaded(make_guide())
    with django_assert_num_queries(8):
        check_guide(guide)


def test_unsaved_guide_reports_missing_parts_without_touching_the_database(django_assert_num_queries) -> None:
    guide = GuideVersion(name="草稿事项", item_type=codes.ItemType.LICENSING)
    with django_assert_num_queries(0):
        report = check_guide(guide)
    assert {"completeness.steps", "completeness.materials", "licensing.faq"} <= {
        f.rule for f in report.findings
    }


def test_report_is_a_plain_value() -> None:
    report = QualityReport.from_findings([])
    assert report == QualityReport(findings=[], score=100)
