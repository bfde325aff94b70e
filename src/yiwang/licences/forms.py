"""Forms of the licence pages; every message in Simplified Chinese."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import identifiers, transitions

MAX_UPLOAD = 5 * 1024 * 1024


class VerifyForm(forms.Form):
    identifier = forms.CharField(
        label=_("证照标识"),
        max_length=120,
        help_text=_(
            "证照左下方的一串编号，以 1.2.156.3005.2 开头，例如 1.2.156.3005.2.11100000000013338W011.…"
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "text"}),
    )

    def clean_identifier(self) -> str:
        value = self.cleaned_data["identifier"]
        try:
            return str(identifiers.parse(value))
        except identifiers.IdentifierError as exc:
            raise forms.ValidationError(str(exc)) from None


class VerifyFileForm(forms.Form):
    file = forms.FileField(label=_("电子证照文件（PDF）"), help_text=_("不超过 5 MB。"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("文件过大：电子证照文件不超过 5 MB。"))
        return upload


class DisclosureForm(forms.Form):
    public_fields = forms.MultipleChoiceField(
        label=_("公开核验时可以看到的信息"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "他人扫码或输入证照标识核验时，除证照名称、颁发机构、有效期和状态外，只显示您勾选的信息。身份证号码始终脱敏显示。"
        ),
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["public_fields"].choices = choices  # type: ignore[attr-defined]


class GrantForm(forms.Form):
    case = forms.TypedChoiceField(
        label=_("办件"), coerce=int, help_text=_("受理该办件的部门在本次办理中可以读取这本证照。")
    )
    days = forms.IntegerField(label=_("授权天数"), min_value=1, max_value=365, initial=30)

    def __init__(self, *args: Any, cases: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case"].choices = [("", _("请选择办件")), *cases]  # type: ignore[attr-defined]
        self.fields["case"].error_messages["invalid_choice"] = _("请选择您本人的一件办件。")
        self.fields["case"].error_messages["required"] = _("请选择要授权用证的办件。")
        self.fields["days"].error_messages["min_value"] = _("授权天数应为 1 至 365 天。")
        self.fields["days"].error_messages["max_value"] = _("授权天数应为 1 至 365 天。")


class StatusForm(forms.Form):
    action = forms.ChoiceField(
        label=_("操作"),
        choices=[(a, transitions.label(a)) for a in transitions.OFFICIAL_ACTIONS],
    )
    reason = forms.CharField(label=_("原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class IssueForm(forms.Form):
    """Manual issuance: the type is chosen first; its data fields become fields of this form."""

    issuer = forms.TypedChoiceField(label=_("颁发机构"), coerce=int)
    holder_identifier = forms.CharField(label=_("持证主体证件号码"), max_length=18)
    holder_name = forms.CharField(label=_("持证主体名称"), max_length=128)
    valid_from = forms.DateField(
        label=_("有效期起始日期"), required=False, help_text=_("留空为今天。格式：2026-01-31。")
    )
    previous = forms.CharField(
        label=_("上一版本的证照标识"),
        required=False,
        max_length=120,
        help_text=_("延续或变更时填写；新发留空。"),
    )

    def __init__(
        self, *args: Any, issuers: list[tuple[int, str]], type_fields: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["issuer"].choices = issuers  # type: ignore[attr-defined]
        self.data_field_names = []
        for item in type_fields:
            name = f"data_{item['name']}"
            self.fields[name] = forms.CharField(
                label=item.get("label") or item["name"], required=bool(item.get("required")), max_length=500
            )
            self.data_field_names.append(name)

    def licence_data(self) -> dict[str, str]:
        return {
            name.removeprefix("data_"): self.cleaned_data.get(name) or "" for name in self.data_field_names
        }
