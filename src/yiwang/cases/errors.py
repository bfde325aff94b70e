"""Refusals of case operations; every message says in Chinese what is wrong and how to go on."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class CaseError(Exception):
    """A refused case operation (bad input, wrong state, failed guard)."""


class TransitionRefused(CaseError):
    """The action is not allowed from the case's current status, or its guard failed."""


class Conflict(TransitionRefused):
    """Someone else changed the case first (the guarded update matched no row)."""


class NotPermitted(CaseError, PermissionDenied):
    """The actor may not take this action on this case."""
