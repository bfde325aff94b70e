"""Back office for 政民互动: the knowledge base is edited here (manual entries are re-indexed on save);
messages are read-only (they change only through interaction.services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from . import knowledge
from .models import FaqEntry, FaqSource, Message


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin):
    list_display = ["question", "source", "organisation", "is_active", "updated_at"]
    list_filter = ["source", "is_active"]
    search_fields = ["question"]
    raw_id_fields = ["message", "catalog_faq", "implementation", "organisation"]

    def save_model(self, request: HttpRequest, obj: FaqEntry, form: Any, change: bool) -> None:
        if not obj.source:
            obj.source = FaqSource.MANUAL
        super().save_model(request, obj, form, change)
        knowledge.index_entry(obj)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "title", "organisation", "status", "due_on"]
    list_filter = ["kind", "status"]
    search_fields = ["number", "title"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
