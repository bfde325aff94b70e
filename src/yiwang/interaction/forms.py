"""Forms of the interaction pages: they only parse; the rules live in interaction.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yiwang.catalog.models import Implementation, PublicStatus
from yiwang.core.models import Organisation

from .models import Kind, Satisfaction

TEXTAREA = forms.Textarea(attrs={"rows": 5})


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe); the content check is in the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class MessageForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("类别"), choices=Kind.choices, widget=forms.RadioSelect, initial=Kind.CONSULTATION
    )
    organisation = forms.ModelChoiceField(
        label=_("受理部门"),
        queryset=Organisation.objects.filter(is_active=True).order_by("region_id", "name"),
        required=False,
        empty_label=_("（按相关事项自动确定）"),
        help_text=_("不清楚由哪个部门负责时，可只填写相关事项编码。"),
    )
    item_code = forms.CharField(label=_("相关事项编码（选填）"), required=False, max_length=40)
    title = forms.CharField(label=_("标题"), max_length=100)
    content = forms.CharField(label=_("内容"), max_length=5000, widget=TEXTAREA)
    complained_about = forms.CharField(
        label=_("被投诉单位或人员（投诉时必填）"), required=False, max_length=200
    )
    contact_phone = forms.RegexField(
        label=_("联系电话"),
        regex=r"^[0-9-]{7,20}$",
        required=False,
        error_messages={"invalid": _("联系电话应为 7 到 20 位数字或短横线。")},
    )
    attachments = MultipleFileField(
        label=_("附件（选填）"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.ofd"}),
        help_text=_("PDF、JPEG、PNG 或 OFD，最多 5 个，每个不超过 10 MB。"),
    )
    publish_consent = forms.BooleanField(label=_("同意在答复后公开本件（不公开您的身份）"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code = (data.get("item_code") or "").strip()
        data["implementation"] = None
        if code:
            implementation = (
                Implementation.objects.select_related("organisation")
                .filter(implementation_code=code, public_status=PublicStatus.PUBLISHED)
                .first()
            )
            if implementation is None:
                self.add_error("item_code", _("没有找到已发布的事项 %(c)s，请核对事项编码。") % {"c": code})
            data["implementation"] = implementation
        if not data.get("organisation") and not code:
            self.add_error("organisation", _("请选择受理部门，或填写相关事项编码。"))
        if data.get("kind") == Kind.COMPLAINT and not (data.get("complained_about") or "").strip():
            self.add_error("complained_about", _("投诉请填写被投诉的单位或人员。"))
        return data


class TextForm(forms.Form):
    text = forms.CharField(label=_("答复意见"), max_length=5000, widget=TEXTAREA)


class TransferForm(forms.Form):
    to_organisation = forms.ModelChoiceField(
        label=_("转给"), queryset=Organisation.objects.filter(is_active=True).order_by("region_id", "name")
    )
    text = forms.CharField(label=_("转办理由"), max_length=300)


class ExtendForm(forms.Form):
    days = forms.IntegerField(label=_("延长工作日"), min_value=1, max_value=30)
    text = forms.CharField(label=_("延期原因"), max_length=300)


class RateReplyForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("您对答复是否满意"), choices=Satisfaction.choices, coerce=int, widget=forms.RadioSelect
    )
    comment = forms.CharField(label=_("说明（选填）"), required=False, max_length=300)


class AskForm(forms.Form):
    q = forms.CharField(label=_("您的问题"), max_length=200)
