"""Rate limits for the public API: a fixed-window counter per client address in the Django cache.

Why a fixed window: one atomic increment per request (``cache.incr``; ``cache.add`` opens the window),
which works the same on the local-memory cache and on Redis. The price is that a client may send up to
twice the limit across a window boundary; for shielding a public read API from scrapers that is fine.

With the local-memory cache each server process counts on its own (N workers allow up to N× the rate);
production runs with REDIS_URL, where all processes share one counter.

The client address is REMOTE_ADDR. X-Forwarded-For is believed only when REMOTE_ADDR is one of
settings.YIWANG_TRUSTED_PROXIES (addresses or networks, e.g. "127.0.0.1,10.0.0.0/8"): then the client is
the right-most address in the header that is not itself a trusted proxy.
"""

from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

WINDOW_SECONDS = 60
KEY_PREFIX = "ratelimit"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int  # requests counted in the current window, this one included
    limit: int
    retry_after: int  # seconds until the window resets


def hit(scope: str, ident: str, *, limit: int, window: int = WINDOW_SECONDS) -> Decision:
    """Count one request of `ident` against `limit` per `window` seconds and say whether it may pass.

    A limit of 0 or less switches the check off (every request passes, nothing is counted).
    """
    now = time.time()
    retry_after = max(1, math.ceil(window - (now % window)))
    if limit <= 0:
        return Decision(True, 0, limit, retry_after)
    key = f"{KEY_PREFIX}:{scope}:{ident}:{int(now // window)}"
    # The key outlives its window (2×), so it can never expire between `add` and `incr` while the
    # window is current; Redis would otherwise recreate it without an expiry.
    try:
        count = cache.incr(key)
    except ValueError:
        # `add` fails only when another process opened the window first: then count on its key.
        count = 1 if cache.add(key, 1, timeout=2 * window) else cache.incr(key)
    return Decision(count <= limit, count, limit, retry_after)


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def trusted_proxies() -> tuple[str, ...]:
    value = getattr(settings, "YIWANG_TRUSTED_PROXIES", ())
    if isinstance(value, str):
        value = value.split(",")
    return tuple(part.strip() for part in value if part and part.strip())


def client_address(request: HttpRequest) -> str:
    """The address a request comes from, looking through X-Forwarded-For only behind trusted proxies."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    spec = trusted_proxies()
    if not spec:
        return remote
    networks = _networks(spec)
    if not _trusted(remote, networks):
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for address in reversed([part for part in forwarded if part]):
        if not _trusted(address, networks):
            return address
    return remote


def public_api_rate() -> int:
    return int(getattr(settings, "YIWANG_PUBLIC_API_RATE", 600))


class PublicApiThrottle(BaseThrottle):
    """The ninja throttle for every public API operation: YIWANG_PUBLIC_API_RATE requests per minute.

    Stateless on purpose (threaded workers share one instance): `wait` is recomputed from the clock.
    """

    scope = "public-api"

    def allow_request(self, request: HttpRequest) -> bool:
        decision = hit(self.scope, client_address(request), limit=public_api_rate())
        return decision.allowed

    def wait(self) -> float:
        return float(math.ceil(WINDOW_SECONDS - (time.time() % WINDOW_SECONDS)))
