"""Keep what the clerk typed when an action is refused: `{% kept "refuse" "reason" %}`."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def kept(context: Any, action: str, *parts: Any) -> str:
    """The value posted for field `parts` (joined) if the refused action was `action`; else empty."""
    if context.get("error_action") != action:
        return ""
    posted = context.get("posted") or {}
    return str(posted.get("".join(str(p) for p in parts), ""))


@register.simple_tag(takes_context=True)
def kept_on(context: Any, action: str, *parts: Any) -> bool:
    """Whether a checkbox was ticked in the refused `action`."""
    return bool(kept(context, action, *parts))
