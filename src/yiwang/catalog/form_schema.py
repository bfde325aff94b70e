"""The application form an implementation defines for itself (GuideVersion.form_schema), and its check.

A stored schema lists only the item's own fields; the platform always adds the applicant's name, contact
phone and address (and, for an enterprise, its name and USCC) — see cases.formschema. It is a small,
safe subset of JSON Schema 2020-12 so that every stored form can be rendered as an accessible page and
validated on the server:

    {"properties": {"<name>": {"type": "string" | "integer" | "number" | "boolean", "title": "…",
                               "description": "…", "minLength": 1, "maxLength": 200, "pattern": "…",
                               "enum": […], "format": "date" | "email", "minimum": 0, "maximum": 9,
                               "x-widget": "textarea"}},
     "required": ["<name>", …],
     "x-order": ["<name>", …]}

Field order: PostgreSQL's jsonb does not keep the order of object keys, so the order is never taken from
`properties`. It is `x-order` when given (every field once); otherwise the required fields in the order
of `required`, then the optional ones by name (`field_order`).

`check_form_schema` returns every problem as a precise Chinese sentence (empty: the schema is usable).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TYPES = ("string", "integer", "number", "boolean")
FORMATS = ("date", "email")
WIDGETS = ("textarea",)
MAX_FIELDS = 60
TOP_LEVEL_KEYS = frozenset(
    {"$schema", "title", "type", "properties", "required", "additionalProperties", "x-order"}
)
FIELD_KEYS: dict[str, frozenset[str]] = {
    "string": frozenset({"minLength", "maxLength", "pattern", "enum", "format", "x-widget"}),
    "integer": frozenset({"minimum", "maximum", "enum"}),
    "number": frozenset({"minimum", "maximum", "enum"}),
    "boolean": frozenset(),
}
COMMON_KEYS = frozenset({"type", "title", "description"})
# Fields the platform itself puts on every form; an implementation cannot redefine them.
RESERVED_FIELDS = frozenset(
    {"applicant_name", "contact_phone", "address", "enterprise_name", "enterprise_uscc"}
)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_field(name: str, spec: Any) -> list[str]:
    if not isinstance(spec, dict):
        return [_("栏目“%(f)s”的定义应为一个对象（{…}）。") % {"f": name}]
    problems: list[str] = []
    kind = spec.get("type")
    if kind not in TYPES:
        return [_("栏目“%(f)s”的 type 应为 string、integer、number 或 boolean 之一。") % {"f": name}]
    title = spec.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 64:
        problems.append(_("栏目“%(f)s”须有 title（显示给申请人的栏目名称，1–64 个字）。") % {"f": name})
    if "description" in spec and not isinstance(spec["description"], str):
        problems.append(_("栏目“%(f)s”的 description（填写提示）应为文字。") % {"f": name})
    unknown = sorted(set(spec) - COMMON_KEYS - FIELD_KEYS[kind])
    if unknown:
        problems.append(
            _("栏目“%(f)s”（%(t)s 类型）不支持这些设置：%(k)s。")
            % {"f": name, "t": kind, "k": "、".join(unknown)}
        )
    for key in ("minLength", "maxLength"):
        if key in spec and (not _is_int(spec[key]) or spec[key] < 0 or spec[key] > 10000):
            problems.append(_("栏目“%(f)s”的 %(k)s 应为 0 到 10000 之间的整数。") % {"f": name, "k": key})
    if (
        _is_int(spec.get("minLength"))
        and _is_int(spec.get("maxLength"))
        and spec["minLength"] > spec["maxLength"]
    ):
        problems.append(_("栏目“%(f)s”的 minLength 大于 maxLength，没有人能填对。") % {"f": name})
    if "pattern" in spec:
        try:
            re.compile(str(spec["pattern"]))
        except re.error as exc:
            problems.append(_("栏目“%(f)s”的 pattern 不是有效的正则表达式：%(e)s。") % {"f": name, "e": exc})
        if not isinstance(spec["pattern"], str):
            problems.append(_("栏目“%(f)s”的 pattern 应为文字。") % {"f": name})
    if "format" in spec and spec["format"] not in FORMATS:
        problems.append(_("栏目“%(f)s”的 format 只能是 date（日期）或 email（电子邮箱）。") % {"f": name})
    if "x-widget" in spec and spec["x-widget"] not in WIDGETS:
        problems.append(_("栏目“%(f)s”的 x-widget 只能是 textarea（多行文字）。") % {"f": name})
    for key in ("minimum", "maximum"):
        if key in spec and not _is_number(spec[key]):
            problems.append(_("栏目“%(f)s”的 %(k)s 应为数字。") % {"f": name, "k": key})
    if "enum" in spec:
        options = spec["enum"]
        expected = str if kind == "string" else (_is_int if kind == "integer" else _is_number)
        if (
            not isinstance(options, list)
            or not options
            or len(options) > 100
            or not all(isinstance(o, str) if expected is str else expected(o) for o in options)
        ):
            problems.append(
                _("栏目“%(f)s”的 enum（可选项）应为 1–100 个与栏目类型（%(t)s）一致的值。")
                % {"f": name, "t": kind}
            )
        elif len({str(o) for o in options}) != len(options):
            problems.append(_("栏目“%(f)s”的 enum（可选项）有重复。") % {"f": name})
    return problems


def check_form_schema(schema: Any) -> list[str]:
    """Every problem of a stored form schema; an empty dict (use the default form) has none."""
    if schema in (None, {}):
        return []
    if not isinstance(schema, dict):
        return [_("申请表定义应为一个 JSON 对象（{…}），或留空使用默认申请表。")]
    problems: list[str] = []
    unknown = sorted(set(schema) - TOP_LEVEL_KEYS)
    if unknown:
        problems.append(_("申请表定义不支持这些顶层设置：%(k)s。") % {"k": "、".join(unknown)})
    if schema.get("type", "object") != "object":
        problems.append(_("申请表定义的 type 只能是 object。"))
    if schema.get("additionalProperties", False) is not False:
        problems.append(_("申请表不允许额外栏目：additionalProperties 只能是 false 或不写。"))
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return [*problems, _("申请表定义须在 properties 中至少列出一个栏目。")]
    if len(properties) > MAX_FIELDS:
        problems.append(_("申请表栏目不能超过 %(n)d 个，请精简。") % {"n": MAX_FIELDS})
    for name, spec in properties.items():
        if not FIELD_NAME.match(str(name)):
            problems.append(
                _("栏目名“%(f)s”不合规：只能用小写英文字母开头，由小写字母、数字和下划线组成，最长 40 位。")
                % {"f": name}
            )
            continue
        if name in RESERVED_FIELDS:
            problems.append(
                _("栏目“%(f)s”是平台固定栏目（自动加在每张申请表上），不能重复定义。") % {"f": name}
            )
            continue
        problems.extend(_check_field(name, spec))
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        problems.append(_("required 应为栏目名的列表。"))
    else:
        missing = [r for r in required if r not in properties]
        if missing:
            problems.append(_("required 中的栏目未在 properties 中定义：%(f)s。") % {"f": "、".join(missing)})
        if len(set(required)) != len(required):
            problems.append(_("required 中有重复的栏目名。"))
    order = schema.get("x-order")
    if order is not None and (
        not isinstance(order, list) or sorted(map(str, order)) != sorted(map(str, properties))
    ):
        problems.append(_("x-order（栏目顺序）应把 properties 中的每个栏目各列一次。"))
    if not problems:
        try:
            Draft202012Validator.check_schema({"type": "object", "properties": properties})
        except SchemaError as exc:
            problems.append(_("申请表定义不是有效的 JSON Schema：%(e)s") % {"e": exc.message})
    return problems


def field_order(schema: dict[str, Any]) -> list[str]:
    """The order the fields of a (checked) stored schema are shown in; see the module docstring."""
    properties = schema.get("properties") or {}
    if isinstance(schema.get("x-order"), list):
        return [str(name) for name in schema["x-order"]]
    required = [name for name in schema.get("required", []) if name in properties]
    return required + sorted(name for name in properties if name not in required)


def validate_form_schema(value: Any) -> None:
    """Model-field validator: refuse a stored form schema that could not be rendered or validated."""
    problems = check_form_schema(value)
    if problems:
        raise ValidationError(problems)
