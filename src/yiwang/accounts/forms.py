"""Forms for the account pages: parsing and field messages only; rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yiwang.core.validators import validate_mobile


class SignInForm(forms.Form):
    identifier = forms.CharField(
        label=_("手机号码或账户名"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("短信验证码"),
        max_length=6,
        min_length=6,
        help_text=_("6位数字，5分钟内有效。"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={"min_length": _("验证码应为6位数字。"), "required": _("请输入短信验证码。")},
    )


class TotpForm(forms.Form):
    code = forms.CharField(
        label=_("动态口令"),
        max_length=6,
        min_length=6,
        help_text=_("验证器应用中当前显示的6位数字。"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={"min_length": _("动态口令应为6位数字。"), "required": _("请输入动态口令。")},
    )


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        error_messages={"required": _("请填写手机号码。")},
    )

    def clean_phone(self) -> str:
        return validate_mobile(self.cleaned_data["phone"])


class RegistrationForm(forms.Form):
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    code = forms.CharField(
        label=_("短信验证码"),
        max_length=6,
        required=False,
        help_text=_("先点“获取验证码”，再填写短信中的6位数字。"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    name = forms.CharField(label=_("姓名"), max_length=64, help_text=_("与身份证上的姓名一致。"))
    resident_id = forms.CharField(
        label=_("公民身份号码"), max_length=20, help_text=_("18位，最后一位可能是X。")
    )
    password = forms.CharField(
        label=_("设置密码"),
        strip=False,
        required=False,
        help_text=_("至少10位，不要只用数字，不要与手机号码相似。"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=True),
    )


class PasswordResetForm(forms.Form):
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    code = forms.CharField(label=_("短信验证码"), max_length=6, required=False)
    password = forms.CharField(
        label=_("新密码"),
        strip=False,
        required=False,
        help_text=_("至少10位，不要只用数字。"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class EnterpriseRegistrationForm(forms.Form):
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=20, help_text=_("18位，见营业执照。"))


class AgentAuthorisationForm(forms.Form):
    agent_phone = forms.CharField(
        label=_("经办人手机号码"), max_length=20, help_text=_("经办人须已注册账户。")
    )
    all_items = forms.BooleanField(label=_("授权办理全部事项"), required=False)
    item_codes = forms.CharField(
        label=_("授权的事项实施编码"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一个；选择了“全部事项”时可不填。"),
    )
    valid_until = forms.DateField(
        label=_("有效期至"),
        help_text=_("格式：2026-12-31。到期当天结束时授权失效。"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("请按 2026-12-31 的格式填写日期。"), "required": _("请填写有效期。")},
    )
