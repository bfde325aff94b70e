"""Reads of the core registries: regions (a code-prefix tree) and organisations."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from yiwang.core.models import Organisation, Region


def region_by_code(code: str) -> Region | None:
    return Region.objects.filter(code=code).first()


def regions(*, parent_code: str | None = None, level: str | None = None) -> QuerySet[Region]:
    queryset = Region.objects.all()
    if parent_code is not None:
        queryset = queryset.filter(parent_id=parent_code)
    if level is not None:
        queryset = queryset.filter(level=level)
    return queryset.order_by("code")


def region_subtree(region: Region, *, include_self: bool = True) -> QuerySet[Region]:
    """The region and every region below it (GB/T 2260: the code prefix before the '00' tails)."""
    queryset = Region.objects.filter(code__startswith=region.subtree_prefix)
    if not include_self:
        queryset = queryset.exclude(code=region.code)
    return queryset.order_by("code")


def region_children(region: Region | str) -> QuerySet[Region]:
    code = region.code if isinstance(region, Region) else region
    return Region.objects.filter(parent_id=code).order_by("code")


def region_ancestors(region: Region) -> list[Region]:
    """From the province down to the direct parent (empty for a province); at most one query."""
    if region.parent_id is None:
        return []
    chain: list[Region] = []
    current = Region.objects.select_related("parent__parent").filter(code=region.parent_id).first()
    while current is not None:
        chain.append(current)
        # The select_related above already holds up to two levels: no query for GB/T 2260's three.
        current = current.parent if current.parent_id else None
    chain.reverse()
    return chain


def organisations(
    *,
    region: Region | None = None,
    subtree: bool = False,
    kind: str | None = None,
    q: str | None = None,
    include_inactive: bool = False,
) -> QuerySet[Organisation]:
    queryset = Organisation.objects.select_related("region")
    if region is not None:
        if subtree:
            queryset = queryset.filter(region__code__startswith=region.subtree_prefix)
        else:
            queryset = queryset.filter(region=region)
    if kind:
        queryset = queryset.filter(kind=kind)
    if q:
        text = q.strip()
        queryset = queryset.filter(
            Q(name__icontains=text) | Q(short_name__icontains=text) | Q(uscc__iexact=text.upper())
        )
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("region_id", "name", "id")


def organisation_by_key(key: str) -> Organisation | None:
    """By USCC (18 characters) or by numeric id."""
    text = key.strip().upper()
    queryset = Organisation.objects.select_related("region", "parent")
    if len(text) == 18:
        return queryset.filter(uscc=text).first()
    if text.isdigit():
        return queryset.filter(pk=int(text)).first()
    return None
