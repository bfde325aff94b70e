"""Rate limits on the public API: a per-address counter per minute, 429 in Chinese with Retry-After."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client, RequestFactory

from yiwang.core import ratelimit

NOOP = "/api/noop"


@pytest.fixture(autouse=True)
def not_at_a_window_edge() -> None:
    """Counts reset every minute; don't start a test in the last two seconds of one."""
    left = ratelimit.WINDOW_SECONDS - time.time() % ratelimit.WINDOW_SECONDS
    if left < 2:
        time.sleep(left + 0.05)


def test_the_request_over_the_limit_gets_429_with_retry_after(client: Client, settings: Any) -> None:
    settings.YIWANG_PUBLIC_API_RATE = 3
    statuses = [client.get(NOOP, REMOTE_ADDR="203.0.113.7").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/api/catalog/item-types", REMOTE_ADDR="203.0.113.7")
    assert refused.status_code == 429
    body = refused.json()
    assert body["detail"].startswith("请求过于频繁：每个地址每分钟最多 3 次请求，请在")
    assert 1 <= int(refused["Retry-After"]) <= 60 and body["retry_after"] == int(refused["Retry-After"])
    other = client.get(NOOP, REMOTE_ADDR="203.0.113.8")
    assert other.status_code == 200  # another address has its own count


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(client: Client, settings: Any) -> None:
    settings.YIWANG_PUBLIC_API_RATE = 2
    spoofed = [
        client.get(NOOP, REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR=f"10.9.9.{i}").status_code
        for i in range(3)
    ]
    assert spoofed == [200, 200, 429]  # a client cannot reset its count by inventing addresses

    settings.YIWANG_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    behind_proxy = [
        client.get(NOOP, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 10.1.1.1").status_code
        for i in (1, 1, 1, 2)
    ]
    assert behind_proxy == [200, 200, 429, 200]


def test_client_address_takes_the_rightmost_untrusted_forwarded_address(settings: Any) -> None:
    settings.YIWANG_TRUSTED_PROXIES = "10.0.0.0/8, 127.0.0.1"
    request = RequestFactory().get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 192.0.2.9, 10.0.0.5"
    )
    assert ratelimit.client_address(request) == "192.0.2.9"
    direct = RequestFactory().get("/", REMOTE_ADDR="192.0.2.50", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert ratelimit.client_address(direct) == "192.0.2.50"


def test_a_rate_of_zero_switches_the_limit_off(client: Client, settings: Any) -> None:
    settings.YIWANG_PUBLIC_API_RATE = 0
    assert {client.get(NOOP, REMOTE_ADDR="203.0.113.9").status_code for _ in range(5)} == {200}


def test_hit_counts_atomically_per_window(settings: Any) -> None:
    decisions = [ratelimit.hit("unit", "198.51.100.20", limit=2) for _ in range(3)]
    assert [d.count for d in decisions] == [1, 2, 3]
    assert [d.allowed for d in decisions] == [True, True, False]
    assert all(1 <= d.retry_after <= 60 for d in decisions)
