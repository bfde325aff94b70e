"""Turn an item definition and an implementing organisation into one complete 办事指南 (guide) dict.

Everything an organisation adds to an item — level, place, windows, phones, online address — is derived
here, so each item is written once and every implementation of it is consistent: steps add up to the
promised limit, 即办 ⇔ 即办件, fully online ⇔ no visits, fees ⇔ fee basis and online payment.
"""

from __future__ import annotations

import hashlib
from typing import Any

from yiwang.catalog.demo.organisations import AREA_CODES, ORG_BY_KEY, REGION_NAMES
from yiwang.catalog.demo.spec import Item, Mat, Org
from yiwang.catalog.demo.uscc import make_uscc

HOURS = "工作日（周一至周五）上午9:00—12:00，下午13:30—17:00（法定节假日除外）"
MARRIAGE_HOURS = (
    "工作日（周一至周五）上午8:30—12:00，下午13:30—17:00（法定节假日除外）；"
    "5月20日、七夕节等特殊日期逢周末的，另行公告开放时间"
)
ONLINE_BASE = "https://www.zjzwfw.gov.cn/zjservice/item/detail/index.do?impleCode="
LEVEL_NAMES = {"1": "国家级", "2": "省级", "3": "设区的市级", "4": "县级", "5": "乡镇（街道）级"}
ADMINISTRATION_TYPES = frozenset({"02", "03", "06"})  # initiated by the administration, not applied for

# (name, role, standard, result) per step; the second element of each tuple below is the main step,
# which takes whatever working days the others leave.
STEP_PATTERNS: dict[str, tuple[int, tuple[tuple[str, str, str, str], ...]]] = {
    "application": (
        1,
        (
            (
                "受理",
                "窗口受理人员",
                "申请材料齐全、符合法定形式的予以受理；不齐全的一次性告知需补正的全部内容。",
                "受理通知书或一次性告知书",
            ),
            ("审查", "业务审核人员", "{review}", "审查意见"),
            (
                "决定",
                "审批负责人",
                "对符合条件的作出准予{name}的决定；不符合条件的作出不予办理决定并说明理由。",
                "办理决定",
            ),
            ("送达", "窗口发证人员", "按申请人选择的方式送达办理结果。", "{result}"),
        ),
    ),
    "02": (
        1,
        (
            (
                "立案",
                "执法人员",
                "发现违法行为线索，符合立案条件的，报执法机构负责人批准立案。",
                "立案审批表",
            ),
            (
                "调查取证",
                "执法人员",
                "两名以上执法人员出示执法证件，全面、客观、公正地调查，收集证据。",
                "调查终结报告",
            ),
            (
                "告知",
                "执法机构负责人",
                "告知当事人拟作出的处罚内容及事实、理由、依据，以及陈述、申辩、要求听证的权利。",
                "行政处罚告知书",
            ),
            (
                "决定",
                "行政机关负责人",
                "根据情节轻重及具体情况作出行政处罚决定；情节复杂或重大违法的经集体讨论决定。",
                "行政处罚决定书",
            ),
            ("送达", "执法人员", "在宣告后当场交付当事人；当事人不在场的七日内依法送达。", "送达回证"),
        ),
    ),
    "03": (
        1,
        (
            (
                "审批",
                "行政机关负责人",
                "实施前向行政机关负责人报告并经批准；情况紧急的，在返回后24小时内补办批准手续。",
                "强制措施审批表",
            ),
            (
                "实施",
                "执法人员",
                "两名以上执法人员实施，出示执法证件，通知当事人到场，制作现场笔录。",
                "现场笔录和清单",
            ),
            ("送达决定书", "执法人员", "当场交付查封、扣押决定书和清单。", "行政强制措施决定书"),
            (
                "作出处理决定",
                "行政机关负责人",
                "在法定期限内查明事实，作出没收、销毁或者解除的处理决定。",
                "处理决定书",
            ),
        ),
    ),
    "04": (
        1,
        (
            ("申报受理", "窗口受理人员", "核对申报信息和计征依据。", "申报受理"),
            ("审核计征", "税费审核人员", "依照法定税（费）率和减免政策审核计算应缴金额。", "应缴税费核定"),
            ("缴纳入库", "窗口人员", "通过银行、网上缴款等方式缴纳，资金直接缴入国库。", "缴款记录"),
            ("开具凭证", "窗口人员", "开具完税（缴款）凭证，可在线下载电子凭证。", "{result}"),
        ),
    ),
    "06": (
        1,
        (
            (
                "制定检查计划",
                "业务科室负责人",
                "按照“双随机、一公开”要求确定检查对象和检查人员。",
                "检查计划",
            ),
            (
                "实施检查",
                "检查人员",
                "两名以上检查人员出示执法证件，按检查表逐项检查并制作笔录。",
                "检查记录",
            ),
            ("作出检查结论", "业务科室负责人", "对发现的问题责令整改，涉嫌违法的依法立案查处。", "{result}"),
            ("结果公示", "检查人员", "检查结果依法向社会公开。", "公示信息"),
        ),
    ),
    "09": (
        2,
        (
            ("受理", "受理人员", "请求符合受理条件的立案，不符合的告知理由。", "受理通知书"),
            ("答辩", "承办人员", "将请求书副本送达被请求人，被请求人在规定期限内答辩。", "答辩书"),
            ("审理", "合议人员", "审查证据，必要时进行口头审理和调解。", "审理报告"),
            ("裁决", "行政机关负责人", "依法作出裁决。", "{result}"),
            ("送达", "承办人员", "依法送达当事人。", "送达回证"),
        ),
    ),
}


