"""The guide quality checker: completeness and consistency of a 办事指南 before it is published.

`check_guide(guide)` reads one GuideVersion and its parts (materials, steps, fees, special procedures,
FAQ, themes, variants, situations) and returns a `QualityReport`. The rules are the consistency checks of
domain.md §2.3 (Wenzhou practice, used as good defaults) plus the required elements of GB/T 39046 表4.
Every rule has a stable id listed in `RULES` (id → Chinese description), so screens can list them and
stored findings stay comparable across versions.

Severity: a *blocking* finding stops publication; a *warning* is shown to the editor but does not.

Score (stored in GuideVersion.quality_score)::

    score = max(0, 100 − 15 × blocking findings − 4 × warnings)

so a guide with no findings scores 100, and seven blocking findings reach 0 whatever else is right.

Queries: one per related list (at most eight); none if the caller prefetched them with
`prefetch_related("materials", "steps", "fees", "special_procedures", "faqs", "themes", "variants",
"situations")`. The checker never writes.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.catalog import codes
from yiwang.catalog.models import (
    Faq,
    Fee,
    GuideVersion,
    Material,
    Situation,
    SpecialProcedure,
    Step,
    Theme,
    Variant,
)
from yiwang.core.validators import validate_phone

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Severity = Literal["blocking", "warning"]
BLOCKING: Severity = "blocking"
WARNING: Severity = "warning"

BLOCKING_PENALTY = 15
WARNING_PENALTY = 4

RULES: Mapping[str, StrOrPromise] = {
    # 必备要素
    "completeness.name": gettext_lazy("必须填写事项名称。"),
    "completeness.item_type": gettext_lazy("必须选择有效的事项类型。"),
    "completeness.legal_basis": gettext_lazy("必须填写设定依据。"),
    "completeness.exercise_level": gettext_lazy("必须选择有效的行使层级。"),
    "completeness.acceptance_conditions": gettext_lazy("必须填写受理条件。"),
    "completeness.promised_limit": gettext_lazy("必须填写承诺办结时限（即办件填0）。"),
    "completeness.legal_limit": gettext_lazy("行政许可事项必须填写法定办结时限。"),
    "completeness.place": gettext_lazy("必须填写办理地点。"),
    "completeness.hours": gettext_lazy("必须填写办理时间。"),
    "completeness.consultation_phone": gettext_lazy("必须填写咨询电话。"),
    "completeness.supervision_phone": gettext_lazy("必须填写监督投诉电话。"),
    "completeness.service_objects": gettext_lazy("必须至少选择一个服务对象。"),
    "completeness.handling_forms": gettext_lazy("必须至少选择一种办理形式。"),
    "completeness.steps": gettext_lazy("必须至少填写一个办理环节。"),
    "completeness.materials": gettext_lazy("依申请事项必须至少列出一项申请材料。"),
    "codes.service_objects": gettext_lazy("服务对象必须使用 GB/T 39046 表A.4 的代码。"),
    "codes.handling_forms": gettext_lazy("办理形式必须使用 GB/T 39046 表A.5 的代码。"),
    # 时限与办件类型
    "limit.immediate_case_type": gettext_lazy("承诺时限为即办时办件类型应为即办件，否则不得为即办件。"),
    "limit.promised_case_type": gettext_lazy("承诺时限不是即办时，办件类型宜为承诺件。"),
    "limit.immediate_unit_value": gettext_lazy("承诺时限单位为即办时，时限数值应为0。"),
    "limit.promised_exceeds_legal": gettext_lazy("承诺办结时限不得超过法定办结时限。"),
    "limit.step_sum": gettext_lazy("各环节时限之和不宜超过承诺办结时限。"),
    "licensing.step_sum": gettext_lazy("行政许可事项各环节时限之和不得超过承诺办结时限（工作日）。"),
    "licensing.faq": gettext_lazy("行政许可事项必须至少有一条常见问题。"),
    # 办理结果
    "result.type_for_name": gettext_lazy("填写了结果名称时必须选择审批结果类型。"),
    "result.type_matches_name": gettext_lazy(
        "审批结果类型应与结果名称一致：批复/批文为审批办结，证/证书为出证办结，文为出文办结。"
    ),
    "result.name_for_type": gettext_lazy("选择了审批结果类型时应填写结果名称。"),
    "result.sample": gettext_lazy("有办理结果时应上传结果样本。"),
    # 到现场次数与网办
    "visits.onsite_reason": gettext_lazy("到办事现场次数大于0时必须说明必须现场办理的原因。"),
    "visits.post_form": gettext_lazy("零跑动且不网办的事项，办理形式必须包含快递申请。"),
    "online.full_depth_visits": gettext_lazy("全程网办（Ⅳ级）事项的到办事现场次数必须为0。"),
    "online.depth_requires_online": gettext_lazy("网上办理深度为Ⅲ级及以上时必须标记为网办。"),
    "online.url": gettext_lazy("网办事项应填写网办地址。"),
    "online.forms": gettext_lazy("网办事项的办理形式应包含电脑端或移动端网上办理。"),
    # 收费
    "fee.basis": gettext_lazy("收费事项必须填写收费依据。"),
    "fee.items": gettext_lazy("收费事项必须至少列出一个收费项目。"),
    "fee.item_complete": gettext_lazy("每个收费项目必须填写收费标准和收费依据。"),
    "fee.online_payment": gettext_lazy("收费事项宜支持网上支付。"),
    "fee.payment_without_fee": gettext_lazy("不收费的事项不得标注支持网上支付。"),
    "fee.rows_without_charge": gettext_lazy("列有收费项目时应标注为收费事项。"),
    # 联系方式、时间、地点
    "phone.consultation_format": gettext_lazy("咨询电话必须是带区号的固定电话、手机号或政务服务热线。"),
    "phone.supervision_format": gettext_lazy("监督投诉电话必须是带区号的固定电话、手机号或政务服务热线。"),
    "phone.distinct": gettext_lazy("咨询电话与监督投诉电话不得相同。"),
    "hours.workdays": gettext_lazy("办理时间应写明工作日或具体星期。"),
    "place.precise": gettext_lazy("办理地点应具体到楼层、房间或窗口。"),
    # 服务对象与主题
    "objects.person_theme": gettext_lazy("选择了个人服务主题时，服务对象应包含自然人。"),
    "objects.enterprise_theme": gettext_lazy("选择了法人服务主题时，服务对象应包含法人或其他组织。"),
    # 特别程序
    "special.time_limit": gettext_lazy("特别程序应填写所需时限。"),
    "special.legal_basis": gettext_lazy("特别程序应填写法定依据。"),
    # 申请材料
    "material.name": gettext_lazy("每项申请材料必须有名称。"),
    "material.counts": gettext_lazy("纸质材料应写明原件或复印件份数（电子材料或免提交材料除外）。"),
    "material.deferrable_case_type": gettext_lazy("只有承诺件才能设置容缺材料。"),
    "material.obtainable_source": gettext_lazy("可共享获取或调用电子证照的材料应写明数据或证照来源。"),
    "material.duplicate_name": gettext_lazy("同一办理情形下的申请材料名称不得重复。"),
    # 送达
    "delivery.post_method": gettext_lazy("支持物流快递时，结果送达方式应包含邮寄送达。"),
    "delivery.post_flag": gettext_lazy("结果送达方式包含邮寄送达时，应标注支持物流快递。"),
    # 办理流程与办理项
    "step.name": gettext_lazy("每个办理环节必须有名称。"),
    "step.role": gettext_lazy("每个办理环节必须写明办理人员（岗位）。"),
    "step.name_unique": gettext_lazy("办理环节名称不宜重复。"),
    "variant.code_suffix": gettext_lazy("业务办理项序号必须是两位数字且不重复。"),
}


@dataclass(frozen=True)
class Finding:
    """One problem found in a guide: which rule, how serious, which field, and how to fix it."""

    rule: str
    severity: Severity
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "severity": self.severity, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class QualityReport:
    findings: list[Finding]
    score: int

    @classmethod
    def from_findings(cls, findings: Iterable[Finding]) -> QualityReport:
        ordered = sorted(findings, key=lambda f: f.severity != BLOCKING)  # stable: blocking first
        blocking = sum(1 for f in ordered if f.severity == BLOCKING)
        warnings = len(ordered) - blocking
        score = max(0, 100 - BLOCKING_PENALTY * blocking - WARNING_PENALTY * warnings)
        return cls(findings=ordered, score=score)

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == BLOCKING]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    def as_json(self) -> list[dict[str, str]]:
        """The findings as plain dicts, for GuideVersion.quality_findings."""
        return [f.as_dict() for f in self.findings]


@dataclass(frozen=True)
class _Parts:
    """The guide's related rows, read once (or taken from the caller's prefetch)."""

    materials: list[Material]
    steps: list[Step]
    fees: list[Fee]
    special_procedures: list[SpecialProcedure]
    faqs: list[Faq]
    themes: list[Theme]
    variants: list[Variant]
    situations: list[Situation]

    @classmethod
    def of(cls, guide: GuideVersion) -> _Parts:
        if guide.pk is None:  # an unsaved guide has no rows yet
            return cls([], [], [], [], [], [], [], [])
        return cls(
            materials=list(guide.materials.all()),
            steps=list(guide.steps.all()),
            fees=list(guide.fees.all()),
            special_procedures=list(guide.special_procedures.all()),
            faqs=list(guide.faqs.all()),
            themes=list(guide.themes.all()),
            variants=list(guide.variants.all()),
            situations=list(guide.situations.all()),
        )


def _finding(rule: str, severity: Severity, field: str, message: str) -> Finding:
    assert rule in RULES, f"unregistered quality rule {rule}"
    return Finding(rule=rule, severity=severity, field=field, message=message)


def _blocking(rule: str, field: str, message: str) -> Finding:
    return _finding(rule, BLOCKING, field, message)


def _warning(rule: str, field: str, message: str) -> Finding:
    return _finding(rule, WARNING, field, message)


def _blank(value: str | None) -> bool:
    return not (value or "").strip()


def _code_list(value: Any) -> list[str]:
    """service_objects / handling_forms / delivery_methods are JSON lists; tolerate ints and junk."""
    if not isinstance(value, list):
        return []
    return [str(v) for v in value]


def _normalised_name(name: str) -> str:
    """Compare names as people read them: full-width and half-width alike, spaces ignored."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name or ""))


