"""Demo 好差评 for `yiwang demo load`: a few cases taken to completion through cases.services (by the demo
staff of a department that has window, reviewer and approver staff), rated by the demo persons, with two
bad reviews — one rectified and fed back, one still open — so the staff pages and disclosure show data.

Idempotent: demo cases carry the idempotency key prefix "demo-reviews-"; a case already rated is skipped.
"""

from __future__ import annotations

from typing import Any, Protocol

from yiwang.accounts.models import Membership, Role, User
from yiwang.cases import formschema
from yiwang.cases import services as case_services
from yiwang.cases.errors import CaseError
from yiwang.cases.models import Case, CaseStatus
from yiwang.catalog.models import Implementation, PublicStatus

from . import services
from .errors import ReviewError
from .models import Review, WorkOrder

KEY = "demo-reviews-"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PERSONS = ["13800000001", "13800000002", "13800000003"]
RATINGS = [
    (1, ["办事效率高", "一次办成"], "网上提交，三天就办好了。"),
    (2, ["指南清楚"], ""),
    (3, ["办理时间偏长"], "比承诺时间只早一天。"),
    (4, ["多次跑腿"], "窗口说材料不全，让我来回跑了两次。"),
    (5, ["态度恶劣"], "电话咨询时工作人员不耐烦。"),
    (1, ["服务态度好"], ""),
]


class Writer(Protocol):
    def write(self, text: str, /) -> Any: ...


def _staff(organisation_id: int) -> dict[str, User] | None:
    found: dict[str, User] = {}
    for role in (Role.WINDOW, Role.REVIEWER, Role.APPROVER):
        membership = (
            Membership.objects.filter(organisation_id=organisation_id, role=role)
            .select_related("user")
            .first()
        )
        if membership is None:
            return None
        found[role] = membership.user
    return found


def _form(implementation: Implementation, person: User) -> dict[str, Any] | None:
    guide = implementation.published_version
    if guide is None or formschema.is_enterprise_guide(guide):
        return None
    schema = formschema.form_schema_for(guide, for_enterprise=False)
    values: dict[str, Any] = {
        "applicant_name": person.display_name,
        "contact_phone": person.phone,
        "address": "杭州市西湖区文三路100号",
    }
    for name in schema.get("required", []):
        if name in values:
            continue
        spec = schema["properties"].get(name, {})
        if spec.get("type") != "string" or "pattern" in spec or "enum" in spec:
            return None
        values[name] = f"演示申请：{spec.get('title', name)}"
    return values


def _candidates() -> list[tuple[Implementation, dict[str, User]]]:
    found = []
    implementations = Implementation.objects.filter(public_status=PublicStatus.PUBLISHED).select_related(
        "published_version", "organisation"
    )
    organisations = set(
        Membership.objects.filter(role=Role.APPROVER).values_list("organisation_id", flat=True)
    )
    for implementation in implementations.filter(organisation_id__in=organisations).order_by(
        "implementation_code"
    )[:50]:
        staff = _staff(implementation.organisation_id)
        if staff is not None:
            found.append((implementation, staff))
    return found


def _complete(implementation: Implementation, staff: dict[str, User], person: User, key: str) -> Case | None:
    form = _form(implementation, person)
    if form is None:
        return None
    try:
        case = case_services.create_draft(
            implementation, applicant=person, form_data=form, idempotency_key=key
        )
        for material in case.materials.filter(necessity="required", status="missing"):
            case_services.upload_material(
                case,
                material,
                actor=person,
                name=f"{material.name}.pdf",
                content_type="application/pdf",
                data=PDF,
            )
        case = case_services.submit(case, actor=person, idempotency_key=key)
        case_services.accept(case, actor=staff[Role.WINDOW])
        case_services.start_review(case, actor=staff[Role.REVIEWER])
        for step in case.steps.order_by("lane", "order"):
            case_services.complete_step(case, step, actor=staff[Role.REVIEWER], opinion="符合条件")
        case_services.approve(case, actor=staff[Role.APPROVER], reason="材料齐全，符合条件")
        return case_services.complete(case, actor=staff[Role.APPROVER])
    except CaseError:
        return None


def load_demo(*, stdout: Writer) -> None:
    persons = list(User.objects.filter(username__in=PERSONS).order_by("username"))
    if not persons:
        stdout.write("好差评演示：没有演示个人账号，跳过。\n")
        return
    candidates = _candidates()
    if not candidates:
        stdout.write("好差评演示：没有同时配备窗口、审查、审批人员的已发布事项，跳过。\n")
        return
    made = 0
    for index, (level, labels, comment) in enumerate(RATINGS):
        key = f"{KEY}{index + 1}"
        person = persons[index % len(persons)]
        case = Case.objects.filter(applicant=person, idempotency_key=key).first()
        if case is None:
            implementation, staff = candidates[index % len(candidates)]
            case = _complete(implementation, staff, person, key)
        if case is None or case.status not in (CaseStatus.COMPLETED, CaseStatus.DELIVERED):
            continue
        if Review.objects.filter(case=case, rater=person).exists():
            continue
        try:
            review = services.rate(
                case, rater=person, level=level, channel="pc", labels=labels, comment=comment
            )
        except ReviewError as exc:
            stdout.write(f"好差评演示：{case.number} 未能评价：{exc}\n")
            continue
        made += 1
        if level == 4:  # one bad review worked through to feedback
            staff = _staff(case.organisation_id) or {}
            order = WorkOrder.objects.get(review=review)
            window = staff.get(Role.WINDOW)
            if window is not None:
                order = services.verify(
                    order, actor=window, note="已电话回访，情况属实：窗口未一次性告知所需材料。"
                )
                order = services.rectify(order, actor=window, text="制作一次性告知清单并组织窗口人员培训。")
                services.give_feedback(
                    order, actor=window, text="已整改：今后窗口将一次性告知全部所需材料。感谢您的监督。"
                )
    stdout.write(
        f"好差评演示：新增评价 {made} 条（共 {Review.objects.count()} 条，整改工单 {WorkOrder.objects.count()} 件）。\n"
    )
