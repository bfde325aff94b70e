"""Deliberately flawed draft guides, one flaw each, for the quality checker to catch (domain.md §2.3).

Each draft is a correct guide of a real item with exactly one defect injected; `expected_findings` names
the blocking rule of catalog.quality (its `RULES` ids) that the defect must trip.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The flaws, by the quality rule each one trips (ids as in yiwang.catalog.quality.RULES).
FLAW_RULES = {
    "limit.immediate_case_type": "承诺办结时限为即办（0个工作日），办件类型却是承诺件。",
    "result.type_for_name": "结果名称为“…许可证”，却没有选择审批结果类型。",
    "visits.onsite_reason": "要求到现场1次，却没有说明必须现场办理的原因。",
    "fee.basis": "收费事项没有填写收费依据。",
    "phone.distinct": "咨询电话与监督投诉电话相同。",
    "licensing.faq": "行政许可事项没有常见问题。",
    "licensing.step_sum": "行政许可事项各环节时限之和超过承诺办结时限。",
    "online.full_depth_visits": "全程网办（Ⅳ级）事项仍要求到现场1次。",
}


def _case_type_promised(guide: dict[str, Any]) -> None:
    guide["case_type"] = "2"  # promised limit stays 0 (即办)


def _no_result_type(guide: dict[str, Any]) -> None:
    guide["result_type"] = ""


def _no_onsite_reason(guide: dict[str, Any]) -> None:
    guide["onsite_reason"] = ""


def _fee_without_basis(guide: dict[str, Any]) -> None:
    guide["fee_basis"] = ""


def _same_phones(guide: dict[str, Any]) -> None:
    guide["supervision_phone"] = guide["consultation_phone"]


def _no_faq(guide: dict[str, Any]) -> None:
    guide["faqs"] = []


def _slow_steps(guide: dict[str, Any]) -> None:
    guide["steps"][1]["time_limit"] += 4


def _online_with_visit(guide: dict[str, Any]) -> None:
    guide["visits"] = 1
    guide["onsite_reason"] = "需现场领取卡片"


@dataclass(frozen=True)
class Draft:
    basic_code: str
    org_key: str
    rule: str
    inject: Callable[[dict[str, Any]], None]


DRAFTS: tuple[Draft, ...] = (
    Draft("000101004000", "lc_ga", "limit.immediate_case_type", _case_type_promised),
    Draft("000501008000", "wz_scjg", "result.type_for_name", _no_result_type),
    Draft("000101009000", "lc_ga", "visits.onsite_reason", _no_onsite_reason),
    Draft("000102001003", "wz_ga", "fee.basis", _fee_without_basis),
    Draft("000201004000", "yh_mzj", "phone.distinct", _same_phones),
    Draft("000801006000", "nb_wjw", "licensing.faq", _no_faq),
    Draft("000501007000", "wz_scjg", "licensing.step_sum", _slow_steps),
    Draft("000301006000", "yw_rsj", "online.full_depth_visits", _online_with_visit),
)
