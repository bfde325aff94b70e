"""The interaction app's JSON API, mounted at /api/interaction/: intelligent Q&A and the knowledge base
(public), published replies (public, no asker), and submitting and following one's own messages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import django_auth

from yiwang.catalog.models import Implementation, PublicStatus
from yiwang.core.models import Organisation

from . import knowledge, selectors, services
from .models import FaqEntry, Message

router = Router(tags=["政民互动"])


class FaqOut(Schema):
    id: int
    question: str
    answer: str
    source: str = Field(description="consultation（已答复咨询）、guide（办事指南常见问题）、manual")
    organisation: str | None = None

    @staticmethod
    def resolve_organisation(entry: FaqEntry) -> str | None:
        return entry.organisation.name if entry.organisation else None


class FaqMatchOut(FaqOut):
    score: float = Field(description="匹配度 0–1")


class ItemOut(Schema):
    implementation_code: str
    name: str
    organisation: str


class AnswerOut(Schema):
    question: str
    confidence: float = Field(description="最佳问答的匹配度 0–1")
    confident: bool = Field(description="为 false 时建议转人工（POST /api/interaction/hand-over）")
    faqs: list[FaqMatchOut]
    items: list[ItemOut]


@router.get("/ask", response=AnswerOut, summary="智能问答（检索知识库与办事事项）")
def ask(request: HttpRequest, q: str) -> dict[str, Any]:
    if not q.strip() or len(q) > 200:
        raise HttpError(400, _("问题不能为空，最长 200 字。"))
    result = knowledge.answer(q)
    return {
        "question": result.question,
        "confidence": result.confidence,
        "confident": result.confident,
        "faqs": [{**FaqOut.from_orm(m.entry).dict(), "score": m.score} for m in result.faqs],
        "items": [
            {
                "implementation_code": i.implementation_code,
                "name": i.name,
                "organisation": i.organisation.get("name", ""),
            }
            for i in result.items
        ],
    }


@router.get("/faq", response=list[FaqOut], summary="知识库")
def faq(request: HttpRequest, q: str = "") -> list[Any]:
    if q.strip():
        return [match.entry for match in knowledge.search_faq(q[:200], limit=20)]
    return list(selectors.faq_entries()[:100])


class PublicMessageOut(Schema):
    number: str | None
    kind: str
    title: str
    content: str
    organisation: str
    reply: str
    replied_at: dt.datetime | None

    @staticmethod
    def resolve_organisation(message: Message) -> str:
        return message.organisation.name


@router.get("/public", response=list[PublicMessageOut], summary="公开的答复（不含提问人身份）")
def public(request: HttpRequest, q: str = "", kind: str | None = None) -> list[Message]:
    return list(selectors.published(q[:50], kind)[:100])


class MessageIn(Schema):
    kind: str = Field(description="consultation、complaint、suggestion 或 help")
    title: str
    content: str
    organisation_id: int | None = Field(None, description="受理部门；不填时按 item_code 确定")
    item_code: str | None = Field(None, description="相关事项的实施编码")
    complained_about: str = ""
    publish_consent: bool = False


class MessageOut(PublicMessageOut):
    status: str
    due_on: dt.date | None
    extension_days: int
    satisfaction: int | None
    published: bool

    @staticmethod
    def resolve_published(message: Message) -> bool:
        return message.published_at is not None


@router.post("/messages", response={201: MessageOut}, auth=django_auth, summary="提交咨询、投诉、建议或求助")
def submit(request: HttpRequest, payload: MessageIn) -> Status[Message]:
    organisation = None
    implementation = None
    if payload.organisation_id:
        organisation = Organisation.objects.filter(pk=payload.organisation_id).first()
        if organisation is None:
            raise HttpError(400, _("受理部门编号 %(id)s 不存在。") % {"id": payload.organisation_id})
    if payload.item_code:
        implementation = Implementation.objects.filter(
            implementation_code=payload.item_code, public_status=PublicStatus.PUBLISHED
        ).first()
        if implementation is None:
            raise HttpError(400, _("没有找到已发布的事项 %(c)s。") % {"c": payload.item_code})
    try:
        message = services.submit(
            asker=request.user,
            kind=payload.kind,
            title=payload.title,
            content=payload.content,
            organisation=organisation,
            implementation=implementation,
            complained_about=payload.complained_about,
            publish_consent=payload.publish_consent,
        )
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    except services.InteractionError as exc:
        raise HttpError(400, str(exc)) from None
    return Status(201, message)


class HandOverIn(Schema):
    question: str
    organisation_id: int | None = None
    publish_consent: bool = False


@router.post("/hand-over", response={201: MessageOut}, auth=django_auth, summary="智能问答转人工")
def hand_over(request: HttpRequest, payload: HandOverIn) -> Status[Message]:
    organisation = (
        Organisation.objects.filter(pk=payload.organisation_id).first() if payload.organisation_id else None
    )
    try:
        message = services.hand_over(
            payload.question,
            asker=request.user,
            organisation=organisation,
            publish_consent=payload.publish_consent,
        )
    except services.InteractionError as exc:
        raise HttpError(400, str(exc)) from None
    return Status(201, message)


@router.get("/messages/mine", response=list[MessageOut], auth=django_auth, summary="我的留言")
def mine(request: HttpRequest) -> list[Message]:
    return list(selectors.my_messages(request.user)[:200])