def _is_immediate(guide: GuideVersion) -> bool:
    return guide.promised_limit_unit == codes.TimeUnit.IMMEDIATE or guide.promised_limit == 0


def format_duration(value: int | None, unit: str) -> str:
    """A time limit as people write it: 20个工作日, 3个月, 即办."""
    if unit == codes.TimeUnit.IMMEDIATE:
        return _("即办")
    templates: dict[str, str] = {
        codes.TimeUnit.WORKING_DAY: _("%(n)s个工作日"),
        codes.TimeUnit.CALENDAR_DAY: _("%(n)s个自然日"),
        codes.TimeUnit.MONTH: _("%(n)s个月"),
        codes.TimeUnit.YEAR: _("%(n)s年"),
    }
    return templates.get(unit, "%(n)s" + unit) % {"n": value}


# --- 必备要素 ------------------------------------------------------------------------------------------

_REQUIRED_TEXT: tuple[tuple[str, str], ...] = (
    ("name", "completeness.name"),
    ("legal_basis", "completeness.legal_basis"),
    ("acceptance_conditions", "completeness.acceptance_conditions"),
    ("place", "completeness.place"),
    ("hours", "completeness.hours"),
    ("consultation_phone", "completeness.consultation_phone"),
    ("supervision_phone", "completeness.supervision_phone"),
)


