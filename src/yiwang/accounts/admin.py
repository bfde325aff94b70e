"""Admin for accounts: users with their memberships, identities (masked only), enterprises and agents,
registry records, sessions and authenticators. OIDC clients are registered under 'Django OAuth Toolkit'."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from yiwang.accounts import services, totp
from yiwang.accounts.models import (
    AgentAuthorisation,
    Enterprise,
    Membership,
    PersonIdentity,
    RegistryEntity,
    RegistryPerson,
    User,
    UserSession,
)
from yiwang.core import audit


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


class IdentityInline(admin.StackedInline):
    model = PersonIdentity
    extra = 0
    can_delete = False
    fields = ["resident_id_masked", "level", "level_source", "level_verified_at"]
    readonly_fields = ["resident_id_masked", "level", "level_source", "level_verified_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "display_name", "phone", "is_staff", "is_active", "last_login"]
    search_fields = ["username", "display_name", "phone"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("一网"), {"fields": ("display_name", "phone")}),
    )
    inlines = [IdentityInline, MembershipInline]
    actions = ["verify_in_person", "reset_totp", "sign_out_everywhere"]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        # A person can see who looked at their account (/account/data/).
        if request.method == "GET":
            audit.record(
                actor=request.user,
                action="identity.viewed",
                object_type="accounts.User",
                object_id=object_id,
                summary="管理后台查看账户信息",
            )
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=_("现场核验通过（实名三级）"))
    def verify_in_person(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        done = 0
        for person in queryset.filter(identity__isnull=False):
            services.verify_in_person(person, actor=request.user)  # type: ignore[arg-type]
            done += 1
        self.message_user(request, _("已将 %(n)d 人提升为实名三级。") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("重置动态口令（丢失手机时）"))
    def reset_totp(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            totp.reset_device(user, actor=request.user)  # type: ignore[arg-type]
        self.message_user(request, _("已重置，下次登录时重新绑定。"), messages.SUCCESS)

    @admin.action(description=_("退出全部登录"))
    def sign_out_everywhere(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.end_all_sessions(user, actor=request.user)
        self.message_user(request, _("已退出所选用户的全部登录。"), messages.SUCCESS)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "covers_region_subtree", "created_at"]
    list_filter = ["role", "covers_region_subtree"]
    search_fields = ["user__username", "user__display_name", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]


class AuthorisationInline(admin.TabularInline):
    model = AgentAuthorisation
    fk_name = "enterprise"
    extra = 0
    fields = ["agent", "all_items", "item_codes", "valid_until", "revoked_at", "granted_by"]
    readonly_fields = ["agent", "all_items", "item_codes", "valid_until", "revoked_at", "granted_by"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # representatives authorise agents on /account/enterprise/…


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["name", "uscc", "representative", "verified_at"]
    search_fields = ["name", "uscc"]
    readonly_fields = ["uscc", "name", "representative", "verified_at"]
    inlines = [AuthorisationInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # registered by the representative against the legal-entity registry


@admin.register(RegistryPerson)
class RegistryPersonAdmin(admin.ModelAdmin):
    list_display = ["name", "is_deceased"]
    search_fields = ["name"]
    fields = ["name", "is_deceased"]


@admin.register(RegistryEntity)
class RegistryEntityAdmin(admin.ModelAdmin):
    list_display = ["name", "uscc", "representative_name", "status", "region_code"]
    search_fields = ["name", "uscc"]
    fields = ["uscc", "name", "representative_name", "status", "region_code"]


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "method", "ip_address", "ended_at"]
    list_filter = ["method"]
    search_fields = ["user__username"]
    readonly_fields = [
        "user",
        "session_key",
        "created_at",
        "last_seen_at",
        "ip_address",
        "user_agent",
        "method",
        "ended_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
