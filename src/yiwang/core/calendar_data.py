"""Writes to the working-day calendar: seeding years and administrators' edits, each audited.

Official schedules come from the `chinesecalendar` package (the State Council's yearly 放假通知, 2004 up to
the last announced year). For a year the package does not carry yet, a provisional calendar is computed
from 《全国年节及纪念日放假办法》 as in force since 2025-01-01:

- 元旦 1 Jan; 春节 4 days (农历除夕、正月初一至初三); 清明 (the solar term's day); 劳动节 1–2 May;
  端午 (五月初五); 中秋 (八月十五); 国庆 1–3 Oct. Lunar dates come from `lunardate`, the 清明 solar term
  from chinesecalendar's solar-term formula.
- 第六条: a holiday falling on Saturday or Sunday is made up on the next weekday that is not already off
  (补休).
- No 调休 (weekend working days): they are decided each year and cannot be predicted. Deadlines computed
  on a provisional year are flagged (workdays.deadline_is_provisional) and recomputed when the official
  schedule is entered (the `core.calendar_year_changed` event tells subscribers).

Official data always wins: seeding never replaces an official year with a provisional one, and seeding a
year the package carries replaces a provisional one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import chinese_calendar
from chinese_calendar import constants as official
from django.db import transaction
from django.utils.translation import gettext as _
from lunardate import LunarDate

from yiwang.core import audit, events
from yiwang.core.models import CalendarDay, CalendarDayKind, CalendarYear, CalendarYearStatus
from yiwang.core.workdays import invalidate_cache

CALENDAR_CHANGED_EVENT = "core.calendar_year_changed"
FIRST_PROVISIONAL_RULE_YEAR = 2025  # the 2024 revision of the 放假办法 took effect on 2025-01-01
NAME_MAX = 32


@dataclass(frozen=True)
class PlannedDay:
    date: dt.date
    kind: str
    name: str


@dataclass(frozen=True)
class SeedOutcome:
    year: int
    status: str  # the year's status after seeding
    action: str  # created | replaced | refreshed | unchanged | kept
    days: int

    def describe(self) -> str:
        labels = {
            "created": _("已新建"),
            "replaced": _("临时日历已由正式安排替换"),
            "refreshed": _("已重新生成"),
            "unchanged": _("内容未变"),
            "kept": _("已是正式安排，未改动"),
        }
        return _("%(year)d 年：%(status)s，%(action)s（例外日期 %(days)d 天）") % {
            "year": self.year,
            "status": CalendarYearStatus(self.status).label,
            "action": labels[self.action],
            "days": self.days,
        }


# --- What the sources say -----------------------------------------------------------------------------


def package_years() -> set[int]:
    """Years for which the installed chinesecalendar carries the official schedule."""
    return {day.year for day in official.holidays}


def _holiday_chinese(english: str) -> str:
    try:
        return str(official.Holiday(english).chinese)
    except ValueError:
        return english


def official_days(year: int) -> list[PlannedDay]:
    """Every holiday day (including weekend days inside a holiday period) and every 调休 working day."""
    days = [
        PlannedDay(day, CalendarDayKind.HOLIDAY, _holiday_chinese(name)[:NAME_MAX])
        for day, name in official.holidays.items()
        if day.year == year
    ]
    days += [
        PlannedDay(day, CalendarDayKind.WORKDAY, (_holiday_chinese(name) + _("调休上班"))[:NAME_MAX])
        for day, name in official.workdays.items()
        if day.year == year
    ]
    return sorted(days, key=lambda planned: planned.date)


def _qingming(year: int) -> dt.date:
    terms = chinese_calendar.get_solar_terms(dt.date(year, 4, 1), dt.date(year, 4, 30))
    return next(day for day, name in terms if name == "清明")


def statutory_holidays(year: int) -> dict[dt.date, str]:
    """The 放假办法's holidays for a year (rules in force since 2025), without 补休."""
    spring = LunarDate(year, 1, 1).to_solar_date()
    days = {
        dt.date(year, 1, 1): _("元旦"),
        spring - dt.timedelta(days=1): _("春节"),  # 农历除夕 (the last day of the lunar year)
        _qingming(year): _("清明"),
        dt.date(year, 5, 1): _("劳动节"),
        dt.date(year, 5, 2): _("劳动节"),
        LunarDate(year, 5, 5).to_solar_date(): _("端午"),
        LunarDate(year, 8, 15).to_solar_date(): _("中秋"),
    }
    for offset in range(3):
        days[spring + dt.timedelta(days=offset)] = _("春节")
        days[dt.date(year, 10, 1 + offset)] = _("国庆节")
    return days