def _check_completeness(guide: GuideVersion, parts: _Parts) -> Iterator[Finding]:
    for field_name, rule in _REQUIRED_TEXT:
        if _blank(getattr(guide, field_name)):
            label = str(getattr(GuideVersion._meta.get_field(field_name), "verbose_name", field_name))
            yield _blocking(rule, field_name, _("“%(label)s”未填写，请补充后再提交。") % {"label": label})
    if guide.item_type not in codes.ItemType.values:
        yield _blocking(
            "completeness.item_type",
            "item_type",
            _("事项类型未选择或代码无效，请按 GB/T 39046 表A.1 选择（如 01 行政许可）。"),
        )
    if guide.exercise_level not in codes.ExerciseLevel.values:
        yield _blocking(
            "completeness.exercise_level",
            "exercise_level",
            _("行使层级未选择或代码无效，请按 GB/T 39046 表A.2 选择（如 3 市级）。"),
        )
    if guide.promised_limit is None:
        yield _blocking(
            "completeness.promised_limit",
            "promised_limit",
            _("承诺办结时限未填写：请填写工作日数，即办件填0。"),
        )
    if guide.item_type == codes.ItemType.LICENSING and guide.legal_limit is None:
        yield _blocking(
            "completeness.legal_limit",
            "legal_limit",
            _("行政许可事项须填写法定办结时限（《行政许可法》第四十二条一般为20个工作日）。"),
        )

    objects = _code_list(guide.service_objects)
    if not objects:
        yield _blocking(
            "completeness.service_objects",
            "service_objects",
            _("服务对象未选择，请至少选择一类（如自然人、企业法人）。"),
        )
    unknown_objects = sorted(set(objects) - set(codes.ServiceObject.values))
    if unknown_objects:
        yield _blocking(
            "codes.service_objects",
            "service_objects",
            _("服务对象含无效代码：%(codes)s，请按 GB/T 39046 表A.4 重新选择。")
            % {"codes": "、".join(unknown_objects)},
        )
    forms = _code_list(guide.handling_forms)
    if not forms:
        yield _blocking(
            "completeness.handling_forms",
            "handling_forms",
            _("办理形式未选择，请至少选择一种（如窗口办理）。"),
        )
    unknown_forms = sorted(set(forms) - set(codes.HandlingForm.values))
    if unknown_forms:
        yield _blocking(
            "codes.handling_forms",
            "handling_forms",
            _("办理形式含无效代码：%(codes)s，请按 GB/T 39046 表A.5 重新选择。")
            % {"codes": "、".join(unknown_forms)},
        )

    if not parts.steps:
        yield _blocking(
            "completeness.steps", "steps", _("办理流程为空，请至少填写一个办理环节（如受理、审查、决定）。")
        )
    if guide.item_type in codes.ON_APPLICATION_TYPES and not parts.materials:
        yield _blocking(
            "completeness.materials",
            "materials",
            _("依申请事项须列出申请材料；确实无需材料的，请列出申请表并说明。"),
        )


