"""Back-office views of the exchange: read-mostly. Grants change only through the exchange pages (services);
call logs and prefill records are append-only evidence and cannot be edited here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import CallLog, Credential, Grant, InternalConsumer, PrefilledMaterial, Resource, ResourceField


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FieldInline(admin.TabularInline):
    model = ResourceField
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Resource)
class ResourceAdmin(ReadOnlyAdmin):
    list_display = (
        "code",
        "name",
        "provider",
        "sharing_type",
        "open_type",
        "update_cycle",
        "adapter",
        "is_active",
    )
    list_filter = ("sharing_type", "open_type", "update_cycle")
    search_fields = ("code", "name")
    inlines = [FieldInline]


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin):
    list_display = ("resource", "consumer", "status", "valid_until", "requested_at")
    list_filter = ("status",)
    search_fields = ("resource__code", "resource__name", "consumer__name")


@admin.register(Credential)
class CredentialAdmin(ReadOnlyAdmin):
    list_display = ("key_id", "organisation", "label", "created_at", "revoked_at")
    search_fields = ("key_id", "organisation__name")


@admin.register(CallLog)
class CallLogAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "consumer", "resource_code", "result", "case_number", "audit_seq")
    list_filter = ("result",)
    search_fields = ("resource_code", "case_number", "consumer__name")


@admin.register(PrefilledMaterial)
class PrefilledMaterialAdmin(ReadOnlyAdmin):
    list_display = ("case_id", "material_name", "provider_name", "outcome", "trust_level", "created_at")
    list_filter = ("outcome",)


@admin.register(InternalConsumer)
class InternalConsumerAdmin(ReadOnlyAdmin):
    list_display = ("use", "organisation")