def allot(count: int, main: int, total: int) -> list[int]:
    """Split `total` working days over `count` steps: one day each while days last, the rest to `main`."""
    limits = [0] * count
    if total <= 0:
        return limits
    limits[main], rest = 1, total - 1
    for index in range(count):
        if index != main and rest > 0:
            limits[index], rest = 1, rest - 1
    limits[main] += rest
    return limits


def steps_for(item: Item) -> list[dict[str, Any]]:
    main, pattern = STEP_PATTERNS.get(item.item_type, STEP_PATTERNS["application"])
    limits = allot(len(pattern), main, item.promised)
    review = item.review or "审查申请人是否符合受理条件，核验申请材料的真实性、合法性和有效性。"
    values = {"review": review, "name": item.name, "result": item.result or "办理结果"}
    return [
        {
            "name": name,
            "role": role,
            "time_limit": limit,
            "standard": standard.format(**values),
            "result": result.format(**values),
        }
        for (name, role, standard, result), limit in zip(pattern, limits, strict=True)
    ]


def _digits(seed: str, count: int) -> str:
    return f"{int(hashlib.sha256(seed.encode()).hexdigest()[:12], 16) % 10**count:0{count}d}"


def phones(org: Org) -> tuple[str, str]:
    """(consultation, supervision): two different landlines with the city's area code, invented."""
    area = AREA_CODES[org.region[:4]]
    consult = f"{area}-8{_digits(org.name + '|咨询', 7)}"
    supervise = f"{area}-8{_digits(org.name + '|监督', 7)}"
    if supervise == consult:
        supervise = f"{area}-8{_digits(org.name + '|监督|2', 7)}"
    return consult, supervise


def uscc_of(org: Org) -> str:
    return make_uscc(org.name, org.region, org.category)


def implementation_code(org: Org, basic_code: str) -> str:
    return uscc_of(org) + org.level + basic_code


def _material(mat: Mat) -> dict[str, Any]:
    return {
        "name": mat.name,
        "issuing_body": mat.issuing_body,
        "issue_time_requirement": mat.issue_time,
        "source_channel": mat.source,
        "original_count": mat.original,
        "copy_count": mat.copies,
        "form": mat.form,
        "necessity": mat.necessity,
        "notes": mat.notes,
        "usage_notes": mat.usage or "用于核验申请人身份和申请事项的真实性。",
        "obtainable_by": mat.obtainable_by,
        "obtainable_source": mat.obtainable_source,
        "situation": mat.situation,
    }


def _division(item: Item) -> str:
    if item.division:
        return item.division
    levels = sorted({ORG_BY_KEY[key].level for key in item.by})
    names = "、".join(LEVEL_NAMES[level] for level in levels)
    return (
        f"本事项由{names}{item.dept}按照管辖权限和属地管理原则实施，各实施机关负责本行政区域内的受理和办理。"
    )


def _content(item: Item) -> str:
    if item.content:
        return item.content
    if item.item_type in ADMINISTRATION_TYPES:
        return f"依法实施{item.name}，保障当事人陈述、申辩等合法权益。"
    return f"对申请人提出的{item.name}申请进行审查，对符合条件的依法办理并出具结果。"


def _promised_note(item: Item) -> str:
    if item.promised == 0:
        return "符合条件的当场办结。"
    note = f"自受理之日起{item.promised}个工作日内办结"
    if any(not special.counts for special in item.special):
        note += "，" + "、".join(s.name for s in item.special if not s.counts) + "所需时间不计算在内"
    return note + "。"