# --- 时限与办件类型 --------------------------------------------------------------------------------------


def _check_limits(guide: GuideVersion, parts: _Parts) -> Iterator[Finding]:
    unit = guide.promised_limit_unit
    if guide.promised_limit is not None or unit == codes.TimeUnit.IMMEDIATE:
        immediate = _is_immediate(guide)
        if immediate and guide.case_type != codes.CaseType.IMMEDIATE:
            yield _blocking(
                "limit.immediate_case_type",
                "case_type",
                _("承诺办结时限为即办，办件类型应选“即办件”；如需审查后办结，请填写承诺工作日数。"),
            )
        elif not immediate and guide.case_type == codes.CaseType.IMMEDIATE:
            yield _blocking(
                "limit.immediate_case_type",
                "case_type",
                _(
                    "办件类型为即办件，但承诺办结时限为%(limit)s：请把承诺时限改为0（即办），或把办件类型改为“承诺件”。"
                )
                % {"limit": format_duration(guide.promised_limit, unit)},
            )
        elif not immediate and guide.case_type == codes.CaseType.OTHER:
            yield _warning(
                "limit.promised_case_type",
                "case_type",
                _("承诺办结时限为%(limit)s，办件类型一般应为“承诺件”，请核对。")
                % {"limit": format_duration(guide.promised_limit, unit)},
            )
    if unit == codes.TimeUnit.IMMEDIATE and guide.promised_limit not in (None, 0):
        yield _warning(
            "limit.immediate_unit_value",
            "promised_limit",
            _("承诺时限单位为“即办”，时限数值应填0（现为%(value)d）。") % {"value": guide.promised_limit},
        )

    if (
        guide.promised_limit is not None
        and guide.legal_limit is not None
        and unit == guide.legal_limit_unit
        and unit != codes.TimeUnit.IMMEDIATE
        and guide.promised_limit > guide.legal_limit
    ):
        yield _blocking(
            "limit.promised_exceeds_legal",
            "promised_limit",
            _("承诺办结时限（%(promised)s）超过了法定办结时限（%(legal)s），请缩短承诺时限。")
            % {
                "promised": format_duration(guide.promised_limit, unit),
                "legal": format_duration(guide.legal_limit, guide.legal_limit_unit),
            },
        )

    # Step limits are in working days, so they compare only with a promise in working days (or 即办 = 0).
    if (
        parts.steps
        and guide.promised_limit is not None
        and unit in (codes.TimeUnit.WORKING_DAY, codes.TimeUnit.IMMEDIATE)
    ):
        promised = 0 if unit == codes.TimeUnit.IMMEDIATE else guide.promised_limit
        total = sum(step.time_limit for step in parts.steps)
        if total > promised:
            licensing = guide.item_type == codes.ItemType.LICENSING
            message = _(
                "各办理环节时限合计%(total)d个工作日，超过承诺办结时限%(promised)d个工作日，请调整环节时限或承诺时限。"
            ) % {"total": total, "promised": promised}
            if licensing:
                yield _blocking("licensing.step_sum", "steps", message)
            else:
                yield _warning("limit.step_sum", "steps", message)

    if guide.item_type == codes.ItemType.LICENSING and not parts.faqs:
        yield _blocking(
            "licensing.faq", "faqs", _("行政许可事项须至少提供一条常见问题及解答，请补充申请人最常问的问题。")
        )


