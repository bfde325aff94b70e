"""The working-day calendar: official holidays and 调休, counting, missing and provisional years, caching."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from io import StringIO
from typing import Any

import chinese_calendar
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from yiwang.core import calendar_data, events, workdays
from yiwang.core.models import AuditEntry, CalendarDay, CalendarDayKind, CalendarYear, CalendarYearStatus

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.mark.usefixtures("official_calendar")
class TestOfficialYears:
    def test_2025_spring_festival_and_its_makeup_sunday(self) -> None:
        assert workdays.is_working_day(D(2025, 1, 26))  # Sunday, 调休上班
        assert not workdays.is_working_day(D(2025, 1, 28))  # 除夕
        assert not workdays.is_working_day(D(2025, 2, 4))
        assert workdays.is_working_day(D(2025, 2, 5))
        assert workdays.is_working_day(D(2025, 2, 8))  # Saturday, 调休上班

    def test_2025_national_day_week(self) -> None:
        for day in range(1, 9):
            assert not workdays.is_working_day(D(2025, 10, day)), day
        assert workdays.is_working_day(D(2025, 9, 28))  # Sunday
        assert workdays.is_working_day(D(2025, 10, 11))  # Saturday
        assert workdays.is_working_day(D(2025, 10, 9))

    def test_2024_holidays(self) -> None:
        assert not workdays.is_working_day(D(2024, 1, 1))
        assert not workdays.is_working_day(D(2024, 2, 12))  # 春节
        assert workdays.is_working_day(D(2024, 2, 4))  # Sunday 调休
        assert workdays.is_working_day(D(2024, 2, 18))  # Sunday 调休
        assert not workdays.is_working_day(D(2024, 5, 3))
        assert workdays.is_working_day(D(2024, 4, 28))  # Sunday 调休

    def test_2026_holidays(self) -> None:
        assert not workdays.is_working_day(D(2026, 1, 1))
        assert not workdays.is_working_day(D(2026, 10, 1))
        assert workdays.is_working_day(D(2026, 1, 5))

    def test_ordinary_weekdays_and_weekends(self) -> None:
        assert workdays.is_working_day(D(2025, 3, 12))  # Wednesday
        assert not workdays.is_working_day(D(2025, 3, 15))  # Saturday

    def test_start_day_does_not_count(self) -> None:
        # Thursday 2025-03-13: one working day later is Friday; two is Monday.
        assert workdays.add_working_days(D(2025, 3, 13), 1) == D(2025, 3, 14)
        assert workdays.add_working_days(D(2025, 3, 13), 2) == D(2025, 3, 17)
        # Starting on a Saturday: the first working day after it is Monday.
        assert workdays.add_working_days(D(2025, 3, 15), 1) == D(2025, 3, 17)
        assert workdays.add_working_days(D(2025, 3, 13), 0) == D(2025, 3, 13)

    def test_twenty_working_days_across_national_day(self) -> None:
        # Accepted on Friday 2025-09-26: 9-28 (Sunday) works, 10-1..8 off, 10-11 (Saturday) works.
        assert workdays.add_working_days(D(2025, 9, 26), 3) == D(2025, 9, 30)
        assert workdays.add_working_days(D(2025, 9, 26), 4) == D(2025, 10, 9)
        due = workdays.add_working_days(D(2025, 9, 26), 20)
        assert due == D(2025, 10, 30)
        assert workdays.working_days_between(D(2025, 9, 26), due) == 20

    def test_crossing_a_year_boundary(self) -> None:
        # 2024-12-31 is a Tuesday; 2025-01-01 is off; 2025-01-02 is the first working day.
        assert workdays.add_working_days(D(2024, 12, 31), 1) == D(2025, 1, 2)
        assert workdays.add_working_days(D(2024, 12, 27), 2) == D(2024, 12, 31)
        assert workdays.add_working_days(D(2024, 12, 27), 3) == D(2025, 1, 2)
        assert workdays.working_days_between(D(2024, 12, 27), D(2025, 1, 3)) == 4
        assert workdays.working_days_between(D(2025, 1, 3), D(2024, 12, 27)) == -4

    def test_between_is_half_open_and_signed(self) -> None:
        assert workdays.working_days_between(D(2025, 3, 13), D(2025, 3, 13)) == 0
        assert workdays.working_days_between(D(2025, 3, 13), D(2025, 3, 14)) == 1
        assert workdays.working_days_between(D(2025, 3, 14), D(2025, 3, 13)) == -1
        assert workdays.working_days_between(D(2025, 3, 14), D(2025, 3, 16)) == 0

    def test_add_and_between_agree(self) -> None:
        rng = random.Random(20250101)
        for _ in range(400):
            start = D(2023, 1, 1) + dt.timedelta(days=rng.randrange(0, 3 * 365))
            n = rng.randrange(0, 60)
            end = workdays.add_working_days(start, n)
            assert workdays.working_days_between(start, end) == n
            if n:
                assert workdays.is_working_day(end)
                assert workdays.working_days_between(start, end - dt.timedelta(days=1)) == n - 1

    def test_agrees_with_chinesecalendar_find_workday(self) -> None:
        # An independent oracle: for a working-day start, find_workday(n, start) is n working days later.
        rng = random.Random(7)
        checked = 0
        while checked < 300:
            start = D(2023, 1, 1) + dt.timedelta(days=rng.randrange(0, 3 * 365))
            if not chinese_calendar.is_workday(start):
                continue
            n = rng.randrange(1, 45)
            assert workdays.add_working_days(start, n) == chinese_calendar.find_workday(n, start), (start, n)
            checked += 1

    def test_is_working_day_agrees_with_chinesecalendar(self) -> None:
        day = D(2023, 1, 1)
        while day.year < 2027:
            assert workdays.is_working_day(day) == chinese_calendar.is_workday(day), day
            day += dt.timedelta(days=1)

    def test_negative_days_are_refused(self) -> None:
        with pytest.raises(ValueError, match="不能为负数"):
            workdays.add_working_days(D(2025, 3, 13), -1)

    def test_every_seeded_year_is_official(self) -> None:
        assert workdays.official_years() == [2023, 2024, 2025, 2026]
        assert workdays.provisional_years() == []
        assert not workdays.deadline_is_provisional(D(2025, 12, 1), D(2026, 1, 20))


def test_missing_year_raises_a_clear_error() -> None:
    with pytest.raises(workdays.CalendarYearMissing) as caught:
        workdays.is_working_day(D(2031, 3, 3))
    assert caught.value.year == 2031
    assert "2031 年的节假日安排尚未录入" in str(caught.value)
    assert "yiwang calendar seed" in str(caught.value)


def test_counting_into_a_missing_year_raises(official_calendar: object) -> None:
    with pytest.raises(workdays.CalendarYearMissing, match="2027"):
        workdays.add_working_days(D(2026, 12, 20), 20)
    with pytest.raises(workdays.CalendarYearMissing, match="2027"):
        workdays.working_days_between(D(2026, 12, 20), D(2027, 1, 10))
    with pytest.raises(workdays.CalendarYearMissing, match="2027"):
        workdays.deadline_is_provisional(D(2026, 12, 20), D(2027, 1, 10))


def test_provisional_year_is_flagged(official_calendar: object) -> None:
    (outcome,) = calendar_data.seed_calendar([2027])
    assert outcome.status == CalendarYearStatus.PROVISIONAL
    assert workdays.year_status(2027) == CalendarYearStatus.PROVISIONAL
    assert workdays.provisional_years() == [2027]
    assert workdays.deadline_is_provisional(D(2026, 12, 20), D(2027, 1, 20))
    assert not workdays.deadline_is_provisional(D(2026, 11, 2), D(2026, 12, 20))
    # The 放假办法's days: 除夕 + 初一–初三 (2027-02-05..08) with 补休 for the weekend days.
    for day in (D(2027, 1, 1), D(2027, 2, 5), D(2027, 2, 8), D(2027, 2, 9), D(2027, 2, 10), D(2027, 4, 5)):
        assert not workdays.is_working_day(day), day
    for day in (D(2027, 5, 3), D(2027, 6, 9), D(2027, 9, 15), D(2027, 10, 1), D(2027, 10, 4)):
        assert not workdays.is_working_day(day), day
    assert workdays.is_working_day(D(2027, 2, 11))
    assert workdays.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)


def test_provisional_rules_match_the_official_2025_and_2026_statutory_days() -> None:
    # Every statutory day the rules compute for an announced year is a holiday in the official schedule.
    for year in (2025, 2026):
        official_off = {
            p.date for p in calendar_data.official_days(year) if p.kind == CalendarDayKind.HOLIDAY
        }
        assert set(calendar_data.statutory_holidays(year)) <= official_off, year


def test_provisional_calendar_is_refused_before_the_current_rules() -> None:
    with pytest.raises(ValueError, match="早于现行放假办法"):
        calendar_data.provisional_days(2003)


def test_official_wins_over_provisional_and_is_never_overwritten(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    heard: list[dict[str, object]] = []
    monkeypatch.setattr(events, "_handlers", defaultdict(list))  # a private bus for this test
    events.subscribe(calendar_data.CALENDAR_CHANGED_EVENT, lambda _event, payload: heard.append(payload))
    # Pretend the installed chinesecalendar does not know 2026 yet: a provisional year is seeded.
    monkeypatch.setattr(calendar_data, "package_years", lambda: set(range(2004, 2026)))
    with django_capture_on_commit_callbacks(execute=True):
        (outcome,) = calendar_data.seed_calendar([2026])
    assert outcome.status == CalendarYearStatus.PROVISIONAL
    assert not workdays.is_working_day(D(2026, 1, 4))  # a Sunday 调休 that only the official schedule knows
    monkeypatch.setattr(calendar_data, "package_years", lambda: set(range(2004, 2027)))
    # The package is upgraded: re-seeding replaces the provisional year with the official one.
    with django_capture_on_commit_callbacks(execute=True):
        (outcome,) = calendar_data.seed_calendar([2026])
    assert (outcome.status, outcome.action) == (CalendarYearStatus.OFFICIAL, "replaced")
    assert workdays.year_status(2026) == CalendarYearStatus.OFFICIAL
    assert workdays.is_working_day(D(2026, 1, 4))
    official_rows = set(CalendarDay.objects.filter(date__year=2026).values_list("date", "kind"))
    assert official_rows == {(p.date, p.kind) for p in calendar_data.official_days(2026)}
    # Seeding again (even if the package forgot the year) never turns it provisional.
    monkeypatch.setattr(calendar_data, "package_years", lambda: set(range(2004, 2026)))
    (outcome,) = calendar_data.seed_calendar([2026])
    assert (outcome.status, outcome.action) == (CalendarYearStatus.OFFICIAL, "kept")
    assert workdays.year_status(2026) == CalendarYearStatus.OFFICIAL
    assert set(CalendarDay.objects.filter(date__year=2026).values_list("date", "kind")) == official_rows
    assert AuditEntry.objects.filter(action="calendar.replace_year").count() == 2
    assert heard == [
        {"year": 2026, "status": CalendarYearStatus.PROVISIONAL},
        {"year": 2026, "status": CalendarYearStatus.OFFICIAL},
    ]


def test_seed_is_idempotent_and_audited(official_calendar: list[calendar_data.SeedOutcome]) -> None:
    assert {o.action for o in official_calendar} == {"created"}
    rows = AuditEntry.objects.count()
    again = calendar_data.seed_calendar(range(2023, 2027))
    assert {o.action for o in again} == {"kept"}
    forced = calendar_data.seed_calendar(range(2023, 2027), force=True)
    assert {o.action for o in forced} == {"unchanged"}
    assert AuditEntry.objects.count() == rows


def test_seed_command_prints_each_year() -> None:
    out, err = StringIO(), StringIO()
    call_command("calendar", "seed", "--years", "2025-2027", stdout=out, stderr=err)
    text = out.getvalue()
    assert "2025 年：正式" in text and "2027 年：临时" in text
    assert "正式 2 年，临时 1 年" in text
    status = StringIO()
    call_command("calendar", "status", stdout=status, stderr=StringIO())
    assert "2027：临时" in status.getvalue()


def test_seed_command_rejects_a_malformed_range() -> None:
    with pytest.raises(CommandError, match="无法识别"):
        call_command("calendar", "seed", "--years", "2027-2020", stdout=StringIO())


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("2020-2022", [2020, 2021, 2022]),
        ("2025", [2025]),
        ("2024,2026", [2024, 2026]),
        ("2026，2025", [2025, 2026]),
    ],
)
def test_parse_year_range(text: str, years: list[int]) -> None:
    assert calendar_data.parse_year_range(text) == years


def test_november_warning_when_next_year_is_not_official(official_calendar: object) -> None:
    assert workdays.next_year_warning(D(2026, 10, 31)) is None
    message = workdays.next_year_warning(D(2026, 11, 1))
    assert message is not None and "2027 年" in message and "尚未录入" in message
    calendar_data.seed_calendar([2027])
    message = workdays.next_year_warning(D(2026, 11, 1))
    assert message is not None and "临时" in message
    assert workdays.next_year_warning(D(2025, 11, 20)) is None  # 2026 is official


def test_cache_follows_row_changes() -> None:
    calendar_data.seed_calendar([2025])
    assert workdays.is_working_day(D(2025, 3, 12))
    CalendarDay.objects.create(date=D(2025, 3, 12), kind=CalendarDayKind.HOLIDAY, name="测试")
    assert not workdays.is_working_day(D(2025, 3, 12))
    CalendarDay.objects.get(date=D(2025, 3, 12)).delete()
    assert workdays.is_working_day(D(2025, 3, 12))
    CalendarYear.objects.get(year=2025).delete()
    with pytest.raises(workdays.CalendarYearMissing):
        workdays.is_working_day(D(2025, 3, 12))


def test_other_processes_notice_through_the_shared_version(settings: object) -> None:
    from django.core.cache import cache

    calendar_data.seed_calendar([2025])
    assert workdays.is_working_day(D(2025, 3, 12))
    # Another process changed the rows (no signal reached us) and bumped the shared version.
    CalendarDay.objects.bulk_create([CalendarDay(date=D(2025, 3, 12), kind=CalendarDayKind.HOLIDAY)])
    assert workdays.is_working_day(D(2025, 3, 12))  # still the cached answer
    cache.set(workdays.VERSION_CACHE_KEY, "changed-elsewhere", None)
    settings.YIWANG_CALENDAR_RECHECK_SECONDS = 0  # type: ignore[attr-defined]
    assert not workdays.is_working_day(D(2025, 3, 12))
