"""The two statements of filing an application, written once per process as plain SQL.

Filing (draft + submit) is the busiest write of the platform. Built through the ORM, these two reads
cost more Python time to compile than the database took to run them, so they are composed from the
models' own table and column names (a renamed column changes them too) and, for the case, loaded
through Django's raw() (its columns get the usual conversions).

- `draft_preflight`: before a draft is made, in one round trip: the case an idempotency key already
  names, the implementation's current publication (status, published version, its publication time) and
  whether a 秒批 rule is on (what submitting a draft made in the same transaction needs).
- `lock_for_submission`: the draft locked, read with everything submission checks under that lock: the
  implementation's current publication, whether a required material is still missing (the names are read
  only on refusal), whether a 秒批 rule is on, and the applicant's phone and e-mail (the notice).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection, models

from yiwang.accounts.models import User
from yiwang.catalog.models import GuideVersion, Implementation

from .models import AutoApprovalRule, Case, CaseMaterial, MaterialStatus

Publication = tuple[str, str, "int | None", Any]  # name, public status, published version id, its time


@dataclass(frozen=True)
class SubmissionFacts:
    """What submitting a draft checks, read once: by the lock statement, or by the preflight of a draft
    made in the same transaction (nobody else sees that row, so it need not be locked and read back)."""

    publication: Publication  # the implementation's current publication
    lacks_required: bool  # a required material is still missing (the names are read only on refusal)
    has_auto_rule: bool  # a 秒批 rule is on for the item
    # A draft made in the same call records no creation of its own: what its record would have said.
    created_record: dict[str, Any] | None = None


# Implementation columns read with the lock; the rest of the row loads on first use (deferred).
_IMPLEMENTATION_FIELDS = (
    "name",
    "implementation_code",
    "public_status",
    "published_version_id",
    "organisation_id",
    "region_id",
)
_USER_FIELDS = ("phone", "email")
_sql: dict[str, str] = {}


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]


def _statement() -> str:
    key = connection.vendor
    if key not in _sql:
        q = connection.ops.quote_name
        extra = [f"i.{q(n)} AS {q('impl_' + n)}" for n in _IMPLEMENTATION_FIELDS]
        extra += [f"u.{q(n)} AS {q('applicant_' + n)}" for n in _USER_FIELDS]
        lock = " FOR UPDATE OF c" if connection.features.has_select_for_update_of else ""
        _sql[key] = (
            f"SELECT c.*, {', '.join(extra)}, g.{q('published_at')} AS published_guide_at, "  # noqa: S608
            f"EXISTS (SELECT 1 FROM {_table(CaseMaterial)} m WHERE m.case_id = c.id "
            f"AND m.necessity = %s AND m.status = %s) AS lacks_required, "
            f"EXISTS (SELECT 1 FROM {_table(AutoApprovalRule)} r "
            f"WHERE r.implementation_id = c.implementation_id AND r.enabled = %s) AS has_auto_rule "
            f"FROM {_table(Case)} c "
            f"JOIN {_table(Implementation)} i ON i.id = c.implementation_id "
            f"JOIN {_table(User)} u ON u.id = c.applicant_id "
            f"LEFT JOIN {_table(GuideVersion)} g ON g.id = i.published_version_id "
            f"WHERE c.id = %s{lock}"
        )
    return _sql[key]


def _preflight_statement() -> str:
    key = f"preflight-{connection.vendor}"
    if key not in _sql:
        q = connection.ops.quote_name
        _sql[key] = (
            f"SELECT i.{q('name')}, i.{q('public_status')}, i.{q('published_version_id')}, "  # noqa: S608
            f"g.{q('published_at')}, "
            f"(SELECT c.id FROM {_table(Case)} c WHERE c.applicant_id = %s AND c.idempotency_key = %s "
            f"AND c.idempotency_key <> '' LIMIT 1), "
            f"EXISTS (SELECT 1 FROM {_table(AutoApprovalRule)} r "
            f"WHERE r.implementation_id = i.id AND r.enabled = %s) "
            f"FROM {_table(Implementation)} i "
            f"LEFT JOIN {_table(GuideVersion)} g ON g.id = i.published_version_id "
            f"WHERE i.id = %s"
        )
    return _sql[key]


def draft_preflight(
    implementation_id: int, applicant_id: int, key: str
) -> tuple[int | None, Publication, bool]:
    """(id of the applicant's case with idempotency key `key` or None, (name, public status, published
    version id, its publication time), whether a 秒批 rule is on) of the implementation;
    Implementation.DoesNotExist when gone."""
    with connection.cursor() as cursor:
        cursor.execute(_preflight_statement(), [applicant_id, key, True, implementation_id])
        row = cursor.fetchone()
    if row is None:
        raise Implementation.DoesNotExist(f"implementation {implementation_id}")
    name, public_status, guide_id, published_at, existing, has_auto_rule = row
    return existing, (name, public_status, guide_id, published_at), bool(has_auto_rule)


M = TypeVar("M", bound=models.Model)


def _partial(model: type[M], values: dict[str, Any]) -> M:
    """An instance with these columns loaded and the others deferred (from_db wants model field order)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, names, [values[n] for n in names])


def lock_for_submission(case_id: int) -> tuple[Case, SubmissionFacts]:
    """The case, locked (SELECT … FOR UPDATE OF the case row only: the joined rows are read, not locked,
    as with select_for_update(of=("self",)) elsewhere), with its implementation and applicant attached
    (other columns load on use), and what submission checks."""
    rows = list(Case.objects.raw(_statement(), ["required", MaterialStatus.MISSING, True, case_id]))
    if not rows:
        raise Case.DoesNotExist(f"case {case_id}")
    case: Any = rows[0]
    values: dict[str, Any] = {"id": case.implementation_id}
    values.update((n, getattr(case, "impl_" + n)) for n in _IMPLEMENTATION_FIELDS)
    case.implementation = _partial(Implementation, values)
    values = {"id": case.applicant_id}
    values.update((n, getattr(case, "applicant_" + n)) for n in _USER_FIELDS)
    case.applicant = _partial(User, values)
    implementation = case.implementation
    facts = SubmissionFacts(
        publication=(
            implementation.name,
            implementation.public_status,
            implementation.published_version_id,
            case.published_guide_at,
        ),
        lacks_required=bool(case.lacks_required),  # SQLite answers EXISTS with 0/1
        has_auto_rule=bool(case.has_auto_rule),
    )
    return case, facts
