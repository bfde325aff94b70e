"""Forms of the reviews pages: they only parse; the rules live in reviews.services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Level
from .selectors import DIMENSIONS

TEXTAREA = forms.Textarea(attrs={"rows": 4})


class RateForm(forms.Form):
    level = forms.TypedChoiceField(
        label=_("满意度"),
        choices=Level.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择满意度。")},
    )
    comment = forms.CharField(
        label=_("文字评价"),
        required=False,
        max_length=1000,
        widget=TEXTAREA,
        help_text=_("选填；选择“不满意”或“非常不满意”时请写明原因，最多 1000 字。"),
    )


class FollowUpForm(forms.Form):
    text = forms.CharField(
        label=_("追评内容"), max_length=1000, widget=TEXTAREA, help_text=_("每条评价只能追评一次。")
    )


class OrderActionForm(forms.Form):
    text = forms.CharField(label=_("说明"), max_length=2000, widget=TEXTAREA)


class ReturnVisitForm(OrderActionForm):
    satisfied = forms.TypedChoiceField(
        label=_("评价人对处理结果是否满意"),
        choices=[("1", _("满意")), ("0", _("不满意")), ("", _("未能联系上评价人"))],
        coerce=lambda value: {"1": True, "0": False}.get(value),
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )


class AppealDecisionForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label=_("复核结论"),
        choices=[
            ("1", _("申诉成立：认定为误评或恶意差评，不计入统计")),
            ("0", _("申诉不成立：继续整改或解释说明")),
        ],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择复核结论。")},
    )
    text = forms.CharField(label=_("复核意见"), max_length=2000, widget=TEXTAREA)


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last 30 days up to today."""
    today = today or timezone.localdate()
    return today - dt.timedelta(days=29), today


class DisclosureForm(forms.Form):
    dimension = forms.ChoiceField(
        label=_("统计维度"),
        choices=[("organisation", _("按机构")), ("item", _("按事项")), ("region", _("按地区"))],
        required=False,
    )
    start = forms.DateField(
        label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    region = forms.RegexField(
        label=_("行政区划代码"),
        regex=r"^\d{6}$",
        required=False,
        help_text=_("选填，6 位数字，如 330100；包含下级地区。"),
        error_messages={"invalid": _("行政区划代码应为 6 位数字，如 330100。")},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = default_period()
        data["start"] = data.get("start") or start
        data["end"] = data.get("end") or end
        data["dimension"] = data.get("dimension") if data.get("dimension") in DIMENSIONS else "organisation"
        if data["end"] < data["start"]:
            self.add_error("end", _("结束日期早于开始日期，请调换后再试。"))
        if (data["end"] - data["start"]).days > 366 * 3:
            self.add_error("start", _("统计期间最长三年，请缩短期间。"))
        return data