def provisional_days(year: int) -> list[PlannedDay]:
    if year < FIRST_PROVISIONAL_RULE_YEAR:
        raise ValueError(
            _("%(year)d 年早于现行放假办法（2025 年起施行），无法推算临时日历，请录入该年的正式安排。")
            % {"year": year}
        )
    holidays = statutory_holidays(year)
    off = set(holidays)
    planned = [PlannedDay(day, CalendarDayKind.HOLIDAY, name) for day, name in holidays.items()]
    for day in sorted(holidays):
        if day.weekday() < 5:
            continue
        makeup = day + dt.timedelta(days=1)
        while makeup.weekday() >= 5 or makeup in off:
            makeup += dt.timedelta(days=1)
        off.add(makeup)
        planned.append(PlannedDay(makeup, CalendarDayKind.HOLIDAY, (holidays[day] + _("补休"))[:NAME_MAX]))
    return sorted(planned, key=lambda planned_day: planned_day.date)


def _official_source() -> str:
    return _("chinesecalendar %(v)s（国务院办公厅放假通知）") % {"v": version("chinesecalendar")}


def _provisional_source() -> str:
    return _("按《全国年节及纪念日放假办法》推算（lunardate %(v)s），未含调休") % {"v": version("lunardate")}


# --- Writing --------------------------------------------------------------------------------------------


def year_snapshot(year: int) -> dict[str, Any]:
    row = CalendarYear.objects.filter(year=year).first()
    days = CalendarDay.objects.filter(date__year=year).order_by("date").values_list("date", "kind", "name")
    return {
        "year": year,
        "status": row.status if row else None,
        "source": row.source if row else None,
        "days": [[day.isoformat(), kind, name] for day, kind, name in days],
    }


def _announce(year: int, status: str | None) -> None:
    invalidate_cache()
    events.publish(CALENDAR_CHANGED_EVENT, {"year": year, "status": status})


def replace_year(year: int, status: str, source: str, days: Iterable[PlannedDay], *, actor: Any) -> bool:
    """Replace a whole year's schedule (its status and every exception day) in one audited transaction.

    Returns False, writing nothing, when the year already holds exactly this schedule.
    """
    planned = sorted(days, key=lambda day: day.date)
    outside = [day.date for day in planned if day.date.year != year]
    if outside:
        raise ValueError(_("日期 %(d)s 不属于 %(year)d 年。") % {"d": outside[0].isoformat(), "year": year})
    wanted = {
        "year": year,
        "status": status,
        "source": source,
        "days": [[day.date.isoformat(), str(day.kind), day.name] for day in planned],
    }
    with transaction.atomic():
        # Lock (or create) the year row first so two writers of the same year queue.
        row, created = CalendarYear.objects.select_for_update().get_or_create(
            year=year, defaults={"status": status, "source": source}
        )
        before = None if created else year_snapshot(year)
        if before == wanted:
            return False
        CalendarDay.objects.filter(date__year=year).delete()
        CalendarDay.objects.bulk_create(CalendarDay(date=p.date, kind=p.kind, name=p.name) for p in planned)
        row.status, row.source = status, source
        row.save()
        audit.record(
            actor=actor,
            action="calendar.replace_year",
            object_type="core.CalendarYear",
            object_id=year,
            before=before,
            after=wanted,
            summary=_("%(year)d 年日历写入：%(status)s，%(n)d 个例外日期（%(source)s）")
            % {"year": year, "status": CalendarYearStatus(status).label, "n": len(planned), "source": source},
        )
        _announce(year, status)
    return True


