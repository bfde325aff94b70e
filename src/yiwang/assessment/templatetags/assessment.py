"""Template filters of the assessment pages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

register = template.Library()

GRADE_CLASSES = {"非常高": "very-high", "高": "high", "中": "mid", "低": "low"}


@register.filter
def grade_class(grade: str) -> str:
    return GRADE_CLASSES.get(grade, "other")


@register.filter
def signed(value: Any) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"+{number}" if number > 0 else str(number)


@register.filter
def node_score(nodes: dict[str, Any], node_id: str) -> str:
    value = (nodes or {}).get(node_id)
    if value is None:
        return "—"
    return f"{Decimal(value):.2f}"


@register.filter
def source_label(source: str) -> str:
    labels = {
        "platform": _("平台数据"),
        "crawl": _("门户抓取"),
        "questionnaire": _("问卷"),
        "import": _("导入得分"),
    }
    return str(labels.get(source, source))


EVIDENCE_LABELS = {
    "rule": gettext_lazy("规则"),
    "passed": gettext_lazy("通过数"),
    "total": gettext_lazy("总数"),
    "failed_count": gettext_lazy("未通过数"),
    "mean": gettext_lazy("平均值"),
    "median": gettext_lazy("中位数"),
    "checks": gettext_lazy("检查项"),
    "notes": gettext_lazy("备注"),
    "file": gettext_lazy("来源文件"),
    "respondents": gettext_lazy("答卷人数"),
    "answered": gettext_lazy("已答条目"),
    "met": gettext_lazy("答“是”条目"),
    "items": gettext_lazy("各条目"),
    "absolute_score": gettext_lazy("绝对得分（相对模式前）"),
    "probes": gettext_lazy("探测次数"),
    "pages": gettext_lazy("页数"),
    "remote": gettext_lazy("远程来源"),
}


@register.filter
def evidence_label(key: str) -> str:
    return str(EVIDENCE_LABELS.get(key, key))


@register.filter
def evidence_value(value: Any) -> str:
    if isinstance(value, dict):
        return "；".join(f"{k}：{evidence_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "；".join(evidence_value(v) for v in value[:20]) + ("…" if len(value) > 20 else "")
    if value is True:
        return _("是")
    if value is False:
        return _("否")
    return str(value)
