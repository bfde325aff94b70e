"""The catalogue back office (Django admin): themes, the basic catalogue, implementations, guides, bundles.

Every state change goes through catalog.services: the admin actions call submit / publish / reject /
new_version / withdraw, a guide's own fields are saved with services.update_draft, and its lists
(materials, steps …) are saved by the inline formsets and then re-checked (services.refresh_quality)
with an audit row. Staff see and act only within their organisations (catalog.permissions); only a draft
can be edited, everything else is shown read-only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import InlineModelAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.accounts import permissions as central
from yiwang.catalog import permissions, selectors, services
from yiwang.catalog.models import (
    BasicItem,
    Bundle,
    BundleMember,
    BundleStatus,
    Faq,
    Fee,
    GuideStatus,
    GuideVersion,
    Implementation,
    Material,
    Situation,
    SpecialProcedure,
    Step,
    Theme,
    Variant,
)
from yiwang.core import audit
from yiwang.core.models import Organisation, Region

CATALOG_ROLES = permissions.EDIT_ROLES | permissions.REVIEW_ROLES
SEVERITY_LABELS = {"blocking": "必须改正", "warning": "建议改进"}
ACTION_ERRORS = (services.CatalogError, PermissionDenied, ValidationError)


# --- who may see what -----------------------------------------------------------------------------


def has_catalog_role(request: HttpRequest) -> bool:
    """An active staff member with a catalogue role somewhere (cached on the request)."""
    user = request.user
    if not (user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    cached = getattr(request, "_catalog_role", None)
    if cached is None:
        cached = central.memberships(user, CATALOG_ROLES).exists()
        request._catalog_role = cached  # type: ignore[attr-defined]
    return bool(cached)


def scoped_organisations(user: Any) -> QuerySet[Organisation]:
    return Organisation.objects.filter(central.organisation_scope_q(user, CATALOG_ROLES))


def bundle_scope_q(user: Any) -> Q:
    """Bundles led by an organisation the user's memberships reach."""
    return central.organisation_scope_q(user, CATALOG_ROLES, prefix="lead_organisation__")


def request_can(request: HttpRequest, action: str, implementation: Implementation) -> bool:
    """permissions.can, remembered for the request (a change page asks once per inline and field set)."""
    cache: dict[tuple[str, int], bool] = request.__dict__.setdefault("_catalog_can", {})
    key = (action, implementation.pk)
    if key not in cache:
        cache[key] = permissions.can(request.user, action, implementation)
    return cache[key]


def can_act_on(request: HttpRequest, implementation: Implementation) -> bool:
    return request_can(request, "edit", implementation) or request_can(request, "publish", implementation)


def findings_html(findings: Iterable[dict[str, Any]]) -> SafeString:
    return format_html(
        "<ul>{}</ul>",
        format_html_join(
            "",
            "<li>[{}] {}</li>",
            ((SEVERITY_LABELS.get(f.get("severity", ""), ""), f.get("message", "")) for f in findings),
        ),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("原因"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=gettext_lazy(
            "写明具体原因，编辑人员和公众会看到它（如：依据某文件取消；材料清单缺少身份证明）。"
        ),
    )


def reason_action(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    title: str,
    intro: str,
    submit_label: str,
    apply: Callable[[str], None],
) -> HttpResponse | None:
    """An action that needs a reason: show a small form first, then apply it to every selected row."""
    if "apply" in request.POST:
        form = ReasonForm(request.POST)
        if form.is_valid():
            apply(form.cleaned_data["reason"])
            return None
    else:
        form = ReasonForm()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "submit_label": submit_label,
        "form": form,
        "queryset": queryset,
        "action": request.POST.get("action", ""),
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "admin/catalog/reason_form.html", context)


def run_each(
    request: HttpRequest, rows: Iterable[Any], label: Callable[[Any], str], operation: Callable[[Any], Any]
) -> int:
    """Apply a service call to each row; report each refusal as an error message, count successes."""
    done = 0
    for row in rows:
        try:
            operation(row)
        except services.PublishRefused as exc:
            blocking = [f for f in exc.findings if f.get("severity") == "blocking"]
            messages.error(
                request,
                format_html(
                    "{}：有 {} 个必须改正的问题，暂不能发布。{}",
                    label(row),
                    len(blocking),
                    findings_html(blocking),
                ),
            )
        except ValidationError as exc:
            messages.error(request, f"{label(row)}：{'；'.join(exc.messages)}")
        except ACTION_ERRORS as exc:
            messages.error(request, f"{label(row)}：{exc}")
        else:
            done += 1
    return done