# --- 办理结果 ------------------------------------------------------------------------------------------

_TRAILING_NOTE = re.compile(r"[（(][^（）()]*[）)]\s*$")


def _expected_result_type(result_name: str) -> str | None:
    """The result type a result name implies (domain.md §2.3), or None when the name says nothing."""
    name = _TRAILING_NOTE.sub("", result_name.strip()).strip()
    if name.endswith(("批复", "批文")):
        return codes.ResultType.APPROVAL
    if name.endswith(("证书", "证")) and not name.endswith(("凭证", "证明")):
        return codes.ResultType.LICENCE
    if name.endswith("文"):
        return codes.ResultType.DOCUMENT
    return None


def _check_result(guide: GuideVersion) -> Iterator[Finding]:
    named = not _blank(guide.result_name)
    typed = guide.result_type not in ("", codes.ResultType.NONE)
    if named and not typed:
        yield _blocking(
            "result.type_for_name",
            "result_type",
            _("已填写结果名称“%(name)s”，请选择审批结果类型（出证、批复、出文或其他）。")
            % {"name": guide.result_name},
        )
    if named and typed:
        expected = _expected_result_type(guide.result_name)
        if expected is not None and guide.result_type != expected:
            yield _blocking(
                "result.type_matches_name",
                "result_type",
                _("结果名称“%(name)s”对应的审批结果类型应为“%(expected)s”，当前为“%(actual)s”，请更正。")
                % {
                    "name": guide.result_name,
                    "expected": codes.ResultType(expected).label,
                    "actual": codes.ResultType(guide.result_type).label
                    if guide.result_type in codes.ResultType.values
                    else guide.result_type,
                },
            )
    if typed and not named:
        yield _warning(
            "result.name_for_type", "result_name", _("已选择审批结果类型，请填写结果名称（如某某许可证）。")
        )
    if named and not guide.result_sample:
        yield _warning(
            "result.sample",
            "result_sample",
            _("请上传“%(name)s”的结果样本，方便申请人了解办理结果。") % {"name": guide.result_name},
        )


# --- 到现场次数与网办 --------------------------------------------------------------------------------------


def _check_visits_and_online(guide: GuideVersion) -> Iterator[Finding]:
    forms = set(_code_list(guide.handling_forms))
    if guide.visits > 0 and _blank(guide.onsite_reason):
        yield _blocking(
            "visits.onsite_reason",
            "onsite_reason",
            _("到办事现场次数为%(n)d次，请说明必须到现场办理的原因（如需核验原件、现场勘查）。")
            % {"n": guide.visits},
        )
    if guide.visits == 0 and not guide.is_online and codes.HandlingForm.POST not in forms:
        yield _blocking(
            "visits.post_form",
            "handling_forms",
            _("到办事现场次数为0且不网办，申请人只能邮寄办理：请在办理形式中选择“快递申请”，或标记为网办。"),
        )
    if guide.online_depth == codes.OnlineDepth.FULLY_ONLINE and guide.visits > 0:
        yield _blocking(
            "online.full_depth_visits",
            "visits",
            _(
                "全程网办（Ⅳ级）事项无需到现场，到办事现场次数应为0（现为%(n)d次）；如需到现场，请降低网上办理深度。"
            )
            % {"n": guide.visits},
        )
    if guide.online_depth >= codes.OnlineDepth.ONLINE_ACCEPTANCE and not guide.is_online:
        yield _blocking(
            "online.depth_requires_online",
            "is_online",
            _("网上办理深度为“%(depth)s”，但未标记为网办：请勾选“是否网办”，或降低网上办理深度。")
            % {"depth": dict(codes.OnlineDepth.choices).get(guide.online_depth, guide.online_depth)},
        )
    if guide.is_online and _blank(guide.online_url):
        yield _warning(
            "online.url", "online_url", _("已标记为网办，请填写网办地址，方便申请人直接进入办理。")
        )
    if guide.is_online and not forms & {codes.HandlingForm.PC_ONLINE, codes.HandlingForm.MOBILE_ONLINE}:
        yield _warning(
            "online.forms",
            "handling_forms",
            _("已标记为网办，办理形式应包含“电脑端网上办理”或“移动端网上申请”。"),
        )


