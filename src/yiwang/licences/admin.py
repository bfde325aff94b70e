"""Back office: licence types are edited here; licences, keys and grants are read-only (they change only
through the services, which sign, audit and publish)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Licence, LicenceEvent, LicenceType, SigningKey, UseGrant


@admin.register(LicenceType)
class LicenceTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "holder_kind", "validity_months", "is_active"]
    search_fields = ["code", "name"]
    filter_horizontal = ["issuers"]
    raw_id_fields = ["defining_organisation"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Licence)
class LicenceAdmin(ReadOnlyAdmin):
    list_display = [
        "identifier",
        "licence_type",
        "issuer",
        "holder_name",
        "holder_id_masked",
        "status",
        "valid_until",
    ]
    list_filter = ["status", "licence_type"]
    search_fields = ["identifier"]
    exclude = ["holder_id_ciphertext", "holder_id_index", "salt"]


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "fingerprint", "created_at", "retired_at"]
    exclude = ["private_ciphertext"]


@admin.register(LicenceEvent)
class LicenceEventAdmin(ReadOnlyAdmin):
    list_display = ["licence", "action", "from_status", "to_status", "actor_label", "occurred_at"]


@admin.register(UseGrant)
class UseGrantAdmin(ReadOnlyAdmin):
    list_display = ["licence", "organisation", "case", "valid_until", "revoked_at", "read_count"]
