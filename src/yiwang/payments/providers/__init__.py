"""Provider registry: `get_provider()` returns the configured one, `get_provider(name)` a named one."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from .base import PaymentProvider, ProviderError

BUILT_IN = {"sandbox": "yiwang.payments.providers.sandbox.SandboxProvider"}


def configured_name() -> str:
    return str(getattr(settings, "YIWANG_PAYMENT_PROVIDER", "") or "sandbox")


@cache
def _load(path: str) -> PaymentProvider:
    provider: PaymentProvider = import_string(path)()
    return provider


def get_provider(name: str | None = None) -> PaymentProvider:
    """The named provider: a built-in one or the configured one. Any other name (it may come from a
    callback URL) is refused, so a request can never make us import an arbitrary dotted path."""
    name = name or configured_name()
    if name not in BUILT_IN and name != configured_name():
        raise ProviderError(f"未知的支付渠道：{name[:64]}。")
    path = BUILT_IN.get(name, name)
    try:
        return _load(path)
    except ImportError:
        raise ProviderError(f"未知的支付渠道：{name}。") from None
