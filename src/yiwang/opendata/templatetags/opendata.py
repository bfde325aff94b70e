"""Template helpers of the open-data management forms."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def field_value(values: Any, instance: Any, name: str) -> Any:
    """What a form field shows: the value just posted (so nothing typed is lost), else the saved one."""
    if values is not None:
        return values.get(name, "")
    return getattr(instance, name, "") if instance is not None else ""
