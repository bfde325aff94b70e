"""The reviews app's JSON API, mounted at /api/reviews/: open disclosure figures (no rater is ever named),
label sets, rating and 追评 for the signed-in applicant, and the work-order queue for staff."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import django_auth

from yiwang.cases.models import Case

from . import selectors, services
from .errors import ReviewError
from .forms import default_period
from .models import Level, Review, WorkOrder

router = Router(tags=["好差评"])


class StatsParams(Schema):
    start: dt.date | None = Field(None, description="统计开始日期（含），默认 30 天前")
    end: dt.date | None = Field(None, description="统计结束日期（含），默认今天")
    organisation: list[int] | None = Field(None, description="机构编号，可多个")
    item: list[int] | None = Field(None, description="实施清单事项编号，可多个")
    region: str | None = Field(None, description="行政区划代码（6 位，含下级地区）")


class StatsOut(Schema):
    count: int = Field(description="评价数（不含申诉成立的误评、恶意差评）")
    satisfied_count: int = Field(description="非常满意、满意、基本满意的评价数")
    satisfaction_rate: float | None = Field(description="满意率 = satisfied_count ÷ count，0–1，无评价时为空")
    bad_count: int = Field(description="差评数（不满意、非常不满意）")
    rectified_count: int = Field(description="已整改（或解释说明）并反馈评价人的差评数")
    rectification_rate: float | None = Field(description="差评整改率 = rectified_count ÷ bad_count，0–1")


class DisclosureRowOut(StatsOut):
    id: int | str = Field(description="机构、事项编号或行政区划代码")
    name: str = Field(description="名称")


class DisclosureParams(Schema):
    dimension: str = Field("organisation", description="organisation（机构）、item（事项）或 region（地区）")
    start: dt.date | None = None
    end: dt.date | None = None
    region: str | None = None


def _period(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    default_start, default_end = default_period()
    return start or default_start, end or default_end


@router.get("/stats", response=StatsOut, summary="好差评统计（公开）")
def stats(request: HttpRequest, params: Query[StatsParams]) -> dict[str, Any]:
    """所选期间、机构、事项、地区的评价数、满意率、差评数和差评整改率。口径见 docs/apps/reviews.md。"""
    start, end = _period(params.start, params.end)
    try:
        return selectors.review_stats(
            organisation_ids=params.organisation,
            implementation_ids=params.item,
            region_code=params.region,
            start=start,
            end=end,
        )
    except ValueError as exc:
        raise HttpError(400, str(exc)) from None


@router.get("/disclosure", response=list[DisclosureRowOut], summary="好差评公开（按机构、事项或地区）")
def disclosure(request: HttpRequest, params: Query[DisclosureParams]) -> list[dict[str, Any]]:
    start, end = _period(params.start, params.end)
    try:
        return selectors.stats_by(params.dimension, start=start, end=end, region_code=params.region)
    except ValueError as exc:
        raise HttpError(400, str(exc)) from None


class LabelSetOut(Schema):
    level: int = Field(description="满意度代码 1–5（GB/T 39046 A.8）")
    name: str = Field(description="满意度")
    labels: list[str] = Field(description="该满意度下可选的标签")


@router.get("/labels", response=list[LabelSetOut], summary="各满意度的可选标签")
def labels(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {"level": value, "name": str(label), "labels": services.labels_for(value)}
        for value, label in Level.choices
    ]


class RateIn(Schema):
    case_number: str = Field(description="办件编号")
    level: int = Field(description="满意度 1–5")
    channel: str = Field(
        "pc", description="评价渠道：pc、mobile、qrcode、hall_tablet、hall_terminal、phone、sms"
    )
    labels: list[str] = Field(default_factory=list, description="所选标签")
    comment: str = Field("", description="文字评价；差评须填写")


class ReviewOut(Schema):
    id: int
    case_number: str | None
    level: int
    level_name: str
    channel: str
    labels: list[str]
    comment: str
    rated_at: dt.datetime
    follow_up: str
    work_order_status: str | None = Field(description="差评整改工单状态；非差评为空")

    @staticmethod
    def resolve_case_number(review: Review) -> str | None:
        return review.case.number

    @staticmethod
    def resolve_level_name(review: Review) -> str:
        return str(Level(review.level).label)

    @staticmethod
    def resolve_work_order_status(review: Review) -> str | None:
        try:
            return review.work_order.status  # prefetched by selectors.my_reviews
        except WorkOrder.DoesNotExist:
            return None


@router.post("/", response={201: ReviewOut}, auth=django_auth, summary="评价一件已办结的办件")
def rate(request: HttpRequest, payload: RateIn) -> Status[Review]:
    case = (
        Case.objects.filter(number=payload.case_number)
        .select_related("implementation", "organisation")
        .first()
    )
    if case is None or not services.may_rate(request.user, case):
        raise HttpError(404, _("没有找到您的办件 %(n)s，请核对办件编号。") % {"n": payload.case_number})
    try:
        review = services.rate(
            case,
            rater=request.user,
            level=payload.level,
            channel=payload.channel,
            labels=payload.labels,
            comment=payload.comment,
        )
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    except ReviewError as exc:
        raise HttpError(400, str(exc)) from None
    return Status(201, review)


class FollowUpIn(Schema):
    text: str = Field(description="追评内容（每条评价一次）")


@router.post("/{review_id}/follow-up", response=ReviewOut, auth=django_auth, summary="追评（一次）")
def follow_up(request: HttpRequest, review_id: int, payload: FollowUpIn) -> Review:
    review = selectors.my_review_of(request.user, review_id)
    if review is None:
        raise HttpError(404, _("没有找到这条评价。"))
    try:
        return services.follow_up(review, rater=request.user, text=payload.text)
    except ReviewError as exc:
        raise HttpError(400, str(exc)) from None


@router.get("/mine", response=list[ReviewOut], auth=django_auth, summary="我的评价")
def mine(request: HttpRequest) -> Any:
    return selectors.my_reviews(request.user)[:200]


class WorkOrderOut(Schema):
    id: int
    case_number: str | None
    organisation: str
    level: int
    status: str
    status_name: str
    due_on: dt.date | None
    warning_level: str

    @staticmethod
    def resolve_case_number(order: WorkOrder) -> str | None:
        return order.review.case.number

    @staticmethod
    def resolve_organisation(order: WorkOrder) -> str:
        return order.organisation.name

    @staticmethod
    def resolve_level(order: WorkOrder) -> int:
        return order.review.level

    @staticmethod
    def resolve_status_name(order: WorkOrder) -> str:
        return order.get_status_display()


@router.get("/work-orders", response=list[WorkOrderOut], auth=django_auth, summary="本机构的差评整改工单")
def work_orders(request: HttpRequest, status: str | None = None) -> Any:
    return selectors.department_orders(request.user, status)[:500]
