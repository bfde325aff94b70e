"""The working-day calendar (工作日): is a day a working day, and what is n working days after a day.

Legal time limits are counted in working days (行政许可法 第八十二条: "以工作日计算，不含法定节假日").
A day is a working day when it is Monday–Friday and not a holiday, or when it is a weekend day that the
State Council's schedule turns into a working day (调休上班). The data is one CalendarYear row per known
year (official, or provisional when the official schedule is not yet published) and CalendarDay rows for
the exceptions. A year without a CalendarYear row is never guessed: CalendarYearMissing is raised.

Counting (民法典 第二百零一条: 开始的当日不计入，自下一日开始计算):
- add_working_days(start, n) is the n-th working day strictly after `start`; the start day never counts,
  whether or not it is a working day. n = 0 returns `start` itself.
- working_days_between(a, b) counts the working days in the half-open interval (a, b]; it is negative
  when b is before a. So working_days_between(a, add_working_days(a, n)) == n for every n >= 0.

Speed: these functions run for every deadline, millions of times in a batch. Each year is kept in memory
as a sorted list of its working days (day ordinals), so both functions are a few binary searches. The
in-process cache is dropped when a CalendarYear or CalendarDay row is saved or deleted (signals, see
`connect_signals`), and other processes notice through a version token in the shared Django cache,
checked at most every YIWANG_CALENDAR_RECHECK_SECONDS (default 30).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
import uuid
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core.models import CalendarDay, CalendarDayKind, CalendarYear, CalendarYearStatus

VERSION_CACHE_KEY = "yiwang:core:calendar:version"


class CalendarYearMissing(LookupError):
    """The calendar has no schedule for a year a computation needs."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            _(
                "%(year)d 年的节假日安排尚未录入，无法按工作日计算期限。请管理员在管理后台“日历年度”中录入"
                "该年的放假安排，或运行 `yiwang calendar seed --years %(year)d` 生成（尚未公布的年份将生成临时日历）。"
            )
            % {"year": year}
        )


@dataclass(frozen=True)
class _Year:
    status: str
    exceptions: dict[dt.date, bool]  # date -> is a working day
    workday_ordinals: list[int]  # every working day of the year, ascending


@dataclass
class _State:
    years: dict[int, _Year] | None = None
    version: Any = None
    checked_at: float = 0.0


_state = _State()
_lock = threading.Lock()


def _recheck_seconds() -> float:
    return float(getattr(settings, "YIWANG_CALENDAR_RECHECK_SECONDS", 30))


def _shared_version() -> Any:
    try:
        return cache.get(VERSION_CACHE_KEY)
    except Exception:  # a cache outage must not stop deadline computation; reload from the database
        return uuid.uuid4().hex


def _build_year(year: int, status: str, exceptions: dict[dt.date, bool]) -> _Year:
    ordinals = []
    day = dt.date(year, 1, 1)
    one = dt.timedelta(days=1)
    while day.year == year:
        if exceptions.get(day, day.weekday() < 5):
            ordinals.append(day.toordinal())
        day += one
    return _Year(status=status, exceptions=exceptions, workday_ordinals=ordinals)


def _load_from_database() -> dict[int, _Year]:
    statuses = dict(CalendarYear.objects.values_list("year", "status"))
    exceptions: dict[int, dict[dt.date, bool]] = {year: {} for year in statuses}
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        if day.year in exceptions:
            exceptions[day.year][day] = kind == CalendarDayKind.WORKDAY
    return {year: _build_year(year, status, exceptions[year]) for year, status in statuses.items()}


def _years() -> dict[int, _Year]:
    years = _state.years
    now = time.monotonic()
    if years is not None and now - _state.checked_at < _recheck_seconds():
        return years
    with _lock:
        # Read the token before the data: a change committed in between only causes one extra reload.
        version = _shared_version()
        if _state.years is None or version != _state.version:
            _state.years = _load_from_database()
            _state.version = version
        _state.checked_at = now
        return _state.years


def _year(year: int) -> _Year:
    data = _years().get(year)
    if data is None:
        raise CalendarYearMissing(year)
    return data