# --- 收费 ----------------------------------------------------------------------------------------------


def _check_fees(guide: GuideVersion, parts: _Parts) -> Iterator[Finding]:
    if guide.charges_fee:
        if _blank(guide.fee_basis):
            yield _blocking("fee.basis", "fee_basis", _("本事项收费，请填写收费依据（文件名称及文号）。"))
        if not parts.fees:
            yield _blocking("fee.items", "fees", _("本事项收费，请至少列出一个收费项目及其收费标准和依据。"))
        if not guide.supports_online_payment:
            yield _warning(
                "fee.online_payment",
                "supports_online_payment",
                _("本事项收费，建议接入统一支付并勾选“是否支持网上支付”，方便申请人在线缴费。"),
            )
    else:
        if guide.supports_online_payment:
            yield _blocking(
                "fee.payment_without_fee",
                "supports_online_payment",
                _("本事项不收费，却标注了支持网上支付：请取消“是否支持网上支付”，或改为收费事项。"),
            )
        if parts.fees:
            yield _warning(
                "fee.rows_without_charge",
                "charges_fee",
                _("列有%(n)d个收费项目，但未标注为收费事项：请勾选“是否收费”，或删除收费项目。")
                % {"n": len(parts.fees)},
            )
    for index, fee in enumerate(parts.fees, start=1):
        missing = [
            label
            for label, value in ((_("收费标准"), fee.standard), (_("收费依据"), fee.basis))
            if _blank(value)
        ]
        if missing:
            yield _blocking(
                "fee.item_complete",
                "fees",
                _("第%(n)d个收费项目“%(name)s”缺少%(missing)s，请补充。")
                % {"n": index, "name": fee.name, "missing": "和".join(missing)},
            )


# --- 联系方式、时间、地点 ---------------------------------------------------------------------------------

_PHONE_SEPARATORS = re.compile(r"[、,，;；/|]|或|及")
_WORKDAY_WORDS = re.compile(r"工作日|[周星期礼拜][一二三四五六日天]|weekday|monday", re.IGNORECASE)
_PRECISE_PLACE_WORDS = re.compile(r"窗口|室|号|楼|层|厅|柜台|服务台|专区")


def _phone_numbers(value: str) -> tuple[list[str], list[str]]:
    """Split a phone field ("0571-87654321、12345") into normalised valid numbers and invalid parts."""
    valid: list[str] = []
    invalid: list[str] = []
    for part in _PHONE_SEPARATORS.split(value or ""):
        part = part.strip()
        if not part:
            continue
        try:
            valid.append(validate_phone(part).replace("-", ""))
        except ValidationError:
            invalid.append(part)
    return valid, invalid


def _check_contact(guide: GuideVersion) -> Iterator[Finding]:
    consultation, bad_consultation = _phone_numbers(guide.consultation_phone)
    supervision, bad_supervision = _phone_numbers(guide.supervision_phone)
    for field_name, rule, label, bad in (
        ("consultation_phone", "phone.consultation_format", _("咨询电话"), bad_consultation),
        ("supervision_phone", "phone.supervision_format", _("监督投诉电话"), bad_supervision),
    ):
        if bad:
            yield _blocking(
                rule,
                field_name,
                _(
                    "%(label)s“%(bad)s”格式不正确：请填写带区号的固定电话（如 0571-87654321）、11位手机号或政务服务热线（如 12345）。"
                )
                % {"label": label, "bad": "、".join(bad)},
            )
    if consultation and set(consultation) == set(supervision):
        yield _blocking(
            "phone.distinct",
            "supervision_phone",
            _("监督投诉电话与咨询电话相同，请填写独立的监督投诉电话（如本级政务服务热线或纪检监察电话）。"),
        )
    if not _blank(guide.hours) and not _WORKDAY_WORDS.search(guide.hours):
        yield _warning(
            "hours.workdays",
            "hours",
            _("办理时间未写明哪些日子办理，请注明“工作日”或“周一至周五”及具体时段。"),
        )
    if not _blank(guide.place) and not _PRECISE_PLACE_WORDS.search(guide.place):
        yield _warning(
            "place.precise",
            "place",
            _("办理地点不够具体，请写明楼层、房间号或窗口号（如：市民中心2楼B区12号窗口）。"),
        )


