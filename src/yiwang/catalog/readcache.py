"""A per-process cache of the public catalogue API's answers, kept honest by a catalogue change marker.

Why: on PostgreSQL, asking the database costs a detail request more than everything else it does (a
round trip, a parse, the rows through psycopg); a published guide version never changes, so the answer to
"the document of code X" only changes when X is published again or withdrawn.

How it stays correct:

- `catalogue_changed()` moves `CatalogueGeneration` (one row) in the same transaction as every change to
  what the API serves (catalog.services publish/withdraw, the bulk generator, the catalogue import), and
  before any other row lock there, so writers queue on it first and cannot deadlock over it. Every worker
  of every deployment sees it through the database; no Redis needed.
- Each process reads the marker at most once per `YIWANG_CATALOG_READ_CACHE_CHECK_SECONDS` (default 1 s).
  When it has moved, the whole process cache is dropped: simple and obviously correct, and publications
  are rare next to reads (a per-code invalidation would need a change log and buys little). So another
  process serves a publication or withdrawal within about one interval; the publishing process drops its
  own cache at once (and again when the transaction commits).
- Entries are stored only if no drop happened since the request started reading (the `token`): a request
  that read the database before a change cannot put its old answer back after the drop.
- List pages also expire after `LIST_MAX_AGE_SECONDS`: their rows join organisation and region names,
  which change without a publication (as the cached counts and region subtrees already do).
- Bounded by bytes (least recently used out first), `YIWANG_CATALOG_READ_CACHE_MB` per process (default
  32; 0 turns the cache off). Only 200 answers are cached, and a detail only when asked by its code.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models import F

from yiwang.catalog.models import CatalogueGeneration

MARKER_PK = 1
LIST_MAX_AGE_SECONDS = 60.0
# What an entry costs besides its body: the OrderedDict node and the entry tuple (~130 bytes, measured
# with tracemalloc) and the key tuple with its strings (~150–350 bytes); rounded up.
ENTRY_OVERHEAD = 400
# No single answer may take more than this share of the budget (a page of 100 rows is ~30 KB).
MAX_ENTRY_SHARE = 8

_SETTINGS = ("YIWANG_CATALOG_READ_CACHE_MB", "YIWANG_CATALOG_READ_CACHE_CHECK_SECONDS")


def read_marker() -> int:
    """The committed catalogue change marker (0 before the first change is recorded)."""
    value = CatalogueGeneration.objects.filter(pk=MARKER_PK).values_list("value", flat=True).first()
    return int(value or 0)


def catalogue_changed() -> None:
    """Record, inside the current transaction, that what the public catalogue API serves has changed.

    Call it in the same transaction as the change: other processes see the new marker exactly when they
    can see the change. This process forgets its cached answers at once and again after the commit.
    """
    if not CatalogueGeneration.objects.filter(pk=MARKER_PK).update(value=F("value") + 1):
        # The row is created by the migration; a flushed test database has none.
        CatalogueGeneration.objects.bulk_create(
            [CatalogueGeneration(pk=MARKER_PK, value=0)], ignore_conflicts=True
        )
        CatalogueGeneration.objects.filter(pk=MARKER_PK).update(value=F("value") + 1)
    drop_local()
    transaction.on_commit(drop_local)


def hold_marker() -> None:
    """Lock the marker row in the current transaction without moving it: for a writer that may or may not
    change the catalogue (an import), so that it takes the marker first, in the usual lock order, and
    moves it (`catalogue_changed`) only when something did change."""
    list(CatalogueGeneration.objects.select_for_update().filter(pk=MARKER_PK).values_list("pk"))


@dataclass
class Stats:
    hits: int = 0
    misses: int = 0
    stores: int = 0
    evictions: int = 0
    drops: int = 0
    marker_reads: int = 0


class ReadCache:
    """A thread-safe LRU of response bodies, valid while the catalogue marker stays where it was.

    Use: `body = cache.get(key)`; on a miss `token = cache.token()` *before* reading the database, then
    `cache.put(key, body, token)`.
    """

    def __init__(
        self,
        *,
        max_bytes: int,
        check_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        marker: Callable[[], int] = read_marker,
    ) -> None:
        self.max_bytes = max(0, int(max_bytes))
        self.check_seconds = max(0.0, float(check_seconds))
        self._clock = clock
        self._marker_reader = marker
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[bytes, float | None]] = OrderedDict()
        self._bytes = 0
        self._epoch = 0  # moves on every drop; entries read before a drop are not stored after it
        self._marker: int | None = None
        self._checked_at: float | None = None
        self.stats = Stats()

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    @property
    def marker(self) -> int | None:
        """The catalogue change marker as this process last read it (None before the first read)."""
        return self._marker

    def current_marker(self) -> int:
        """The marker, read from the database when the check interval has passed (the cache follows it)."""
        self._validate()
        with self._lock:
            if self._marker is not None:
                return self._marker
        return read_marker()  # another thread is reading it for the first time: read it here too

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def _validate(self) -> None:
        """Read the marker when the interval has passed; drop everything when it has moved."""
        now = self._clock()
        with self._lock:
            if self._checked_at is not None and now - self._checked_at < self.check_seconds:
                return
            # Other threads go on serving (for at most one query's time) while this one reads the marker.
            self._checked_at = now
            epoch = self._epoch
        try:
            marker = self._marker_reader()
        except BaseException:
            with self._lock:
                self._checked_at = None  # the next request tries again
                self._drop_locked()  # nothing is served that could not be checked
            raise
        with self._lock:
            self.stats.marker_reads += 1
            if marker != self._marker:
                if self._marker is not None or self._entries:
                    self._drop_locked()
                self._marker = marker
            elif epoch != self._epoch:
                # Dropped meanwhile (a change in this process): the marker read may predate it.
                self._checked_at = None

    def get(self, key: Hashable) -> bytes | None:
        if not self.enabled:
            return None
        self._validate()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.stats.misses += 1
                return None
            body, expires = entry
            if expires is not None and self._clock() >= expires:
                self._remove_locked(key)
                self.stats.misses += 1
                return None
            self._entries.move_to_end(key)
            self.stats.hits += 1
            return body

    def token(self) -> int:
        """Take before reading the database for an answer to `put` later."""
        return self._epoch

    def put(self, key: Hashable, body: bytes, token: int, *, max_age: float | None = None) -> bool:
        """Keep `body` unless the cache was dropped since `token` was taken; True when kept."""
        if not self.enabled:
            return False
        cost = len(body) + ENTRY_OVERHEAD
        if cost * MAX_ENTRY_SHARE > self.max_bytes:
            return False
        expires = None if max_age is None else self._clock() + max_age
        with self._lock:
            if token != self._epoch:
                return False
            if key in self._entries:
                self._remove_locked(key)
            self._entries[key] = (body, expires)
            self._bytes += cost
            self.stats.stores += 1
            while self._bytes > self.max_bytes:
                oldest = next(iter(self._entries))
                self._remove_locked(oldest)
                self.stats.evictions += 1
            return True

    def drop(self) -> None:
        """Forget every entry and read the marker again on the next request."""
        with self._lock:
            self._drop_locked()
            self._checked_at = None

    def _drop_locked(self) -> None:
        self._entries.clear()
        self._bytes = 0
        self._epoch += 1
        self.stats.drops += 1

    def _remove_locked(self, key: Hashable) -> None:
        body, _expires = self._entries.pop(key)
        self._bytes -= len(body) + ENTRY_OVERHEAD

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "entries": len(self._entries),
                "bytes": self._bytes,
                "max_bytes": self.max_bytes,
                "marker": self._marker,
                **vars(self.stats),
            }


# --- the process's cache ------------------------------------------------------------------------------

_instance: ReadCache | None = None
_instance_lock = threading.Lock()
_namespace = 0


def responses() -> ReadCache:
    """This process's cache of catalogue API answers, sized by the settings."""
    global _instance
    found = _instance
    if found is None:
        with _instance_lock:
            found = _instance
            if found is None:
                found = _instance = ReadCache(
                    max_bytes=int(float(settings.YIWANG_CATALOG_READ_CACHE_MB) * 1024 * 1024),
                    check_seconds=float(settings.YIWANG_CATALOG_READ_CACHE_CHECK_SECONDS),
                )
    return found


def catalogue_version() -> str:
    """The key under which anything derived from the published catalogue may be cached anywhere (counts in
    the shared cache, portal navigation): the change marker, as this process checks it, so every process
    keys by the new value within one check interval of a change. `reset` (between tests, whose changes
    roll back and so leave the marker where it was) starts a namespace of its own."""
    return f"{responses().current_marker()}.{_namespace}"


def drop_local() -> None:
    """Forget this process's cached answers (after a change made here, and between tests)."""
    found = _instance
    if found is not None:
        found.drop()


def reset() -> None:
    """Forget the process's cache altogether (the next request builds one from the current settings), and
    key what is cached elsewhere under a fresh `catalogue_version`."""
    global _instance, _namespace
    with _instance_lock:
        _instance = None
        _namespace += 1


def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in _SETTINGS:
        reset()


setting_changed.connect(_settings_changed)
