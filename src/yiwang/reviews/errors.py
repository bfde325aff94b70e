"""Refusals of 好差评 operations; every message says in Chinese what is wrong and how to go on."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class ReviewError(Exception):
    """A refused operation (bad input, wrong state, failed guard)."""


class Conflict(ReviewError):
    """Someone else changed the row first (the guarded update matched no row)."""


class NotPermitted(ReviewError, PermissionDenied):
    """The actor may not take this action."""
