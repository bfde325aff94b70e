"""The application form of an implementation as a JSON Schema, validated on the server with `jsonschema`.

Every form has the applicant's name, contact phone and address, and enterprise applications the
enterprise's name and USCC. The item's own fields come from the catalogue (GuideVersion.form_schema, checked
by catalog.form_schema); when the catalogue defines none, each item type adds a few default fields
(EXTRA_FIELDS_BY_ITEM_TYPE). Errors come back per field in Chinese, naming the field and saying how to fix
it. `form_fields` describes each field for the portal's form page and `values_from_post` turns a submitted
HTML form into typed values without ever dropping what the person typed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from jsonschema import Draft202012Validator

from yiwang.catalog import codes
from yiwang.catalog.form_schema import check_form_schema, field_order
from yiwang.catalog.models import GuideVersion

PHONE_PATTERN = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$"
USCC_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$"

BASE_FIELDS: dict[str, dict[str, Any]] = {
    "applicant_name": {
        "type": "string",
        "title": gettext_noop("申请人姓名或名称"),
        "minLength": 1,
        "maxLength": 64,
    },
    "contact_phone": {
        "type": "string",
        "title": gettext_noop("联系电话"),
        "pattern": PHONE_PATTERN,
        "description": gettext_noop("11位手机号码，或带区号的固定电话，如 0571-87001234"),
    },
    "address": {"type": "string", "title": gettext_noop("联系地址"), "minLength": 2, "maxLength": 200},
}
ENTERPRISE_FIELDS: dict[str, dict[str, Any]] = {
    "enterprise_name": {
        "type": "string",
        "title": gettext_noop("企业名称"),
        "minLength": 2,
        "maxLength": 128,
    },
    "enterprise_uscc": {
        "type": "string",
        "title": gettext_noop("统一社会信用代码"),
        "pattern": USCC_PATTERN,
        "description": gettext_noop("18位，数字和大写字母（不含 I、O、S、V、Z）"),
    },
}
# Small per-item-type defaults: what each kind of application additionally has to say.
EXTRA_FIELDS_BY_ITEM_TYPE: dict[str, dict[str, dict[str, Any]]] = {
    codes.ItemType.LICENSING: {
        "application_matter": {
            "type": "string",
            "title": gettext_noop("申请事项说明"),
            "minLength": 2,
            "maxLength": 500,
        },
    },
    codes.ItemType.BENEFIT: {
        "bank_account": {
            "type": "string",
            "title": gettext_noop("收款银行账号"),
            "pattern": r"^\d{12,30}$",
            "description": gettext_noop("12–30位数字，不含空格"),
        },
    },
    codes.ItemType.CONFIRMATION: {
        "confirmation_matter": {
            "type": "string",
            "title": gettext_noop("申请确认事项"),
            "minLength": 2,
            "maxLength": 500,
        },
    },
}
OPTIONAL_FIELDS: dict[str, dict[str, Any]] = {
    "remarks": {"type": "string", "title": gettext_noop("备注"), "maxLength": 1000},
}


def is_enterprise_guide(guide: GuideVersion) -> bool:
    objects = set(guide.service_objects or [])
    return bool(objects & codes.LEGAL_PERSON_OBJECTS) and codes.ServiceObject.PERSON not in objects


def stored_schema(guide: GuideVersion) -> dict[str, Any] | None:
    """The implementation's own form fields from the catalogue, when it defines a usable set."""
    stored = getattr(guide, "form_schema", None)
    if not stored or check_form_schema(stored):
        return None
    return dict(stored)


def form_schema_for(guide: GuideVersion, *, for_enterprise: bool | None = None) -> dict[str, Any]:
    """The JSON Schema (2020-12) of the application form of `guide`: the platform's fields first, then the
    item's own (in catalog.form_schema.field_order), then remarks."""
    properties: dict[str, dict[str, Any]] = dict(BASE_FIELDS)
    if for_enterprise if for_enterprise is not None else is_enterprise_guide(guide):
        properties.update(ENTERPRISE_FIELDS)
    required = list(properties)
    own = stored_schema(guide)
    if own is None:
        extra = EXTRA_FIELDS_BY_ITEM_TYPE.get(guide.item_type, {})
        properties.update(extra)
        required.extend(extra)
    else:
        properties.update({name: own["properties"][name] for name in field_order(own)})
        required.extend(name for name in own.get("required", []) if name not in required)
    for name, spec in OPTIONAL_FIELDS.items():
        properties.setdefault(name, spec)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": guide.name,
        "type": "object",
        "properties": properties,
        "required": required,
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
        title = _(properties.get(field, {}).get("title", field))
        return field, _("请填写“%(t)s”。") % {"t": title}
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(properties))
        return "__all__", _("申请表中没有这些栏目：%(f)s，请删除后再提交。") % {"f": "、".join(extra)}
    if error.validator == "type" and not error.path:
        return "__all__", _("申请表内容应为一组“栏目: 内容”，收到的格式不正确。")
    field = str(error.path[0]) if error.path else "__all__"
    spec = properties.get(field, {})
    title = _(spec.get("title", field))
    if error.validator == "type":
        expected = error.validator_value
        if expected == "integer":
            return field, _("“%(t)s”应为整数，只填数字。") % {"t": title}
        if expected == "number":
            return field, _("“%(t)s”应为数字。") % {"t": title}
        if expected == "boolean":
            return field, _("“%(t)s”应为“是”或“否”。") % {"t": title}
        return field, _("“%(t)s”应为文字。") % {"t": title}
    if error.validator == "enum":
        return field, _("“%(t)s”只能从给出的选项中选择。") % {"t": title}
    if error.validator == "minimum":
        return field, _("“%(t)s”不能小于 %(n)s。") % {"t": title, "n": error.validator_value}
    if error.validator == "maximum":
        return field, _("“%(t)s”不能大于 %(n)s。") % {"t": title, "n": error.validator_value}
    if error.validator == "format" and error.validator_value == "date":
        return field, _("“%(t)s”应为日期，格式如 2025-01-31。") % {"t": title}
    if error.validator == "format" and error.validator_value == "email":
        return field, _("“%(t)s”应为电子邮箱地址，如 name@example.com。") % {"t": title}
    if error.validator == "minLength":
        if error.validator_value <= 1:
            return field, _("请填写“%(t)s”。") % {"t": title}
        return field, _("“%(t)s”至少 %(n)d 个字。") % {"t": title, "n": error.validator_value}
    if error.validator == "maxLength":
        return field, _("“%(t)s”不能超过 %(n)d 个字，请精简。") % {"t": title, "n": error.validator_value}
    if error.validator == "pattern":
        hint = _(spec.get("description", "")) if spec.get("description") else ""
        return field, _("“%(t)s”格式不正确。%(hint)s") % {"t": title, "hint": hint}
    return field, _("“%(t)s”填写有误。") % {"t": title}