def build_guide(item: Item, org: Org, impl_code: str) -> dict[str, Any]:
    """The guide dict of one implementation: every editable GuideVersion field plus its parts."""
    fully_online = item.depth == 4
    visits = 0 if fully_online else item.visits
    is_online = item.depth >= 2
    administrative = item.item_type in ADMINISTRATION_TYPES
    forms = ["1"] if item.depth == 1 else ["1", "2", "3"]
    if visits == 0 and not is_online:
        forms.append("4")  # neither online nor in person: the applicant must be able to post it
    place = org.places.get(item.venue) or org.places[""]
    consult, supervise = phones(org)
    charges = bool(item.fees)
    fee_basis = "；".join(dict.fromkeys(fee.basis for fee in item.fees))
    in_hall = org.kind != "authorised" and not administrative
    guide: dict[str, Any] = {
        "name": item.name,
        "aliases": item.aliases,
        "item_type": item.item_type,
        "legal_basis": item.basis,
        "exercise_level": org.level,
        "authority_division": _division(item),
        "exercise_content": _content(item),
        "subject_nature": {"authorised": "2", "other": "9"}.get(org.kind, "1"),
        "power_source": item.power_source,
        "entrusting_department": "",
        "undertaking_organisation": item.undertaking or org.name,
        "legal_limit": item.legal,
        "legal_limit_unit": item.legal_unit,
        "legal_limit_note": item.legal_note,
        "promised_limit": item.promised,
        "promised_limit_unit": "wd",
        "promised_limit_note": item.promised_note or _promised_note(item),
        "case_type": "1" if item.promised == 0 else "2",
        "acceptance_conditions": item.conditions,
        "intermediary_services": item.intermediary,
        "quantity_limit": item.quantity_limit,
        "result_name": item.result,
        "result_type": item.result_type,
        "charges_fee": charges,
        "fee_basis": fee_basis,
        "service_objects": list(item.objects),
        "handling_scope": item.scope,
        "jurisdiction": f"{REGION_NAMES[org.region]}行政区域内",
        "handling_forms": forms,
        "online_depth": item.depth,
        "is_online": is_online,
        "online_url": ONLINE_BASE + impl_code if is_online else "",
        "system_level": item.system_level,
        "sso_pc": is_online,
        "sso_mobile": is_online,
        "visits": visits,
        "onsite_reason": (item.onsite or "需现场核验身份证件和申请材料原件") if visits else "",
        "in_hall": in_hall,
        "supports_appointment": visits > 0 and in_hall,
        "supports_online_payment": charges,  # 统一支付: online, or by QR code at the window
        "supports_delivery": "post" in item.delivery,
        "delivery_methods": list(item.delivery),
        "place": place,
        "hours": MARRIAGE_HOURS if item.venue == "marriage" else HOURS,
        "consultation_method": (
            f"窗口咨询：{place}；电话咨询：{consult}；网上咨询：浙江政务服务网、“浙里办”APP“我要咨询”栏目。"
        ),
        "consultation_phone": consult,
        "supervision_phone": supervise,
        "planned_effective_date": None,
        "planned_cancel_date": None,
        "change_note": "演示数据初始版本",
        "themes": list(item.themes),
        "joint_organisations": [uscc_of(ORG_BY_KEY[key]) for key in item.joint],
        "variants": [{"code_suffix": suffix, "name": name} for suffix, name in item.variants],
        "situations": [
            {"name": name, "description": description, "variant": variant}
            for name, description, variant in item.situations
        ],
        "materials": [_material(mat) for mat in item.materials],
        "steps": steps_for(item),
        "fees": [
            {
                "name": fee.name,
                "standard": fee.standard,
                "amount": fee.amount,
                "basis": fee.basis,
                "reducible": fee.reducible,
                "reduction_basis": fee.reduction_basis,
            }
            for fee in item.fees
        ],
        "special_procedures": [
            {
                "kind": special.kind,
                "name": special.name,
                "time_limit": special.time_limit,
                "time_limit_unit": special.unit,
                "legal_basis": special.basis or item.basis,
                "charges_fee": special.charges_fee,
                "counts_toward_limit": special.counts,
            }
            for special in item.special
        ],
        "faqs": [{"question": question, "answer": answer} for question, answer in item.faqs],
    }
    return guide


def popularity(item: Item, org: Org) -> int:
    """Demand-weighted and deterministic: hot items first, city windows a little busier than counties."""
    weight = {"1": 60, "2": 70, "3": 100, "4": 85, "5": 60}[org.level]
    return item.hot * weight + int(_digits(item.code + org.key, 2))
