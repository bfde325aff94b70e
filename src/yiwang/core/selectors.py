"""Reads of the core registries."""

from __future__ import annotations

from yiwang.core.models import Region


def region_by_code(code: str) -> Region | None:
    return Region.objects.filter(code=code).first()
