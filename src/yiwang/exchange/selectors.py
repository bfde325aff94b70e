"""Reads of the exchange: the catalogue, grants as each side sees them, who read a person's data, and how
many materials applicants no longer submit (减材料)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts import permissions
from yiwang.accounts.models import Enterprise, PersonIdentity, Role

from .models import (
    CallLog,
    Credential,
    Grant,
    GrantStatus,
    PrefilledMaterial,
    PrefillOutcome,
    Resource,
    ResourceField,
)

GRANT_ADMIN_ROLES = (Role.ADMIN,)


# --- catalogue ----------------------------------------------------------------------------------------------


def catalogue(*, text: str = "", sharing_type: str = "") -> QuerySet[Resource]:
    qs = Resource.objects.filter(is_active=True).select_related("provider").order_by("code")
    if text.strip():
        qs = qs.filter(Q(name__icontains=text.strip()) | Q(code__icontains=text.strip()))
    if sharing_type:
        qs = qs.filter(sharing_type=sharing_type)
    return qs


def resource_by_code(code: str) -> Resource | None:
    return Resource.objects.select_related("provider").filter(code=code).first()


def fields_of(resource: Resource) -> list[ResourceField]:
    return list(resource.fields.order_by("order", "id"))


def connected_resources() -> list[Resource]:
    """Active resources with a source adapter (the ones prefill can read), with their providers."""
    return list(Resource.objects.filter(is_active=True).exclude(adapter="").select_related("provider"))


SOURCE_NAMES_KEY = "exchange:connected-source-names"
SOURCE_NAMES_SECONDS = 60


def connected_source_names() -> list[str]:
    """The "共享数据或证照来源" names of every connected resource. Asked on every new draft, and they change
    when an administrator connects or edits a resource: cached, dropped by `forget_source_names` when a
    resource is saved or deleted, and at most a minute old in other processes without a shared cache."""
    found = cache.get(SOURCE_NAMES_KEY)
    if found is None:
        table = connection.ops.quote_name(Resource._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT source_names FROM {table} WHERE is_active = %s AND adapter <> ''",  # noqa: S608
                [True],
            )
            found = [row[0] for row in cursor.fetchall()]
        cache.set(SOURCE_NAMES_KEY, found, SOURCE_NAMES_SECONDS)
    return list(found)


def forget_source_names(**_kwargs: Any) -> None:
    """Signal receiver (Resource saved or deleted), and for tests."""
    cache.delete(SOURCE_NAMES_KEY)


def resources_for_material(
    obtainable_source: str, name: str = "", resources: list[Resource] | None = None
) -> list[Resource]:
    """Connected resources a guide's "共享数据或证照来源" (or the material's name) refers to.
    `resources`: connected_resources() already read (one read for all materials of a case)."""
    text = f"{obtainable_source}\n{name}"
    candidates = connected_resources() if resources is None else resources
    return [r for r in candidates if any(alias in text for alias in r.source_name_list)]


# --- grants ---------------------------------------------------------------------------------------------------


def active_grant(consumer_id: int, resource_id: int) -> Grant | None:
    return (
        Grant.objects.filter(
            consumer_id=consumer_id,
            resource_id=resource_id,
            status=GrantStatus.APPROVED,
            valid_until__gt=timezone.now(),
        )
        .order_by("-valid_until")
        .first()
    )


def why_no_grant(consumer_id: int, resource: Resource) -> str:
    """The reason a consumer may not read a resource, from its latest grant."""
    latest = (
        Grant.objects.filter(consumer_id=consumer_id, resource=resource)
        .order_by("-requested_at", "-id")
        .first()
    )
    if latest is None:
        return _("本单位尚未获得“%(r)s”的共享授权，请先在资源目录中申请。") % {"r": resource.name}
    if latest.status == GrantStatus.REVOKED:
        return _("本单位对“%(r)s”的共享授权已被撤销（%(why)s）。") % {
            "r": resource.name,
            "why": latest.revoke_reason or "—",
        }
    if latest.status == GrantStatus.PENDING:
        return _("本单位对“%(r)s”的共享申请尚在审批中。") % {"r": resource.name}
    if latest.status == GrantStatus.REFUSED:
        return _("本单位对“%(r)s”的共享申请未获批准（%(why)s）。") % {
            "r": resource.name,
            "why": latest.decision_reason or "—",
        }
    return _("本单位对“%(r)s”的共享授权已于 %(d)s 到期，请重新申请。") % {
        "r": resource.name,
        "d": f"{timezone.localtime(latest.valid_until):%Y-%m-%d}" if latest.valid_until else "—",
    }


def grant_state_label(grant: Grant) -> str:
    if grant.status == GrantStatus.APPROVED and grant.valid_until and grant.valid_until <= timezone.now():
        return _("已过期")
    return str(GrantStatus(grant.status).label)


def grant_is_active(grant: Grant) -> bool:
    return bool(
        grant.status == GrantStatus.APPROVED and grant.valid_until and grant.valid_until > timezone.now()
    )


def grants_to_decide(user: Any) -> QuerySet[Grant]:
    """Grant requests on resources of organisations where `user` administers data sharing."""
    scope = permissions.organisation_scope_q(user, GRANT_ADMIN_ROLES, prefix="resource__provider__")
    return (
        Grant.objects.filter(scope)
        .select_related("resource__provider", "consumer")
        .order_by("status", "-requested_at", "-id")
    )


def grants_requested_by(user: Any) -> QuerySet[Grant]:
    """Grants held or requested by organisations `user` administers."""
    scope = permissions.organisation_scope_q(user, GRANT_ADMIN_ROLES, prefix="consumer__")
    return Grant.objects.filter(scope).select_related("resource__provider", "consumer")


def consumer_organisations(user: Any) -> list[Any]:
    """Organisations for which `user` may request grants and keys (their admin memberships)."""
    from yiwang.core.models import Organisation

    return list(
        Organisation.objects.filter(
            permissions.organisation_scope_q(user, GRANT_ADMIN_ROLES), is_active=True
        ).order_by("region_id", "name")[:200]
    )


def credentials_of(organisation_id: int) -> QuerySet[Credential]:
    return Credential.objects.filter(organisation_id=organisation_id).order_by("-created_at")


# --- who read my data -------------------------------------------------------------------------------------


def subject_indexes_of(user: Any) -> list[str]:
    """The call-log subjects that are `user`: their resident ID's blind index and enterprises they represent."""
    if not getattr(user, "is_authenticated", False):
        return []
    indexes = list(PersonIdentity.objects.filter(user=user).values_list("resident_id_index", flat=True))
    indexes += list(Enterprise.objects.filter(representative=user).values_list("uscc", flat=True))
    return indexes


