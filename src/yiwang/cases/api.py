"""Read-only case API for the signed-in applicant (mounted at /api/cases/): "my cases" and a timeline.

Session authentication; a case that is not the caller's own answers 404, exactly like one that does not
exist, so numbers cannot be probed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate
from ninja.security import django_auth

from . import selectors
from .models import Case, CaseStatus, WarningLevel

router = Router(tags=["办件"], auth=django_auth)


class CaseOut(Schema):
    id: int = Field(description="办件内部编号")
    number: str | None = Field(description="办件编号（20位：区划代码+日期+序号）；草稿为空")
    item_name: str = Field(description="事项名称")
    organisation: str = Field(description="办理机构")
    status: str = Field(description="状态代码")
    status_label: str = Field(description="状态（中文）")
    channel: str = Field(description="申请渠道：web、mobile、window、api")
    submitted_on: dt.date | None = Field(description="提交日期")
    acceptance_due: dt.date | None = Field(description="受理期限")
    decision_due: dt.date | None = Field(description="办结期限")
    delivery_due: dt.date | None = Field(description="送达期限")
    deadline_provisional: bool = Field(description="期限是否按临时日历计算（正式放假安排公布后可能调整）")
    warning_level: str = Field(description="预警：空为正常，yellow 临近期限，red 已超期")
    warning_label: str = Field(description="预警（中文）")
    next_step: str = Field(description="下一步做什么、何时之前")

    @staticmethod
    def resolve_item_name(case: Case) -> str:
        return case.implementation.name

    @staticmethod
    def resolve_organisation(case: Case) -> str:
        return case.organisation.name

    @staticmethod
    def resolve_status_label(case: Case) -> str:
        return str(CaseStatus(case.status).label)

    @staticmethod
    def resolve_warning_label(case: Case) -> str:
        return str(WarningLevel(case.warning_level).label)

    @staticmethod
    def resolve_next_step(case: Case) -> str:
        return selectors.next_step(case)


class DocumentOut(Schema):
    id: int
    kind: str = Field(description="文书种类")
    title: str = Field(description="文书标题")
    sm3: str = Field(description="文件的 SM3 摘要")


class EventOut(Schema):
    at: dt.datetime = Field(description="时间")
    action: str = Field(description="操作代码")
    label: str = Field(description="操作（中文）")
    from_status: str
    to_status: str
    actor: str = Field(description="操作人")
    comment: str = Field(description="说明")
    documents: list[DocumentOut] = Field(description="本次出具的文书")


class StageOut(Schema):
    key: str = Field(description="阶段代码：submit、accept、review、decide、deliver")
    label: str = Field(description="阶段（中文）")
    state: str = Field(description="done 已完成、current 进行中、todo 未开始、stopped 已终止")
    done_on: dt.date | None = Field(description="完成日期")
    due: dt.date | None = Field(description="期限（进行中或未开始的阶段）")


class CaseDetailOut(CaseOut):
    timeline: list[EventOut] = Field(description="办理过程，按时间先后")
    progress: list[StageOut] = Field(description="办理进度：各阶段及其期限")

    @staticmethod
    def resolve_timeline(case: Case) -> list[dict[str, Any]]:
        return selectors.timeline(case)

    @staticmethod
    def resolve_progress(case: Case) -> list[dict[str, Any]]:
        return selectors.progress(case)


@router.get("/mine", response=list[CaseOut], summary="我的办件")
@paginate(PageNumberPagination, page_size=20)
def my_cases(request: HttpRequest) -> Any:
    """当前登录用户申请的办件（含以其任法定代表人的企业名义申请的），按创建时间倒序。"""
    return selectors.my_cases(request.user)


@router.get("/mine/{number}", response=CaseDetailOut, summary="我的办件详情与办理过程")
def my_case(request: HttpRequest, number: str) -> Case:
    """按办件编号（草稿按内部编号）查看本人的一件办件及其办理过程。"""
    case = selectors.my_case(request.user, number)
    if case is None:
        raise HttpError(404, _("没有找到您的办件 %(n)s，请核对办件编号。") % {"n": number})
    return case
