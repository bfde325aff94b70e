"""Demo 政民互动 for `yiwang demo load`: the guide FAQs in the knowledge base, a few manual entries,
consultations answered and published (with the asker's consent), one still waiting, one complaint.

Idempotent: a message is identified by its asker and title; FAQ entries by their question.
"""

from __future__ import annotations

from typing import Any, Protocol

from yiwang.accounts.models import Membership, User
from yiwang.core.models import Organisation

from . import knowledge, services
from .models import FaqEntry, FaqSource, Kind, Message

PERSONS = ["13800000001", "13800000002", "13800000003"]
MANUAL_FAQ = [
    (
        "网上办事需要实名认证吗？",
        "需要。注册后完成实名认证（二级及以上）即可在线申请大多数事项；部分事项要求更高的实名等级，页面会提示。",
    ),
    (
        "办件进度在哪里查询？",
        "登录后进入“我的办件”，可看到每一件的办理过程、当前环节、承诺办结期限和已出具的文书。",
    ),
    (
        "对办事服务不满意怎么办？",
        "办件办结后可在“我的评价”对服务作出评价。差评由办理部门在 15 个工作日内回访核实、整改并向您反馈。",
    ),
]
# (kind, title, content, reply or "", publish)
MESSAGES = [
    (
        Kind.CONSULTATION,
        "新生儿户口登记需要哪些材料",
        "孩子刚出生，请问办理出生登记需要准备什么材料，可以网上办吗？",
        "需出生医学证明、父母双方户口簿和居民身份证、结婚证。可通过本平台网上申报，审核通过后邮寄户口簿。",
        True,
    ),
    (
        Kind.CONSULTATION,
        "营业执照地址变更要多久",
        "公司搬迁到同区新地址，营业执照住所变更一般多久能办好？",
        "材料齐全的，网上提交后 1 个工作日内办结，可选择电子营业执照或邮寄纸质执照。",
        True,
    ),
    (
        Kind.CONSULTATION,
        "社保卡丢了怎么补办",
        "社保卡不慎丢失，请问在哪里挂失和补办？",
        "可先通过本平台或 12333 电话挂失，再到任一社保卡服务网点或线上申请补卡，一般 7 个工作日内制卡完成。",
        True,
    ),
    (
        Kind.SUGGESTION,
        "建议大厅增加周末服务",
        "上班族工作日请假不便，建议政务服务大厅周六上午开放。",
        "",
        False,
    ),
    (
        Kind.COMPLAINT,
        "窗口工作人员未一次性告知",
        "办理施工许可时，窗口让我补了两次材料，每次只说一样。",
        "",
        False,
    ),
]


class Writer(Protocol):
    def write(self, text: str, /) -> Any: ...


def _desk() -> tuple[Organisation, User] | None:
    membership = (
        Membership.objects.filter(role__in=services.HANDLER_ROLES, organisation__is_active=True)
        .select_related("organisation", "user")
        .order_by("organisation_id", "pk")
        .first()
    )
    return (membership.organisation, membership.user) if membership else None


def load_demo(*, stdout: Writer) -> None:
    changed, _retired = knowledge.sync_guide_faqs()
    for question, answer in MANUAL_FAQ:
        entry, created = FaqEntry.objects.get_or_create(
            question=question, source=FaqSource.MANUAL, defaults={"answer": answer}
        )
        if created:
            knowledge.index_entry(entry)
    persons = list(User.objects.filter(username__in=PERSONS).order_by("username"))
    desk = _desk()
    made = 0
    if persons and desk is not None:
        organisation, clerk = desk
        for index, (kind, title, content, reply, publish) in enumerate(MESSAGES):
            asker = persons[index % len(persons)]
            if Message.objects.filter(asker=asker, title=title).exists():
                continue
            message = services.submit(
                asker=asker,
                kind=kind,
                title=title,
                content=content,
                organisation=organisation,
                complained_about="政务服务大厅综合窗口" if kind == Kind.COMPLAINT else "",
                publish_consent=publish,
            )
            if reply:
                message = services.reply(message, actor=clerk, text=reply)
                message = services.rate_reply(message, asker=asker, satisfaction=1)
                if publish:
                    services.publish(message, actor=clerk)
            made += 1
    else:
        stdout.write("政民互动演示：没有演示个人账号或部门工作人员，只加载知识库。\n")
    stdout.write(
        f"政民互动演示：知识库同步指南问答 {changed} 条，共 {FaqEntry.objects.filter(is_active=True).count()} 条；"
        f"新增留言 {made} 件。\n"
    )
