"""Back office: read-only views of assessment data (changes go through the pages and `yiwang assess`,
which audit them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import IndicatorTree, Round, Run, Subject


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(IndicatorTree)
class IndicatorTreeAdmin(ReadOnly):
    list_display = ["name", "version", "frozen", "created_at"]


@admin.register(Round)
class RoundAdmin(ReadOnly):
    list_display = ["name", "subject_kind", "status", "is_sample", "created_at"]
    list_filter = ["status", "subject_kind", "is_sample"]


@admin.register(Subject)
class SubjectAdmin(ReadOnly):
    list_display = ["round", "region_code", "name", "platform", "portal_url"]


@admin.register(Run)
class RunAdmin(ReadOnly):
    list_display = ["round", "number", "status", "started_at", "finished_at"]
    exclude = ["inputs"]
