"""Demo cases for the staff workbench: a few cases in each queue of the first demo department, filed by the
demo persons (accounts.demo) and moved along by the demo staff window1 / reviewer1 / approver1 through the
case services — every event, document and audit row is real.

Idempotent: when the department already has demo cases (idempotency key "demo-wb-…") nothing is added.
The warning queues (临近期限 / 已超期) fill when `yiwang cases sweep` finds real deadlines approaching.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from yiwang.accounts.demo import ENTERPRISE_NAME, ENTERPRISE_USCC
from yiwang.accounts.models import Role, User
from yiwang.cases import documents, intake, services
from yiwang.cases.errors import CaseError
from yiwang.cases.models import Case, CaseStatus, StepStatus
from yiwang.catalog.models import Implementation, PublicStatus

KEY = "demo-wb-"
SAMPLE_VALUES = {
    "address": "浙江省杭州市西湖区文三路100号",
    "application_matter": "申请办理本事项（演示数据）",
    "confirmation_matter": "申请确认本事项（演示数据）",
    "bank_account": "6222020200001234567",
    "remarks": "",
    "enterprise_name": ENTERPRISE_NAME,
    "enterprise_uscc": ENTERPRISE_USCC,
}


def _staff(username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True).first()


def _items(organisation: Any) -> list[Implementation]:
    """Up to three items of the department handled step by step (no 即办, no 秒批), person-facing first."""
    return list(
        Implementation.objects.filter(
            organisation=organisation, public_status=PublicStatus.PUBLISHED, auto_approval_rule__isnull=True
        )
        .exclude(Q(published_version__case_type="1") | Q(published_version__promised_limit=0))
        .select_related("published_version")
        .order_by("-for_person", "implementation_code")[:3]
    )


def _form(implementation: Implementation, person: User) -> dict[str, Any]:
    schema = intake.form_schema(implementation)
    values = intake.initial_form(person)
    for name in schema["required"]:
        if not values.get(name):
            values[name] = SAMPLE_VALUES.get(name) or "演示内容"
    return {k: v for k, v in values.items() if k in schema["properties"] and v}


def _sample_pdf(name: str) -> bytes:
    return documents.render_pdf(documents.Notice(name, ["演示材料（示例扫描件）"], "一网演示"))


def _upload_all(case: Case, actor: User) -> None:
    for material in case.materials.filter(necessity="required", status="missing"):
        services.upload_material(
            case,
            material,
            actor=actor,
            name=f"{material.name}.pdf",
            content_type="application/pdf",
            data=_sample_pdf(material.name),
        )


def _online(implementation: Implementation, person: User, n: int) -> Case:
    case = services.create_draft(
        implementation, applicant=person, form_data=_form(implementation, person), idempotency_key=f"{KEY}{n}"
    )
    _upload_all(case, person)
    return services.submit(case, actor=person)


def _finish_steps(case: Case, reviewer: User) -> None:
    while step := case.steps.filter(status=StepStatus.ACTIVE).order_by("lane", "order").first():
        services.complete_step(case, step, actor=reviewer, opinion="材料齐全，符合条件（演示）")


def _team() -> tuple[User, User, User, Any, list[Implementation]] | None:
    """The first demo department (window1…, window2…) that has items to file, with its three clerks."""
    for number in (1, 2):
        clerk, reviewer = _staff(f"window{number}"), _staff(f"reviewer{number}")
        approver = _staff(f"approver{number}")
        membership = clerk.memberships.filter(role=Role.WINDOW).first() if clerk else None
        if clerk is None or reviewer is None or approver is None or membership is None:
            continue
        items = _items(membership.organisation)
        if items:
            return clerk, reviewer, approver, membership.organisation, items
    return None


@transaction.atomic
def load_demo(*, stdout: Any) -> None:
    team = _team()
    if team is None:
        stdout.write("工作台演示：演示部门没有可申请的已发布事项或没有演示工作人员，已跳过。\n")
        return
    clerk, reviewer, approver, organisation, items = team
    if Case.objects.filter(organisation=organisation, idempotency_key__startswith=KEY).exists():
        stdout.write("工作台演示办件已存在。\n")
        return
    applicants = list(User.objects.filter(username__in=["13800000002", "13800000003", "13800000001"]))
    if not items or not applicants:
        stdout.write(f"工作台演示：{organisation.name} 没有面向个人的已发布事项或演示居民，已跳过。\n")
        return
    made: list[Case] = []

    def item(n: int) -> Implementation:
        return items[n % len(items)]

    def person(n: int) -> User:
        return applicants[n % len(applicants)]

    made += [_online(item(0), person(0), 1), _online(item(1), person(1), 2)]  # 待预审
    returned = _online(item(2), person(2), 3)  # 补正中
    services.return_for_supplement(
        returned,
        actor=clerk,
        items=[{"material": returned.materials.first().name, "problem": "扫描件不清晰，请重新上传（演示）"}],  # type: ignore[union-attr]
    )
    resubmitted = _online(item(0), person(1), 4)  # 补正后待受理
    services.return_for_supplement(
        resubmitted,
        actor=clerk,
        items=[{"material": "申请表", "problem": "缺少申请人签字（演示）"}],
    )
    services.resubmit(resubmitted, actor=resubmitted.applicant)
    window_person = person(2)
    at_window = intake.open_case(
        item(1), actor=clerk, person=window_person, form_data=_form(item(1), window_person)
    )
    _upload_all(at_window, clerk)
    intake.file_at_window(at_window, actor=clerk)  # 窗口收件，待受理
    accepted = services.accept(_online(item(2), person(0), 5), actor=clerk)  # 待开始审查
    made += [returned, resubmitted, at_window, accepted]
    problems: list[str] = []
    for n, finish, decide in ((6, False, False), (7, True, False), (8, True, True)):
        case = services.accept(_online(item(n), person(n), n), actor=clerk)
        made.append(case)
        try:
            with transaction.atomic():
                services.start_review(case, actor=reviewer)  # 我的环节
                if finish:
                    _finish_steps(case, reviewer)  # 待决定
                if decide:  # 待办结送达
                    services.approve(case, actor=approver, reason="符合法定条件、标准（演示）")
        except (IntegrityError, CaseError) as exc:
            problems.append(f"{case.number}：{exc}")
    if problems:
        stdout.write("工作台演示：以下办件停在已受理（开始审查失败）：" + "；".join(problems) + "\n")
    statuses = sorted({CaseStatus(c.status).label for c in Case.objects.filter(pk__in=[c.pk for c in made])})
    stdout.write(
        f"工作台演示：{organisation.name} 新增办件 {len(made)} 件（{'、'.join(str(s) for s in statuses)}）；"
        f"用 {clerk.username} / {reviewer.username} / {approver.username} 登录 /workbench/ 查看。\n"
    )
