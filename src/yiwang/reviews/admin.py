"""Back office for 好差评: label sets per level; reviews and work orders read-only (they change only
through reviews.services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Review, ReviewLabel, WorkOrder


@admin.register(ReviewLabel)
class ReviewLabelAdmin(admin.ModelAdmin):
    list_display = ["level", "text", "order", "is_active"]
    list_filter = ["level", "is_active"]


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Review)
class ReviewAdmin(ReadOnly):
    list_display = ["case", "organisation", "level", "channel", "rated_at", "excluded"]
    list_filter = ["level", "channel", "excluded"]
    raw_id_fields = ["case", "rater", "organisation", "implementation", "region"]


@admin.register(WorkOrder)
class WorkOrderAdmin(ReadOnly):
    list_display = ["pk", "organisation", "status", "due_on", "warning_level"]
    list_filter = ["status", "warning_level"]