def reads_of(user: Any, *, limit: int = 200) -> list[CallLog]:
    indexes = subject_indexes_of(user)
    if not indexes:
        return []
    calls = list(
        CallLog.objects.filter(subject_index__in=indexes)
        .select_related("consumer", "provider", "resource")
        .order_by("-occurred_at", "-id")[:limit]
    )
    # A read made for a draft has no case number yet; show the number the case was filed under since.
    from yiwang.cases.models import Case

    drafts = {c.case_id for c in calls if c.case_id and not c.case_number}
    numbers = dict(Case.objects.filter(pk__in=drafts, number__isnull=False).values_list("pk", "number"))
    for call in calls:
        call.shown_case_number = call.case_number or numbers.get(call.case_id or 0) or ""  # type: ignore[attr-defined]
    return calls


# --- prefill and 减材料 -------------------------------------------------------------------------------------


def prefilled_for_case(case_id: int) -> list[PrefilledMaterial]:
    return list(PrefilledMaterial.objects.filter(case_id=case_id).select_related("resource").order_by("id"))


@dataclass(frozen=True)
class ReducedItem:
    implementation_id: int
    implementation_code: str
    name: str
    organisation: str
    materials: int  # distinct materials obtained through sharing at least once
    obtained: int  # materials obtained (applicants who did not have to submit them)
    failed: int  # fetches that fell back to asking the applicant


def reduced_materials(*, limit: int = 500) -> list[ReducedItem]:
    """Per service item: how many materials applicants no longer submit because sharing provided them."""
    from yiwang.catalog.models import Implementation

    rows = (
        PrefilledMaterial.objects.values("implementation_id")
        .annotate(
            obtained=Count("id", filter=Q(outcome=PrefillOutcome.OBTAINED)),
            failed=Count("id", filter=Q(outcome=PrefillOutcome.FAILED)),
            materials=Count("material_name", filter=Q(outcome=PrefillOutcome.OBTAINED), distinct=True),
        )
        .order_by("-obtained", "implementation_id")[:limit]
    )
    counts = {row["implementation_id"]: row for row in rows}
    implementations = Implementation.objects.filter(pk__in=counts).select_related("organisation")
    items = [
        ReducedItem(
            implementation_id=impl.pk,
            implementation_code=impl.implementation_code,
            name=impl.name,
            organisation=impl.organisation.name,
            materials=counts[impl.pk]["materials"],
            obtained=counts[impl.pk]["obtained"],
            failed=counts[impl.pk]["failed"],
        )
        for impl in implementations
    ]
    return sorted(items, key=lambda item: (-item.obtained, item.implementation_code))


def applicant_case(user: Any, case_id: int) -> Any:
    """One of the signed-in person's own cases (None for anyone else's: same answer as a missing one)."""
    from yiwang.cases import selectors as case_selectors

    return case_selectors.my_cases(user).filter(pk=case_id).first()


def prefill_message(row: PrefilledMaterial) -> str:
    if row.outcome == PrefillOutcome.OBTAINED:
        return _("已从%(p)s获取，无需提交。") % {"p": row.provider_name}
    if row.provider_name:
        return _("未能从%(p)s获取（%(r)s），请上传该材料。") % {
            "p": row.provider_name,
            "r": row.reason.rstrip("。"),
        }
    return _("未能自动获取（%(r)s），请上传该材料。") % {"r": row.reason.rstrip("。")}


def prefill_row(row: PrefilledMaterial) -> dict[str, Any]:
    return {
        "material": row.material_name,
        "outcome": row.outcome,
        "message": prefill_message(row),
        "provider": row.provider_name,
        "trust_level": row.trust_level,
        "document_sm3": row.document_sm3,
    }