class AuditedAdmin(admin.ModelAdmin):
    """Plain registry rows (themes, basic items): saved directly, each change audited."""

    def _record(self, request: HttpRequest, obj: Any, action: str, summary: str, **state: Any) -> None:
        meta = obj._meta
        audit.record(
            actor=request.user,
            action=f"{meta.app_label}.{meta.model_name}.{action}",
            object_type=f"{meta.app_label}.{meta.model_name}",
            object_id=obj.pk,
            summary=f"{summary}{meta.verbose_name}：{obj}",
            **state,
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = model_to_dict(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        self._record(
            request,
            obj,
            "update" if change else "create",
            "修改" if change else "新增",
            before=before,
            after=model_to_dict(obj),
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._record(request, obj, "delete", "删除", before=model_to_dict(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self._record(request, obj, "delete", "删除", before=model_to_dict(obj))
        super().delete_queryset(request, queryset)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) or has_catalog_role(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or has_catalog_role(request)


# --- registries -----------------------------------------------------------------------------------


@admin.register(Theme)
class ThemeAdmin(AuditedAdmin):
    list_display = ("code", "name", "audience", "order")
    list_filter = ("audience",)
    search_fields = ("code", "name")
    ordering = ("audience", "order", "code")


@admin.register(BasicItem)
class BasicItemAdmin(AuditedAdmin):
    list_display = ("basic_code", "name", "item_type", "competent_department", "is_national", "parent")
    list_filter = ("item_type", "is_national")
    search_fields = ("basic_code", "name")
    raw_id_fields = ("parent",)
    list_select_related = ("parent",)


class ScopedRegionFilter(admin.SimpleListFilter):
    """Regions that actually have items in the list the user sees (not the whole 3,000-row table)."""

    title = gettext_lazy("行政区划")
    parameter_name = "region"
    region_path = "region"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        codes = model_admin.get_queryset(request).values_list(self.region_path, flat=True).distinct()
        return [(r.code, str(r)) for r in Region.objects.filter(code__in=codes).order_by("code")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(**{self.region_path: self.value()})
        return queryset


class GuideRegionFilter(ScopedRegionFilter):
    region_path = "implementation__region"


class ScopedCatalogAdmin(admin.ModelAdmin):
    """Rows of implementations the user's memberships reach; nothing is added or deleted here."""

    implementation_path = ""  # how to reach the implementation from this model ("" = it is one)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        prefix = f"{self.implementation_path}__" if self.implementation_path else ""
        return queryset.filter(permissions.organisation_scope_q(request.user, CATALOG_ROLES, prefix=prefix))

    def implementation_of(self, obj: Any) -> Implementation:
        return getattr(obj, self.implementation_path) if self.implementation_path else obj

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_catalog_role(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not has_catalog_role(request):
            return False
        return obj is None or can_act_on(request, self.implementation_of(obj))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- shared actions on implementations --------------------------------------------------------------


def _new_versions(request: HttpRequest, implementations: Iterable[Implementation]) -> None:
    created: list[GuideVersion] = []

    def make(impl: Implementation) -> None:
        created.append(services.new_version(impl, actor=request.user))

    run_each(request, implementations, lambda i: i.name or i.implementation_code, make)
    for guide in created:
        url = reverse("admin:catalog_guideversion_change", args=[guide.pk])
        messages.success(
            request,
            format_html(
                '已新建 <a href="{}">{} 第{}版</a>（草稿），请在草稿上修改。', url, guide.name, guide.version
            ),
        )


def _withdraw(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    implementations: Callable[[], list[Implementation]],
) -> HttpResponse | None:
    def apply(reason: str) -> None:
        done = run_each(
            request,
            implementations(),
            lambda i: i.name or i.implementation_code,
            lambda i: services.withdraw(i, reason=reason, actor=request.user),
        )
        if done:
            messages.success(request, _("已取消 %(n)d 个事项。") % {"n": done})

    return reason_action(
        modeladmin,
        request,
        queryset,
        title=_("取消事项"),
        intro=_("以下事项将从公开目录中取消（最后一个版本保留备查）："),
        submit_label=_("确认取消"),
        apply=apply,
    )


# --- implementations ------------------------------------------------------------------------------


@admin.register(Implementation)
class ImplementationAdmin(ScopedCatalogAdmin):
    list_display = (
        "implementation_code",
        "name",
        "organisation",
        "region",
        "item_type",
        "public_status",
        "online_depth",
        "published_at",
    )
    list_filter = ("public_status", "item_type", ScopedRegionFilter)
    search_fields = ("implementation_code", "name", "basic_item__name")
    list_select_related = ("organisation", "region")
    readonly_fields = ("versions_display",)
    fields = (
        "implementation_code",
        "basic_item",
        "organisation",
        "region",
        "public_status",
        "published_version",
        "name",
        "item_type",
        "for_person",
        "for_enterprise",
        "online_depth",
        "published_at",
        "popularity",
        "versions_display",
    )
    actions = ("new_version_action", "withdraw_action")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(self.fields)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # read-only: guides change through their versions

    @admin.display(description=gettext_lazy("办事指南各版本"))
    def versions_display(self, obj: Implementation) -> SafeString:
        rows = (
            (
                reverse("admin:catalog_guideversion_change", args=[v.pk]),
                v.version,
                v.get_status_display(),
                v.quality_score,
            )
            for v in obj.versions.order_by("-version")
        )
        return format_html(
            "<ul>{}</ul>", format_html_join("", '<li><a href="{}">第{}版</a> {} · 质量评分 {}</li>', rows)
        )

    @admin.action(description=gettext_lazy("新建版本"))
    def new_version_action(self, request: HttpRequest, queryset: QuerySet[Implementation]) -> None:
        _new_versions(request, queryset)

    @admin.action(description=gettext_lazy("取消事项"))
    def withdraw_action(
        self, request: HttpRequest, queryset: QuerySet[Implementation]
    ) -> HttpResponse | None:
        return _withdraw(self, request, queryset, lambda: list(queryset))


# --- guide versions -------------------------------------------------------------------------------


class GuidePartMixin(InlineModelAdmin):
    """A list of a guide version: editable only while the version is a draft and the user may edit it."""

    extra = 0

    def _editable(self, request: HttpRequest, obj: GuideVersion | None) -> bool:
        return (
            obj is not None
            and obj.status == GuideStatus.DRAFT
            and request_can(request, "edit", obj.implementation)
        )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_catalog_role(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        # A row may only point at rows of the same version (a situation's variant, a material's situation).
        for name, model in (("variant", Variant), ("situation", Situation)):
            field = formset.form.base_fields.get(name)
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = model.objects.filter(guide=obj) if obj else model.objects.none()
        return formset


class VariantInline(GuidePartMixin, admin.TabularInline):
    model = Variant
    fields = ("order", "code_suffix", "name")


class SituationInline(GuidePartMixin, admin.TabularInline):
    model = Situation
    fields = ("order", "name", "variant", "description")


class MaterialInline(GuidePartMixin, admin.StackedInline):
    model = Material
    fields = (
        ("order", "name", "situation"),
        ("necessity", "form", "source_channel"),
        ("original_count", "copy_count", "issuing_body", "issue_time_requirement"),
        ("obtainable_by", "obtainable_source"),
        "notes",
        "usage_notes",
        ("blank_form", "sample"),
    )


class StepInline(GuidePartMixin, admin.TabularInline):
    model = Step
    fields = ("order", "name", "role", "time_limit", "standard", "result")


class FeeInline(GuidePartMixin, admin.TabularInline):
    model = Fee
    fields = ("order", "name", "standard", "amount", "basis", "reducible", "reduction_basis")


class SpecialProcedureInline(GuidePartMixin, admin.TabularInline):
    model = SpecialProcedure
    fields = (
        "order",
        "kind",
        "name",
        "time_limit",
        "time_limit_unit",
        "legal_basis",
        "charges_fee",
        "counts_toward_limit",
    )


class FaqInline(GuidePartMixin, admin.TabularInline):
    model = Faq
    fields = ("order", "question", "answer")


class GuideVersionForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk:
            # Lock the row for the rest of this (atomic) admin request, and refuse if it left draft meanwhile.
            status = (
                GuideVersion.objects.select_for_update()
                .filter(pk=self.instance.pk)
                .values_list("status", flat=True)
                .first()
            )
            if status != GuideStatus.DRAFT:
                raise ValidationError(
                    _("该版本已不是草稿（可能刚被提交审核或发布），不能再修改；请刷新页面。")
                )
        return cleaned


GUIDE_FIELDSETS: tuple[tuple[str, tuple[Any, ...]], ...] = (
    (
        "基本要素",
        (
            "name",
            "aliases",
            ("item_type", "exercise_level"),
            "legal_basis",
            "authority_division",
            "exercise_content",
            ("subject_nature", "power_source"),
            ("entrusting_department", "undertaking_organisation"),
            "joint_organisations",
        ),
    ),
    (
        "时限",
        (
            ("legal_limit", "legal_limit_unit", "legal_limit_note"),
            ("promised_limit", "promised_limit_unit", "promised_limit_note"),
            "case_type",
        ),
    ),
    (
        "受理与结果",
        (
            "acceptance_conditions",
            "intermediary_services",
            "quantity_limit",
            ("result_name", "result_type"),
            "result_sample",
        ),
    ),
    ("收费", ("charges_fee", "fee_basis")),
    ("对象与主题", ("service_objects", "themes", "handling_scope", "jurisdiction")),
    (
        "办理方式",
        (
            "handling_forms",
            ("online_depth", "is_online", "online_url"),
            ("system_level", "sso_pc", "sso_mobile"),
            ("visits", "onsite_reason"),
            ("in_hall", "supports_appointment", "supports_online_payment", "supports_delivery"),
            "delivery_methods",
        ),
    ),
    (
        "地点与联系",
        ("place", "hours", "consultation_method", ("consultation_phone", "supervision_phone")),
    ),
    ("申请表", ("form_schema",)),
    ("计划与说明", (("planned_effective_date", "planned_cancel_date"), "change_note")),
)
EDITABLE_GUIDE_FIELDS = [*services.EDITABLE_FIELDS, "themes", "joint_organisations"]
GUIDE_STATE_FIELDS = (
    "implementation",
    "version",
    "status",
    "quality_display",
    "status_reason",
    "submitted_at",
    "published_at",
    "withdrawn_at",
    "created_by",
    "updated_at",
)


GUIDE_ADMIN_FIELDSETS: Any = (
    ("版本与质量", {"fields": GUIDE_STATE_FIELDS}),
    *((title, {"fields": fields}) for title, fields in GUIDE_FIELDSETS),
)


@admin.register(GuideVersion)
class GuideVersionAdmin(ScopedCatalogAdmin):
    implementation_path = "implementation"
    form = GuideVersionForm
    list_display = (
        "name",
        "implementation_code",
        "version",
        "status",
        "quality_score",
        "blocking_findings",
        "updated_at",
    )
    list_filter = ("status", "item_type", GuideRegionFilter)
    search_fields = ("name", "implementation__implementation_code")
    list_select_related = ("implementation",)
    filter_horizontal = ("themes", "joint_organisations")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = GUIDE_ADMIN_FIELDSETS
    inlines = (
        VariantInline,
        SituationInline,
        MaterialInline,
        StepInline,
        FeeInline,
        SpecialProcedureInline,
        FaqInline,
    )
    actions = (
        "submit_action",
        "publish_action",
        "reject_action",
        "new_version_action",
        "withdraw_action",
    )

    @admin.display(description=gettext_lazy("实施编码"), ordering="implementation__implementation_code")
    def implementation_code(self, obj: GuideVersion) -> str:
        return obj.implementation.implementation_code

    @admin.display(description=gettext_lazy("质量检查"))
    def quality_display(self, obj: GuideVersion) -> SafeString:
        findings = obj.quality_findings or []
        if not findings:
            return format_html("质量评分 <strong>{}</strong>，未发现问题。", obj.quality_score)
        return format_html(
            "质量评分 <strong>{}</strong>；必须改正 {} 项，建议改进 {} 项：{}",
            obj.quality_score,
            obj.blocking_findings,
            len(findings) - obj.blocking_findings,
            findings_html(findings),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and obj.is_editable and request_can(request, "edit", obj.implementation):
            return list(GUIDE_STATE_FIELDS)
        return [*GUIDE_STATE_FIELDS, *EDITABLE_GUIDE_FIELDS]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "joint_organisations":
            # Joint organisations come from the same province; the full national list would be unusable.
            prefix = (getattr(request, "_guide_region", "") or "")[:2]
            kwargs["queryset"] = Organisation.objects.filter(region__code__startswith=prefix).order_by("name")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        request._guide_region = obj.implementation.region_id if obj else ""  # type: ignore[attr-defined]
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request: HttpRequest, obj: GuideVersion, form: Any, change: bool) -> None:
        """The guide's own fields and its themes go through services.update_draft (checks, quality, audit)."""
        fields = {
            name: form.cleaned_data[name] for name in form.changed_data if name in services.EDITABLE_FIELDS
        }
        relations = {
            name: form.cleaned_data[name]
            for name in ("themes", "joint_organisations")
            if name in form.changed_data
        }
        if fields or relations:
            services.update_draft(obj, fields=fields, actor=request.user, **relations)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Save the edited lists, then re-check quality and record what changed (many-to-many: above)."""
        changed: dict[str, int] = {}
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
            if formset.has_changed():
                changed[formset.model._meta.model_name] = len(formset.forms) - len(formset.deleted_forms)
        if changed:
            guide = form.instance
            services.refresh_quality(guide)
            audit.record(
                actor=request.user,
                action="catalog.guide.parts",
                object_type="catalog.guide",
                object_id=guide.pk,
                after={"parts": changed},
                summary=f"在管理后台修改办事指南 {guide.name} 第{guide.version}版的{'、'.join(sorted(changed))}",
            )

    @staticmethod
    def _label(guide: GuideVersion) -> str:
        return f"{guide.name} 第{guide.version}版"

    @admin.action(description=gettext_lazy("提交审核"))
    def submit_action(self, request: HttpRequest, queryset: QuerySet[GuideVersion]) -> None:
        done = run_each(request, queryset, self._label, lambda g: services.submit(g, actor=request.user))
        if done:
            messages.success(request, _("已提交审核 %(n)d 个版本。") % {"n": done})

    @admin.action(description=gettext_lazy("发布"))
    def publish_action(self, request: HttpRequest, queryset: QuerySet[GuideVersion]) -> None:
        done = run_each(request, queryset, self._label, lambda g: services.publish(g, actor=request.user))
        if done:
            messages.success(request, _("已发布 %(n)d 个版本。") % {"n": done})

    @admin.action(description=gettext_lazy("退回修改"))
    def reject_action(self, request: HttpRequest, queryset: QuerySet[GuideVersion]) -> HttpResponse | None:
        def apply(reason: str) -> None:
            done = run_each(
                request,
                queryset,
                self._label,
                lambda g: services.reject(g, reason=reason, actor=request.user),
            )
            if done:
                messages.success(request, _("已退回 %(n)d 个版本。") % {"n": done})

        return reason_action(
            self,
            request,
            queryset,
            title=_("退回修改"),
            intro=_("以下版本将退回编辑人员修改，请一次写清所有需要改正的地方："),
            submit_label=_("确认退回"),
            apply=apply,
        )

    @admin.action(description=gettext_lazy("新建版本"))
    def new_version_action(self, request: HttpRequest, queryset: QuerySet[GuideVersion]) -> None:
        _new_versions(request, self._implementations(queryset))

    @admin.action(description=gettext_lazy("取消事项"))
    def withdraw_action(self, request: HttpRequest, queryset: QuerySet[GuideVersion]) -> HttpResponse | None:
        return _withdraw(self, request, queryset, lambda: self._implementations(queryset))

    @staticmethod
    def _implementations(queryset: QuerySet[GuideVersion]) -> list[Implementation]:
        ids = set(queryset.values_list("implementation_id", flat=True))
        return list(Implementation.objects.filter(pk__in=ids).select_related("organisation"))


# --- bundles (一件事) ------------------------------------------------------------------------------


class BundleMemberInline(admin.TabularInline):
    model = BundleMember
    extra = 0
    fields = ("order", "implementation", "note")
    raw_id_fields = ("implementation",)

    def _editable(self, request: HttpRequest, obj: Any) -> bool:
        return obj is None or obj.status == BundleStatus.DRAFT

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_catalog_role(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_catalog_role(request) and self._editable(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_catalog_role(request) and self._editable(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_catalog_role(request) and self._editable(request, obj)


@admin.register(Bundle)
class BundleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "status", "lead_organisation", "region", "promised_limit")
    list_filter = ("status", "audience")
    search_fields = ("code", "name")
    list_select_related = ("lead_organisation", "region")
    filter_horizontal = ("themes",)
    raw_id_fields = ("region",)
    readonly_fields = ("status", "published_at", "merged_materials_display")
    fields = (
        "code",
        "name",
        "description",
        "audience",
        "lead_organisation",
        "region",
        "themes",
        "promised_limit",
        "status",
        "published_at",
        "merged_materials_display",
    )
    inlines = (BundleMemberInline,)
    actions = ("publish_action", "withdraw_action")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Bundle]:
        return super().get_queryset(request).filter(bundle_scope_q(request.user))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_catalog_role(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not has_catalog_role(request):
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return has_catalog_role(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and obj.status != BundleStatus.DRAFT:
            return [*self.fields]
        return list(self.readonly_fields)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "lead_organisation" and not request.user.is_superuser:
            kwargs["queryset"] = scoped_organisations(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=gettext_lazy("合并后的申请材料（一套材料）"))
    def merged_materials_display(self, obj: Bundle) -> SafeString:
        if obj.pk is None:
            return format_html("{}", "—")
        rows = [
            (
                m["name"],
                m["issuing_body"] or "—",
                m["necessity_label"],
                m["original_count"],
                m["copy_count"],
                "、".join(n["name"] or n["implementation_code"] for n in m["needed_by"]),
            )
            for m in selectors.bundle_merged_materials(obj)
        ]
        if not rows:
            return format_html("{}", "暂无（所含事项尚未发布或没有材料）")
        return format_html(
            "<table><thead><tr><th>材料名称</th><th>出具机构</th><th>必要性</th><th>原件</th><th>复印件</th>"
            "<th>所需事项</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows
            ),
        )

    def save_model(self, request: HttpRequest, obj: Bundle, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit.record(
            actor=request.user,
            action="catalog.bundle.update" if change else "catalog.bundle.create",
            object_type="catalog.bundle",
            object_id=obj.code,
            after={name: str(form.cleaned_data.get(name)) for name in form.changed_data},
            summary=f"在管理后台{'修改' if change else '新建'}一件事“{obj.name}”",
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if any(formset.has_changed() for formset in formsets):
            members = list(
                form.instance.memberships.order_by("order", "id").values_list(
                    "implementation__implementation_code", flat=True
                )
            )
            audit.record(
                actor=request.user,
                action="catalog.bundle.members",
                object_type="catalog.bundle",
                object_id=form.instance.code,
                after={"members": members},
                summary=f"在管理后台调整一件事“{form.instance.name}”的事项",
            )

    @admin.action(description=gettext_lazy("发布一件事"))
    def publish_action(self, request: HttpRequest, queryset: QuerySet[Bundle]) -> None:
        done = run_each(request, queryset, str, lambda b: services.publish_bundle(b, actor=request.user))
        if done:
            messages.success(request, _("已发布 %(n)d 个一件事。") % {"n": done})

    @admin.action(description=gettext_lazy("取消一件事"))
    def withdraw_action(self, request: HttpRequest, queryset: QuerySet[Bundle]) -> HttpResponse | None:
        def apply(reason: str) -> None:
            done = run_each(
                request,
                queryset,
                str,
                lambda b: services.withdraw_bundle(b, reason=reason, actor=request.user),
            )
            if done:
                messages.success(request, _("已取消 %(n)d 个一件事。") % {"n": done})

        return reason_action(
            self,
            request,
            queryset,
            title=_("取消一件事"),
            intro=_("以下一件事将从公开目录中取消："),
            submit_label=_("确认取消"),
            apply=apply,
        )
