"""Failure counters and rate limits in the Django cache (local memory embedded, Redis at scale).

Our own counter rather than django-axes: one mechanism covers password, SMS-code and TOTP failures and
SMS sending alike, keyed by account, phone or client address, and it needs no extra tables or
authentication backend (docs/decisions.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    name: str
    max_events: int
    window_seconds: int


# Sign-in failures per account (or phone): 5 within 15 minutes locks the account for the rest of the window.
ACCOUNT_FAILURES = Limit("fail-account", 5, 15 * 60)
# Failures from one client address across all accounts: slows down password spraying.
ADDRESS_FAILURES = Limit("fail-address", 30, 15 * 60)
# SMS sending: one per phone per minute, ten per phone per day, fifty per client address per hour.
SMS_PER_MINUTE = Limit("sms-minute", 1, 60)
SMS_PER_DAY = Limit("sms-day", 10, 24 * 3600)
SMS_PER_ADDRESS = Limit("sms-address", 50, 3600)


def _key(limit: Limit, subject: str) -> str:
    bucket = int(time.time() // limit.window_seconds)
    return f"yiwang:limit:{limit.name}:{bucket}:{subject}"


def count(limit: Limit, subject: str) -> int:
    return int(cache.get(_key(limit, subject), 0))


def exceeded(limit: Limit, subject: str) -> bool:
    return count(limit, subject) >= limit.max_events


def hit(limit: Limit, subject: str) -> int:
    """Count one event atomically (cache.add then incr, safe across processes on Redis)."""
    key = _key(limit, subject)
    if cache.add(key, 1, timeout=limit.window_seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=limit.window_seconds)
        return 1


def reset(limit: Limit, subject: str) -> None:
    cache.delete(_key(limit, subject))


def seconds_left(limit: Limit) -> int:
    return int(limit.window_seconds - time.time() % limit.window_seconds) + 1