def clear_cache() -> None:
    """Forget this process's copy; the next call reloads from the database."""
    with _lock:
        _state.years = None
        _state.version = None
        _state.checked_at = 0.0


def invalidate_cache() -> None:
    """Call after any change of calendar rows: drops the local copy now and tells other processes on commit."""
    clear_cache()

    def announce() -> None:
        clear_cache()
        # On a cache outage other processes still pick the change up at their next database reload.
        with contextlib.suppress(Exception):
            cache.set(VERSION_CACHE_KEY, uuid.uuid4().hex, None)

    transaction.on_commit(announce)


def _on_calendar_change(sender: Any, **kwargs: Any) -> None:
    invalidate_cache()


def connect_signals() -> None:
    for model in (CalendarYear, CalendarDay):
        post_save.connect(_on_calendar_change, sender=model, dispatch_uid=f"workdays-save-{model.__name__}")
        post_delete.connect(_on_calendar_change, sender=model, dispatch_uid=f"workdays-del-{model.__name__}")


# --- The questions ----------------------------------------------------------------------------------


def is_working_day(day: dt.date) -> bool:
    data = _year(day.year)
    return data.exceptions.get(day, day.weekday() < 5)


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The n-th working day after `start` (the start day itself does not count); `start` when n is 0."""
    if n < 0:
        raise ValueError(_("工作日天数不能为负数（收到 %(n)d）。") % {"n": n})
    if n == 0:
        return start
    year = start.year
    after = start.toordinal()
    while True:
        ordinals = _year(year).workday_ordinals
        index = bisect_right(ordinals, after)
        available = len(ordinals) - index
        if n <= available:
            return dt.date.fromordinal(ordinals[index + n - 1])
        n -= available
        year += 1
        after = dt.date(year, 1, 1).toordinal() - 1


def working_days_between(a: dt.date, b: dt.date) -> int:
    """Working days in (a, b]: 0 when a == b, negative (the count in (b, a]) when b is before a."""
    if b < a:
        return -working_days_between(b, a)
    if a == b:
        return 0
    low, high = a.toordinal(), b.toordinal()
    first_year = (a + dt.timedelta(days=1)).year
    count = 0
    for year in range(first_year, b.year + 1):
        ordinals = _year(year).workday_ordinals
        count += bisect_right(ordinals, high) - bisect_right(ordinals, low)
    return count


# --- Which years are known, and how sure we are -------------------------------------------------------


def year_status(year: int) -> str | None:
    """'official', 'provisional' or None when the year is not entered."""
    data = _years().get(year)
    return data.status if data else None


def official_years() -> list[int]:
    return sorted(y for y, data in _years().items() if data.status == CalendarYearStatus.OFFICIAL)


def provisional_years() -> list[int]:
    return sorted(y for y, data in _years().items() if data.status == CalendarYearStatus.PROVISIONAL)


def deadline_is_provisional(start: dt.date, end: dt.date) -> bool:
    """True when any year from start to end has only a provisional calendar (the deadline may move)."""
    low, high = sorted((start, end))
    return any(_year(year).status != CalendarYearStatus.OFFICIAL for year in range(low.year, high.year + 1))


def next_year_warning(today: dt.date | None = None) -> str | None:
    """From November on, a message for administrators when next year's official schedule is missing."""
    today = today or timezone.localdate()
    if today.month < 11:
        return None
    next_year = today.year + 1
    status = year_status(next_year)
    if status == CalendarYearStatus.OFFICIAL:
        return None
    if status == CalendarYearStatus.PROVISIONAL:
        state = _("目前使用按放假办法推算的临时日历，据此计算的期限均标为“临时”")
    else:
        state = _("目前尚未录入，跨年的期限将无法计算")
    return _(
        "%(year)d 年的节假日安排尚未按国务院正式公布的放假通知录入（%(state)s）。"
        "请在国务院公布后，在管理后台“日历年度”“节假日与调休”中录入正式安排，"
        "或升级 chinesecalendar 后运行 `yiwang calendar seed --years %(year)d`。"
    ) % {"year": next_year, "state": state}
