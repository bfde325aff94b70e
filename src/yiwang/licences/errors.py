"""Errors of the licences app; messages are in Simplified Chinese for the person who sees them."""

from __future__ import annotations


class LicenceError(Exception):
    """A request the licences app refuses, with the reason."""


class NotPermitted(LicenceError):
    """The actor may not do this."""


class Conflict(LicenceError):
    """Someone else changed the licence first."""
