"""Template helpers for the portal: content in the chosen script, code labels, time limits, yes/no."""

from __future__ import annotations

from typing import Any

from django import template
from django.db import models
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from yiwang.catalog import codes
from yiwang.web.text import to_traditional

register = template.Library()

CODE_TABLES: dict[str, type[models.Choices]] = {
    name: value
    for name, value in vars(codes).items()
    if isinstance(value, type) and issubclass(value, models.Choices) and value.__module__ == codes.__name__
}


@register.filter
def zh(value: Any) -> Any:
    """Published content (Simplified Chinese) in Traditional characters when the page is in 繁體."""
    if isinstance(value, str) and (get_language() or "").lower() == "zh-hant":
        converted = to_traditional(value)
        # s2t maps Chinese characters to Chinese characters only, so escaped HTML stays safe.
        return mark_safe(converted) if isinstance(value, SafeData) else converted  # noqa: S308
    return value


@register.simple_tag
def code_label(table: str, value: Any, fallback: str = "") -> str:
    """The label of a code in the page's language; the published (Chinese) label when the code is unknown."""
    choices = CODE_TABLES[table]
    if value in (None, "") and "" not in choices.values:
        return ""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(zh(fallback or value or ""))


@register.simple_tag
def code_labels(table: str, values: Any) -> str:
    """Several codes (服务对象, 办理形式, 送达方式 …) as one list in the page's language."""
    labels = [code_label(table, value) for value in values or []]
    return _("、").join(label for label in labels if label)


@register.simple_tag
def time_limit(value: Any, unit: str = codes.TimeUnit.WORKING_DAY) -> str:
    """A time limit with its unit: “20 个工作日”, “即办”, or “未规定” when the guide sets none."""
    if unit == codes.TimeUnit.IMMEDIATE or (value == 0 and unit == codes.TimeUnit.WORKING_DAY):
        return _("即办")
    if value is None or value == "":
        return _("未规定")
    texts: dict[str, str] = {
        codes.TimeUnit.WORKING_DAY: _("%(n)s 个工作日"),
        codes.TimeUnit.CALENDAR_DAY: _("%(n)s 个自然日"),
        codes.TimeUnit.MONTH: _("%(n)s 个月"),
        codes.TimeUnit.YEAR: _("%(n)s 年"),
    }
    return texts.get(unit, "%(n)s") % {"n": value}


@register.filter
def yes_no(value: Any) -> str:
    return _("是") if value else _("否")


@register.filter
def count_copies(value: Any) -> str:
    """Material counts: “1 份” or “无需”."""
    return _("%(n)s 份") % {"n": value} if value else _("无需")