# --- 服务对象与主题 ---------------------------------------------------------------------------------------


def _check_objects_and_themes(guide: GuideVersion, parts: _Parts) -> Iterator[Finding]:
    objects = set(_code_list(guide.service_objects))
    person_themes = [t.name for t in parts.themes if t.audience == codes.Audience.PERSON]
    enterprise_themes = [t.name for t in parts.themes if t.audience == codes.Audience.ENTERPRISE]
    if person_themes and codes.ServiceObject.PERSON not in objects:
        yield _warning(
            "objects.person_theme",
            "service_objects",
            _("选择了个人服务主题“%(themes)s”，但服务对象不含自然人：请增加自然人，或移除该主题。")
            % {"themes": "、".join(person_themes)},
        )
    if enterprise_themes and not objects & codes.LEGAL_PERSON_OBJECTS:
        yield _warning(
            "objects.enterprise_theme",
            "service_objects",
            _(
                "选择了法人服务主题“%(themes)s”，但服务对象不含企业法人、事业法人、社会组织法人或其他组织：请补充，或移除该主题。"
            )
            % {"themes": "、".join(enterprise_themes)},
        )


# --- 特别程序 ------------------------------------------------------------------------------------------


def _check_special_procedures(parts: _Parts) -> Iterator[Finding]:
    for procedure in parts.special_procedures:
        if not procedure.time_limit:
            yield _warning(
                "special.time_limit",
                "special_procedures",
                _("特别程序“%(name)s”未填写所需时限，请填写（如：专家评审 20个工作日）。")
                % {"name": procedure.name},
            )
        if _blank(procedure.legal_basis):
            yield _warning(
                "special.legal_basis",
                "special_procedures",
                _("特别程序“%(name)s”未填写法定依据，请写明法规名称和条款。") % {"name": procedure.name},
            )


# --- 申请材料 ------------------------------------------------------------------------------------------


def _check_materials(guide: GuideVersion, parts: _Parts) -> Iterator[Finding]:
    for index, material in enumerate(parts.materials, start=1):
        label = material.name.strip() or _("第%(n)d项材料") % {"n": index}
        if _blank(material.name):
            yield _warning(
                "material.name", "materials", _("第%(n)d项申请材料没有名称，请填写。") % {"n": index}
            )
        if (
            material.original_count + material.copy_count < 1
            and material.form != codes.MaterialForm.ELECTRONIC
            and not material.obtainable_by
        ):
            yield _warning(
                "material.counts",
                "materials",
                _("材料“%(name)s”未写明原件或复印件份数，请填写（仅需电子材料的，请把材料形式改为“电子”）。")
                % {"name": label},
            )
        if (
            material.necessity == codes.MaterialNecessity.DEFERRABLE
            and guide.case_type != codes.CaseType.PROMISED
        ):
            yield _warning(
                "material.deferrable_case_type",
                "materials",
                _(
                    "材料“%(name)s”设为容缺（可后补），但本事项不是承诺件：请改为必要材料，或把办件类型改为“承诺件”。"
                )
                % {"name": label},
            )
        if material.obtainable_by in (
            codes.MaterialObtainable.SHARING,
            codes.MaterialObtainable.LICENCE,
        ) and _blank(material.obtainable_source):
            yield _warning(
                "material.obtainable_source",
                "materials",
                _("材料“%(name)s”标为免提交，请写明从哪里获取（如：公安部人口库、营业执照电子证照）。")
                % {"name": label},
            )
    yield from _duplicate_materials(parts)