def seed_year(year: int, *, actor: Any = None, force: bool = False) -> SeedOutcome:
    """Official data when the package has the year, else a provisional calendar; official always wins."""
    current = CalendarYear.objects.filter(year=year).values_list("status", flat=True).first()
    if year in package_years():
        if current == CalendarYearStatus.OFFICIAL and not force:
            return SeedOutcome(year, current, "kept", CalendarDay.objects.filter(date__year=year).count())
        days = official_days(year)
        changed = replace_year(year, CalendarYearStatus.OFFICIAL, _official_source(), days, actor=actor)
        action = (
            "created"
            if current is None
            else "replaced"
            if current != CalendarYearStatus.OFFICIAL
            else "refreshed"
        )
        return SeedOutcome(year, CalendarYearStatus.OFFICIAL, action if changed else "unchanged", len(days))
    if current == CalendarYearStatus.OFFICIAL:
        # Entered by an administrator from the State Council's notice: never overwritten by a guess.
        return SeedOutcome(year, current, "kept", CalendarDay.objects.filter(date__year=year).count())
    days = provisional_days(year)
    changed = replace_year(year, CalendarYearStatus.PROVISIONAL, _provisional_source(), days, actor=actor)
    action = "created" if current is None else "refreshed"
    return SeedOutcome(year, CalendarYearStatus.PROVISIONAL, action if changed else "unchanged", len(days))


def seed_calendar(years: Iterable[int], *, actor: Any = None, force: bool = False) -> list[SeedOutcome]:
    return [seed_year(year, actor=actor, force=force) for year in sorted(set(years))]


def parse_year_range(text: str) -> list[int]:
    """'2020-2027' or '2025' or '2024,2026' into a list of years, with a Chinese error when malformed."""
    years: set[int] = set()
    try:
        for part in text.replace("，", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if "-" in part:
                low, high = (int(x) for x in part.split("-", 1))
            else:
                low = high = int(part)
            if low > high or not (low >= 1949 and high <= 2100):
                raise ValueError
            years.update(range(low, high + 1))
    except ValueError:
        raise ValueError(
            _("年份范围“%(text)s”无法识别：请写成 2020-2027、2025 或 2024,2026（1949–2100 之间）。")
            % {"text": text}
        ) from None
    if not years:
        raise ValueError(_("请至少给出一个年份，例如 --years 2020-2027。"))
    return sorted(years)


# --- Administrators' edits (admin pages) -----------------------------------------------------------------


def _row_state(obj: CalendarYear | CalendarDay | None) -> dict[str, Any] | None:
    if obj is None:
        return None
    if isinstance(obj, CalendarYear):
        return {"year": obj.year, "status": obj.status, "source": obj.source}
    return {"date": obj.date.isoformat(), "kind": obj.kind, "name": obj.name}


def save_calendar_row(obj: CalendarYear | CalendarDay, *, actor: Any) -> None:
    """Save one edited row (admin) with its audit row; deadlines subscribers hear of the change."""
    model = type(obj)
    pk: Any = obj.pk
    with transaction.atomic():
        old = model.objects.select_for_update().filter(pk=pk).first()
        obj.save()
        year = obj.year if isinstance(obj, CalendarYear) else obj.date.year
        audit.record(
            actor=actor,
            action="calendar.change" if old else "calendar.add",
            object_type=f"core.{model.__name__}",
            object_id=obj.pk,
            before=_row_state(old),
            after=_row_state(obj),
            summary=_("管理员修改日历：%(obj)s") % {"obj": str(obj)},
        )
        status = CalendarYear.objects.filter(year=year).values_list("status", flat=True).first()
        _announce(year, status)


def delete_calendar_row(obj: CalendarYear | CalendarDay, *, actor: Any) -> None:
    """Delete one row (admin). Deleting a year also deletes its exception days: the year becomes unknown."""
    model = type(obj)
    with transaction.atomic():
        year = obj.year if isinstance(obj, CalendarYear) else obj.date.year
        state = year_snapshot(year) if isinstance(obj, CalendarYear) else _row_state(obj)
        if isinstance(obj, CalendarYear):
            CalendarDay.objects.filter(date__year=year).delete()
        audit.record(
            actor=actor,
            action="calendar.delete",
            object_type=f"core.{model.__name__}",
            object_id=obj.pk,
            before=state,
            after=None,
            summary=_("管理员删除日历：%(obj)s") % {"obj": str(obj)},
        )
        obj.delete()
        status = CalendarYear.objects.filter(year=year).values_list("status", flat=True).first()
        _announce(year, status)
