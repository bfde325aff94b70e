"""Back-office pages for the core registries. Every change goes through a service and leaves an audit row."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.core import audit, calendar_data, services, validators, workdays
from yiwang.core.models import AuditEntry, CalendarDay, CalendarYear, Organisation, Region


def _json_state(obj: Any) -> dict[str, Any]:
    return {key: (value.pk if hasattr(value, "pk") else value) for key, value in model_to_dict(obj).items()}


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Region | None = None) -> list[str]:
        return ["code"] if obj else []

    def save_model(self, request: HttpRequest, obj: Region, form: forms.ModelForm, change: bool) -> None:
        with transaction.atomic():
            before = _json_state(Region.objects.get(pk=obj.pk)) if change else None
            obj.save()
            audit.record(
                actor=request.user,
                action="region.change" if change else "region.add",
                object_type="core.Region",
                object_id=obj.pk,
                before=before,
                after=_json_state(obj),
                summary=_("管理员修改行政区划 %(obj)s") % {"obj": obj},
            )

    def delete_model(self, request: HttpRequest, obj: Region) -> None:
        with transaction.atomic():
            audit.record(
                actor=request.user,
                action="region.delete",
                object_type="core.Region",
                object_id=obj.pk,
                before=_json_state(obj),
                summary=_("管理员删除行政区划 %(obj)s") % {"obj": obj},
            )
            obj.delete()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Region]) -> None:
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = list(services.ORGANISATION_FIELDS)

    def clean_uscc(self) -> str:
        # Wrong length or characters are errors; a wrong check digit only becomes a stored warning.
        return validators.check_uscc(self.cleaned_data["uscc"]).code

    def clean_phone(self) -> str:
        phone = (self.cleaned_data.get("phone") or "").strip()
        return validators.validate_phone(phone) if phone else ""


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationForm
    list_display = ["name", "uscc", "region", "kind", "is_active", "uscc_warning"]
    list_filter = ["kind", "is_active", "region__level"]
    search_fields = ["name", "short_name", "uscc", "region__name", "region__code"]
    autocomplete_fields = ["region", "parent"]
    readonly_fields = ["uscc_warning"]
    list_select_related = ["region"]

    def save_model(
        self, request: HttpRequest, obj: Organisation, form: forms.ModelForm, change: bool
    ) -> None:
        data = {
            name: form.cleaned_data[name]
            for name in services.ORGANISATION_FIELDS
            if name in form.cleaned_data
        }
        try:
            if change:
                changed = {name: data[name] for name in form.changed_data if name in data}
                saved = services.update_organisation(obj.pk, actor=request.user, **changed)
            else:
                saved = services.register_organisation(actor=request.user, **data)
        except ValidationError as exc:  # a race after the form was validated (e.g. the same USCC)
            messages.error(request, "；".join(exc.messages))
            raise
        obj.pk, obj.uscc_warning = saved.pk, saved.uscc_warning
        obj._state.adding = False
        if saved.uscc_warning:
            messages.warning(request, saved.uscc_warning)

    def delete_model(self, request: HttpRequest, obj: Organisation) -> None:
        with transaction.atomic():
            audit.record(
                actor=request.user,
                action="organisation.delete",
                object_type="core.Organisation",
                object_id=obj.pk,
                before=services.organisation_state(obj),
                summary=_("管理员删除实施机构 %(name)s（%(uscc)s）") % {"name": obj.name, "uscc": obj.uscc},
            )
            obj.delete()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Organisation]) -> None:
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


class _CalendarAdmin(admin.ModelAdmin):
    """Administrators enter the State Council's schedule here; every edit is audited and clears the cache."""

    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> None:
        calendar_data.save_calendar_row(obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        calendar_data.delete_calendar_row(obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            for obj in queryset:
                calendar_data.delete_calendar_row(obj, actor=request.user)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        warning = workdays.next_year_warning()
        if warning:
            messages.warning(request, warning)
        return super().changelist_view(request, extra_context)


@admin.register(CalendarYear)
class CalendarYearAdmin(_CalendarAdmin):
    list_display = ["year", "status", "source", "updated_at"]
    list_filter = ["status"]

    def get_readonly_fields(self, request: HttpRequest, obj: CalendarYear | None = None) -> list[str]:
        return ["year"] if obj else []


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name"]

    def clean_date(self) -> Any:
        day = self.cleaned_data["date"]
        if day and not CalendarYear.objects.filter(year=day.year).exists():
            raise ValidationError(
                gettext_lazy("请先在“日历年度”中添加 %(year)d 年（注明正式或临时），再录入该年的日期。")
                % {"year": day.year}
            )
        return day


@admin.register(CalendarDay)
class CalendarDayAdmin(_CalendarAdmin):
    form = CalendarDayForm
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    search_fields = ["name"]
    date_hierarchy = "date"

    def get_readonly_fields(self, request: HttpRequest, obj: CalendarDay | None = None) -> list[str]:
        # The date is the key: changing it would silently add a second row. Delete and add instead.
        return ["date"] if obj else []


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only and is written only by core.audit.record."""

    list_display = ["seq", "occurred_at", "actor_label", "action", "object_type", "object_id", "summary"]
    list_filter = ["object_type", "action"]
    search_fields = ["action", "object_type", "object_id", "actor_label", "summary"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False