def _duplicate_materials(parts: _Parts) -> Iterator[Finding]:
    """A material without a situation applies to every situation, so it collides with each one's list."""
    general = [m for m in parts.materials if m.situation_id is None and not _blank(m.name)]
    general_duplicates = {
        name for name, n in Counter(_normalised_name(m.name) for m in general).items() if n > 1
    }
    for name in sorted(general_duplicates):
        yield _blocking(
            "material.duplicate_name",
            "materials",
            _("申请材料“%(name)s”重复列出，请合并为一项。") % {"name": name},
        )
    situation_names = {s.pk: s.name for s in parts.situations}
    by_situation: dict[int, list[Material]] = {}
    for material in parts.materials:
        if material.situation_id is not None and not _blank(material.name):
            by_situation.setdefault(material.situation_id, []).append(material)
    for situation_id, specific in sorted(by_situation.items()):
        counts = Counter(_normalised_name(m.name) for m in general + specific)
        for name in sorted(n for n, c in counts.items() if c > 1 and n not in general_duplicates):
            yield _blocking(
                "material.duplicate_name",
                "materials",
                _("办理情形“%(situation)s”下申请材料“%(name)s”重复列出（可能与通用材料重复），请删除或合并。")
                % {"situation": situation_names.get(situation_id, situation_id), "name": name},
            )


# --- 送达 ----------------------------------------------------------------------------------------------


def _check_delivery(guide: GuideVersion) -> Iterator[Finding]:
    by_post = codes.DeliveryMethod.POST in _code_list(guide.delivery_methods)
    if guide.supports_delivery and not by_post:
        yield _warning(
            "delivery.post_method",
            "delivery_methods",
            _("已标注支持物流快递，结果送达方式应包含“邮寄送达”。"),
        )
    if by_post and not guide.supports_delivery:
        yield _warning(
            "delivery.post_flag",
            "supports_delivery",
            _("结果送达方式包含“邮寄送达”，请勾选“是否支持物流快递”。"),
        )


# --- 办理流程与办理项 -------------------------------------------------------------------------------------


def _check_steps_and_variants(parts: _Parts) -> Iterator[Finding]:
    for index, step in enumerate(parts.steps, start=1):
        if _blank(step.name):
            yield _blocking(
                "step.name",
                "steps",
                _("第%(n)d个办理环节没有名称，请填写（如受理、审查、决定）。") % {"n": index},
            )
        if _blank(step.role):
            yield _blocking(
                "step.role",
                "steps",
                _("办理环节“%(name)s”未写明办理人员（岗位），请填写（如窗口受理人员、科室负责人）。")
                % {"name": step.name or index},
            )
    step_names = Counter(_normalised_name(s.name) for s in parts.steps if not _blank(s.name))
    for name in sorted(n for n, c in step_names.items() if c > 1):
        yield _warning(
            "step.name_unique",
            "steps",
            _("办理环节“%(name)s”出现多次，请用不同名称区分各环节。") % {"name": name},
        )
    suffixes = Counter(v.code_suffix for v in parts.variants)
    for variant in parts.variants:
        if not re.fullmatch(r"\d{2}", variant.code_suffix or ""):
            yield _blocking(
                "variant.code_suffix",
                "variants",
                _("业务办理项“%(name)s”的序号“%(suffix)s”无效，应为两位数字（如 01）。")
                % {"name": variant.name, "suffix": variant.code_suffix},
            )
    for suffix in sorted(s for s, c in suffixes.items() if c > 1 and re.fullmatch(r"\d{2}", s or "")):
        yield _blocking(
            "variant.code_suffix",
            "variants",
            _("业务办理项序号“%(suffix)s”被多个办理项使用，请为每个办理项分配不同序号。")
            % {"suffix": suffix},
        )


def check_guide(guide: GuideVersion) -> QualityReport:
    """Check one guide version against every rule in RULES; pure (no writes)."""
    parts = _Parts.of(guide)
    findings: list[Finding] = [
        *_check_completeness(guide, parts),
        *_check_limits(guide, parts),
        *_check_result(guide),
        *_check_visits_and_online(guide),
        *_check_fees(guide, parts),
        *_check_contact(guide),
        *_check_objects_and_themes(guide, parts),
        *_check_special_procedures(parts),
        *_check_materials(guide, parts),
        *_check_delivery(guide),
        *_check_steps_and_variants(parts),
    ]
    return QualityReport.from_findings(findings)
