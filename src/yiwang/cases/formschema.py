"""The application form of an implementation as a JSON Schema, validated on the server with `jsonschema`.

Every form has the applicant's name, contact phone and address; each item type adds a few fields
(EXTRA_FIELDS_BY_ITEM_TYPE), and enterprise-facing guides ask for the enterprise's name and USCC.
Errors come back per field in Chinese, naming the field and saying how to fix it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator

from yiwang.catalog import codes
from yiwang.catalog.models import GuideVersion

PHONE_PATTERN = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$"
USCC_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$"

BASE_FIELDS: dict[str, dict[str, Any]] = {
    "applicant_name": {"type": "string", "title": "申请人姓名或名称", "minLength": 1, "maxLength": 64},
    "contact_phone": {
        "type": "string",
        "title": "联系电话",
        "pattern": PHONE_PATTERN,
        "description": "11位手机号码，或带区号的固定电话，如 0571-87001234",
    },
    "address": {"type": "string", "title": "联系地址", "minLength": 2, "maxLength": 200},
}
ENTERPRISE_FIELDS: dict[str, dict[str, Any]] = {
    "enterprise_name": {"type": "string", "title": "企业名称", "minLength": 2, "maxLength": 128},
    "enterprise_uscc": {
        "type": "string",
        "title": "统一社会信用代码",
        "pattern": USCC_PATTERN,
        "description": "18位，数字和大写字母（不含 I、O、S、V、Z）",
    },
}
# Small per-item-type defaults: what each kind of application additionally has to say.
EXTRA_FIELDS_BY_ITEM_TYPE: dict[str, dict[str, dict[str, Any]]] = {
    codes.ItemType.LICENSING: {
        "application_matter": {"type": "string", "title": "申请事项说明", "minLength": 2, "maxLength": 500},
    },
    codes.ItemType.BENEFIT: {
        "bank_account": {
            "type": "string",
            "title": "收款银行账号",
            "pattern": r"^\d{12,30}$",
            "description": "12–30位数字，不含空格",
        },
    },
    codes.ItemType.CONFIRMATION: {
        "confirmation_matter": {"type": "string", "title": "申请确认事项", "minLength": 2, "maxLength": 500},
    },
}
OPTIONAL_FIELDS: dict[str, dict[str, Any]] = {
    "remarks": {"type": "string", "title": "备注", "maxLength": 1000},
}


def is_enterprise_guide(guide: GuideVersion) -> bool:
    objects = set(guide.service_objects or [])
    return bool(objects & codes.LEGAL_PERSON_OBJECTS) and codes.ServiceObject.PERSON not in objects


def form_schema_for(guide: GuideVersion, *, for_enterprise: bool | None = None) -> dict[str, Any]:
    """The JSON Schema (2020-12) of the application form of `guide`."""
    required: dict[str, dict[str, Any]] = dict(BASE_FIELDS)
    if for_enterprise if for_enterprise is not None else is_enterprise_guide(guide):
        required.update(ENTERPRISE_FIELDS)
    required.update(EXTRA_FIELDS_BY_ITEM_TYPE.get(guide.item_type, {}))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": guide.name,
        "type": "object",
        "properties": {**required, **OPTIONAL_FIELDS},
        "required": list(required),
        "additionalProperties": False,
    }


class FormInvalid(ValidationError):
    """The form data broke the schema; `errors` maps each field to its Chinese messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        summary = "；".join(f"{message}" for messages in errors.values() for message in messages)
        super().__init__(_("申请表填写有误，请按提示更正：%(s)s") % {"s": summary})


def _message(error: Any, schema: dict[str, Any]) -> tuple[str, str]:
    properties = schema["properties"]
    if error.validator == "required":
        field = error.message.split("'")[1]
        title = properties.get(field, {}).get("title", field)
        return field, _("请填写“%(t)s”。") % {"t": title}
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(properties))
        return "__all__", _("申请表中没有这些栏目：%(f)s，请删除后再提交。") % {"f": "、".join(extra)}
    if error.validator == "type" and not error.path:
        return "__all__", _("申请表内容应为一组“栏目: 内容”，收到的格式不正确。")
    field = str(error.path[0]) if error.path else "__all__"
    spec = properties.get(field, {})
    title = spec.get("title", field)
    if error.validator == "type":
        return field, _("“%(t)s”应为文字。") % {"t": title}
    if error.validator == "minLength":
        if error.validator_value <= 1:
            return field, _("请填写“%(t)s”。") % {"t": title}
        return field, _("“%(t)s”至少 %(n)d 个字。") % {"t": title, "n": error.validator_value}
    if error.validator == "maxLength":
        return field, _("“%(t)s”不能超过 %(n)d 个字，请精简。") % {"t": title, "n": error.validator_value}
    if error.validator == "pattern":
        hint = spec.get("description", "")
        return field, _("“%(t)s”格式不正确。%(hint)s") % {"t": title, "hint": hint}
    return field, _("“%(t)s”填写有误。") % {"t": title}


def form_errors(schema: dict[str, Any], data: Any, *, partial: bool = False) -> dict[str, list[str]]:
    """Every problem of `data` against `schema`, per field. `partial` (drafts) ignores missing fields."""
    errors: dict[str, list[str]] = {}
    validator = Draft202012Validator(schema)
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.path)):
        if partial and error.validator == "required":
            continue
        field, message = _message(error, schema)
        errors.setdefault(field, []).append(message)
    return errors


def validate_form(schema: dict[str, Any], data: Any, *, partial: bool = False) -> dict[str, Any]:
    errors = form_errors(schema, data, partial=partial)
    if errors:
        raise FormInvalid(errors)
    return dict(data)


def prefill(user: Any, enterprise: Any = None) -> dict[str, Any]:
    """What the platform already knows about the applicant, as initial form values."""
    values: dict[str, Any] = {}
    if getattr(user, "display_name", ""):
        values["applicant_name"] = user.display_name
    if getattr(user, "phone", ""):
        values["contact_phone"] = user.phone
    if enterprise is not None:
        values["applicant_name"] = enterprise.name
        values["enterprise_name"] = enterprise.name
        values["enterprise_uscc"] = enterprise.uscc
    return values