def validator_for(schema: dict[str, Any]) -> Draft202012Validator:
    """A compiled validator of `schema` (reusable: validators keep no state between calls)."""
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def form_errors(
    schema: dict[str, Any],
    data: Any,
    *,
    partial: bool = False,
    validator: Draft202012Validator | None = None,
) -> dict[str, list[str]]:
    """Every problem of `data` against `schema`, per field. `partial` (drafts) ignores missing fields.
    `validator`: one already compiled from `schema` (cases.guideplan keeps one per guide version)."""
    errors: dict[str, list[str]] = {}
    validator = validator or validator_for(schema)
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


# --- the HTML form ---------------------------------------------------------------------------------------

AUTOCOMPLETE = {
    "applicant_name": "name",
    "contact_phone": "tel",
    "address": "street-address",
    "enterprise_name": "organization",
}
TEXTAREA_FROM = 200  # characters: longer answers get a multi-line box


def widget_for(name: str, spec: dict[str, Any]) -> str:
    """How a field is shown: text, textarea, tel, date, email, integer, number, select or checkbox."""
    kind = spec.get("type", "string")
    if kind == "boolean":
        return "checkbox"
    if "enum" in spec:
        return "select"
    if kind in ("integer", "number"):
        return kind
    if spec.get("format") in ("date", "email"):
        return str(spec["format"])
    if spec.get("pattern") == PHONE_PATTERN:
        return "tel"
    if spec.get("x-widget") == "textarea" or int(spec.get("maxLength") or 0) > TEXTAREA_FROM:
        return "textarea"
    return "text"


def form_fields(
    schema: dict[str, Any], values: dict[str, Any], errors: dict[str, list[str]] | None = None
) -> list[dict[str, Any]]:
    """One description per field, in schema order, for the form page (label, hint, widget, value, errors)."""
    required = set(schema.get("required", []))
    errors = errors or {}
    fields = []
    for name, spec in schema["properties"].items():
        value = values.get(name, "")
        title = str(spec.get("title", name))
        hint = str(spec.get("description", ""))
        fields.append(
            {
                "name": name,
                "id": f"field-{name}",
                "title": _(title),
                # Titles the platform defines are translated; an implementation's own stay Chinese content.
                "title_is_content": _(title) == title,
                "hint": _(hint) if hint else "",
                "hint_is_content": bool(hint) and _(hint) == hint,
                "widget": widget_for(name, spec),
                "required": name in required,
                "value": "" if value is None else value,
                "choices": [str(option) for option in spec.get("enum", [])],
                "max_length": spec.get("maxLength"),
                "autocomplete": AUTOCOMPLETE.get(name, ""),
                "errors": errors.get(name, []),
            }
        )
    return fields


def _typed(spec: dict[str, Any], raw: str) -> Any:
    """The value a field's text stands for; text that is not a number stays text (the schema says why)."""
    kind = spec.get("type", "string")
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            number = float(raw)
            return int(number) if number.is_integer() else number
    except ValueError:
        return raw
    return raw


def values_from_post(schema: dict[str, Any], post: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed form values from a submitted form (only the schema's fields), and the raw text as typed
    (to show back on an error). Empty answers are left out, so a required one is reported missing."""
    values: dict[str, Any] = {}
    raw_values: dict[str, str] = {}
    for name, spec in schema["properties"].items():
        if spec.get("type") == "boolean":
            checked = post.get(name) in ("1", "on", "true", "yes")
            values[name] = checked
            raw_values[name] = "1" if checked else ""
            continue
        raw = str(post.get(name, "") or "").strip()
        raw_values[name] = raw
        if raw:
            values[name] = _typed(spec, raw)
    return values, raw_values


def answers(schema: dict[str, Any], values: dict[str, Any]) -> list[dict[str, Any]]:
    """The filled-in form as (field, title, value) rows for check-your-answers and the case page."""
    rows = []
    for name, spec in schema["properties"].items():
        if name not in values or values[name] in ("", None):
            continue
        value = values[name]
        if spec.get("type") == "boolean":
            value = _("是") if value else _("否")
        title = str(spec.get("title", name))
        rows.append({"name": name, "title": _(title), "title_is_content": _(title) == title, "value": value})
    return rows
