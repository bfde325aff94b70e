"""One way to keep a fact table and its summary tables in step with their source rows (cases, reviews).

Each source row has at most one stored fact: what it adds to the summaries now. A refresh locks the source
rows in id order (a refresh sees one committed state of each, and two refreshes of one row run one after
the other), compares the stored facts with facts computed afresh, applies the difference to the summary
rows with F() increments (two refreshes of different rows that touch one summary row both land), and
replaces the stale facts. Rows whose count falls to zero are deleted, so the summaries hold exactly the
non-empty cells of a full recompute.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Generic, TypeVar

from django.db import IntegrityError, models, transaction
from django.db.models import F, Q

FactT = TypeVar("FactT")
Deltas = dict[tuple[Any, ...], dict[str, int]]
Contribution = tuple[str, tuple[Any, ...], dict[str, int]]  # (summary table, key, values)


@dataclass(frozen=True)
class FactTable(Generic[FactT]):
    """How one fact table follows its source rows."""

    source: type[models.Model]  # the rows the facts are about (locked by a refresh)
    model: type[models.Model]  # the stored facts, one row per source row
    source_field: str  # the fact column naming its source row, e.g. "case_id"
    fact_type: type[FactT]  # a frozen dataclass whose fields are the fact model's columns
    current: Callable[[list[int]], dict[int, FactT]]  # the facts of these sources as they stand now
    contributions: Callable[[FactT], Iterable[Contribution]]
    summaries: Mapping[str, tuple[type[models.Model], tuple[str, ...]]]  # table → (model, key columns)

    def stored(self, row: Any) -> FactT:
        return self.fact_type(**{f.name: getattr(row, f.name) for f in fields(self.fact_type)})  # type: ignore[arg-type]

    def row(self, fact: FactT) -> models.Model:
        return self.model(**{f.name: getattr(fact, f.name) for f in fields(self.fact_type)})  # type: ignore[arg-type]


def refresh(table: FactTable[Any], ids: Iterable[int], *, chunk: int) -> int:
    """Bring the facts and summary rows of these sources up to date; returns how many facts changed."""
    wanted = sorted(set(ids))
    changed = 0
    for start in range(0, len(wanted), chunk):
        changed += _refresh_chunk(table, wanted[start : start + chunk])
    return changed


@transaction.atomic
def _refresh_chunk(table: FactTable[Any], ids: list[int]) -> int:
    source = table.source._default_manager
    list(source.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk").values_list("pk"))
    stored_rows = table.model._default_manager.filter(**{f"{table.source_field}__in": ids})
    old = {getattr(row, table.source_field): table.stored(row) for row in stored_rows}
    new = table.current(ids)
    deltas: dict[str, Deltas] = {}
    stale = []
    for source_id in ids:
        before, after = old.get(source_id), new.get(source_id)
        if before == after:
            continue
        stale.append(source_id)
        if before is not None:
            add(deltas, table.contributions(before), -1)
        if after is not None:
            add(deltas, table.contributions(after), +1)
    if not stale:
        return 0
    for name, (model, key_names) in table.summaries.items():
        apply_deltas(model, key_names, deltas.get(name, {}))
    table.model._default_manager.filter(**{f"{table.source_field}__in": stale}).delete()
    table.model._default_manager.bulk_create([table.row(new[i]) for i in stale if i in new])
    return len(stale)


def add(deltas: dict[str, Deltas], contributions: Iterable[Contribution], sign: int) -> None:
    for name, key, values in contributions:
        cell = deltas.setdefault(name, {}).setdefault(key, defaultdict(int))
        for column, value in values.items():
            cell[column] += sign * value


def apply_deltas(model: Any, key_names: tuple[str, ...], deltas: Deltas) -> None:
    """Add the deltas to the summary rows (F() increments, creating missing rows), drop emptied rows."""
    for key, changes in deltas.items():
        changes = {name: value for name, value in changes.items() if value}
        if not changes:
            continue
        where = dict(zip(key_names, key, strict=True))
        increments = {name: F(name) + value for name, value in changes.items()}
        if model.objects.filter(**where).update(**increments):
            continue
        try:
            with transaction.atomic():
                model.objects.create(**where, **changes)
        except IntegrityError:  # another refresh created the row meanwhile: add to it
            model.objects.filter(**where).update(**increments)
    # Empty cells go, so the table holds exactly the non-empty cells of a full recompute. In slices: a long
    # OR chain would pass SQLite's expression depth limit.
    keys = list(deltas)
    for start in range(0, len(keys), 100):
        touched = Q(pk__in=[])
        for key in keys[start : start + 100]:
            touched |= Q(**dict(zip(key_names, key, strict=True)))
        model.objects.filter(touched, cases__lte=0).delete()
