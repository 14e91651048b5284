"""Tests for domain.calendar: holiday schedule, Civil Code period rules, year files."""
import json
import time as clock
from datetime import date, datetime, timedelta, timezone

import chinese_calendar
import pytest

from domain.calendar import (
    LIBRARY_YEARS,
    SHANGHAI,
    CalendarDataError,
    Due,
    Unit,
    WorkCalendar,
    YearSchedule,
    load_year_files,
    parse_start,
)

D = date.fromisoformat

# State Council schedule 2026 (国办发明电〔2025〕7号), as carried by chinese-calendar 1.11.0.
DAYS_OFF_2026 = {
    "new_year": ["2026-01-01", "2026-01-02", "2026-01-03"],
    "spring_festival": [f"2026-02-{d}" for d in range(15, 24)],
    "tomb_sweeping": ["2026-04-04", "2026-04-05", "2026-04-06"],
    "labour_day": [f"2026-05-0{d}" for d in range(1, 6)],
    "dragon_boat": ["2026-06-19", "2026-06-20", "2026-06-21"],
    "mid_autumn": ["2026-09-25", "2026-09-26", "2026-09-27"],
    "national_day": [f"2026-10-0{d}" for d in range(1, 8)],
}
# Make-up working days 2026 (weekend days worked): Sun Jan 4; Sat Feb 14, Sat Feb 28;
# Sat May 9; Sun Sep 20, Sat Oct 10.
MAKE_UP_2026 = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]

# MADE-UP TEST DATA, not the real 2027 schedule: Fri Jan 1 off, Sat Jan 9 a make-up working day.
TEST_2027 = {"year": 2027, "holidays": ["2027-01-01"], "workdays": ["2027-01-09"]}


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


# --- the holiday schedule ---------------------------------------------------------------

def test_library_range_is_2004_to_2026():
    # The provisional tests below rely on 2027 being unknown to the pinned library.
    assert LIBRARY_YEARS == range(2004, 2027)
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D("2027-01-04"))


@pytest.mark.parametrize("day", ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"])
def test_2025_make_up_weekend_days_are_working_days(cal, day):
    assert D(day).weekday() >= 5
    assert cal.is_working_day(D(day))


@pytest.mark.parametrize("first, last", [("2025-01-28", "2025-02-04"), ("2025-10-01", "2025-10-08")])
def test_2025_spring_festival_and_national_day_are_days_off(cal, first, last):
    day = D(first)
    while day <= D(last):
        assert not cal.is_working_day(day), day
        day += timedelta(days=1)
    assert cal.is_working_day(D(first) - timedelta(days=1))  # the break does not start earlier
    assert cal.is_working_day(D(last) + timedelta(days=1))


@pytest.mark.parametrize("name", sorted(DAYS_OFF_2026))
def test_2026_breaks_are_days_off(cal, name):
    for text in DAYS_OFF_2026[name]:
        assert not cal.is_working_day(D(text)), text
        assert chinese_calendar.is_holiday(D(text))


@pytest.mark.parametrize("day", MAKE_UP_2026)
def test_2026_make_up_weekend_days_are_working_days(cal, day):
    assert D(day).weekday() >= 5
    assert cal.is_working_day(D(day))


def test_2026_schedule_matches_library_for_every_day(cal):
    # Hard-coded schedule above == the library's view of every 2026 day.
    off = {D(t) for days in DAYS_OFF_2026.values() for t in days}
    make_up = {D(t) for t in MAKE_UP_2026}
    day = D("2026-01-01")
    while day.year == 2026:
        expected = day in make_up or (day.weekday() < 5 and day not in off)
        assert cal.is_working_day(day) is expected, day
        assert chinese_calendar.is_workday(day) is expected, day
        day += timedelta(days=1)


def test_plain_weekend_and_weekday(cal):
    assert not cal.is_working_day(D("2025-09-27"))  # Saturday, not a make-up day
    assert cal.is_working_day(D("2025-09-26"))      # Friday


def test_is_working_day_accepts_aware_datetime_as_shanghai_day(cal):
    # 2025-09-30 20:00 UTC is 2025-10-01 04:00 in Shanghai: National Day.
    assert not cal.is_working_day(datetime(2025, 9, 30, 20, tzinfo=timezone.utc))
    assert cal.is_working_day(datetime(2025, 9, 30, 12, tzinfo=timezone.utc))


# --- working days ------------------------------------------------------------------------

def test_15_working_days_across_national_day_2025(cal):
    # From Fri 2025-09-26 (not counted): Sun 9-28 make-up=1, 9-29=2, 9-30=3, Oct 1-8 off,
    # 10-09=4, 10-10=5, Sat 10-11 make-up=6, 10-13..10-17=7..11, 10-20..10-23=12..15.
    due = cal.due(D("2025-09-26"), 15, Unit.WORKING_DAYS)
    assert due.last_day == D("2025-10-23")
    assert due.at == sh(2025, 10, 24)
    assert due.provisional is False


def test_working_days_across_spring_festival_2026(cal):
    # From Tue 2026-02-10: 2-11=1, 2-12=2, 2-13=3, Sat 2-14 make-up=4, Feb 15-23 off,
    # 2-24=5, 2-25=6, 2-26=7, 2-27=8, Sat 2-28 make-up=9, Sun 3-01 off, Mon 3-02=10.
    due = cal.due(D("2026-02-10"), 10, "working_days")
    assert due.last_day == D("2026-03-02")
    assert due.provisional is False


def test_start_day_is_not_counted(cal):
    # Start on a working Monday: 1 working day ends Tuesday, not Monday.
    assert cal.due(D("2025-09-22"), 1, Unit.WORKING_DAYS).last_day == D("2025-09-23")
    # Start on a holiday: the first working day after it.
    assert cal.due(D("2025-10-01"), 1, Unit.WORKING_DAYS).last_day == D("2025-10-09")


def test_zero_working_days_is_the_start_day(cal):
    due = cal.due(sh(2025, 10, 3, 15, 30), 0, Unit.WORKING_DAYS)
    assert due.last_day == D("2025-10-03")
    assert due.at == sh(2025, 10, 4)


def test_datetime_start_uses_the_shanghai_date(cal):
    # 2025-09-28 17:00 UTC is Mon 2025-09-29 01:00 Shanghai; the next working day is Sep 30.
    due = cal.due(datetime(2025, 9, 28, 17, tzinfo=timezone.utc), 1, Unit.WORKING_DAYS)
    assert due.last_day == D("2025-09-30")
    # The same wall clock, naive, is Shanghai time: Sun Sep 28 -> next working day Sep 29.
    assert cal.due(datetime(2025, 9, 28, 17), 1, Unit.WORKING_DAYS).last_day == D("2025-09-29")


def test_fifteen_working_days_is_fast(cal):
    start = D("2025-09-26")
    began = clock.perf_counter()
    for _ in range(500):
        cal.due(start, 15, Unit.WORKING_DAYS)
    assert (clock.perf_counter() - began) / 500 < 0.001


# --- calendar days and months ----------------------------------------------------------------

def test_calendar_days_ending_on_a_holiday_roll_to_next_working_day(cal):
    due = cal.due(D("2025-09-26"), 5, Unit.CALENDAR_DAYS)  # Oct 1 is National Day
    assert due.last_day == D("2025-10-09")
    assert due.at == sh(2025, 10, 10)


def test_calendar_days_ending_on_a_weekend_roll_to_monday(cal):
    assert cal.due(D("2025-09-01"), 5, Unit.CALENDAR_DAYS).last_day == D("2025-09-08")


def test_calendar_days_ending_on_a_make_up_saturday_do_not_roll(cal):
    assert cal.due(D("2025-10-01"), 10, Unit.CALENDAR_DAYS).last_day == D("2025-10-11")


def test_calendar_days_ending_on_a_working_day(cal):
    assert cal.due(D("2025-09-01"), 3, Unit.CALENDAR_DAYS).last_day == D("2025-09-04")


@pytest.mark.parametrize(
    "start, months, last",
    [
        ("2025-01-31", 1, "2025-02-28"),  # no Feb 31: month end (Fri, working)
        ("2024-01-31", 1, "2024-02-29"),  # leap year
        ("2026-01-31", 1, "2026-02-28"),  # month end is a make-up Saturday: kept
        ("2025-03-15", 1, "2025-04-15"),  # same day of month
        ("2025-11-30", 2, "2026-01-30"),  # across the year end
        ("2025-03-31", 2, "2025-06-03"),  # May 31 Dragon Boat break (May 31-Jun 2) -> Jun 3
        ("2024-10-31", 3, "2025-02-05"),  # Jan 31 Spring Festival (Jan 28-Feb 4) -> Feb 5
        ("2025-08-30", 1, "2025-09-30"),  # Sep 30 Tue
    ],
)
def test_months(cal, start, months, last):
    assert cal.due(D(start), months, Unit.MONTHS).last_day == D(last)


# --- hours ---------------------------------------------------------------------------------

def test_hours_are_clock_hours_across_midnight_and_holiday(cal):
    due = cal.due(sh(2025, 9, 30, 20), 48, Unit.HOURS)
    assert due.at == sh(2025, 10, 2, 20)
    assert due.last_day is None
    assert due.provisional is False


def test_hours_with_utc_input_are_converted_to_shanghai(cal):
    due = cal.due(datetime(2025, 9, 30, 23, tzinfo=timezone.utc), 24, "hours")
    assert due.at == sh(2025, 10, 2, 7)
    assert due.at.utcoffset() == timedelta(hours=8)
    assert due.at.tzinfo == SHANGHAI


def test_hours_from_a_date_start_at_midnight(cal):
    assert cal.due(D("2026-12-31"), 36, Unit.HOURS).at == sh(2027, 1, 1, 12)


# --- unknown and loaded years ------------------------------------------------------------------

def test_unknown_year_is_provisional_weekends_only(cal):
    # From Sun 2026-12-20: Dec 21-25 = 1..5, Dec 28-31 = 6..9, Fri 2027-01-01 = 10 (weekends
    # only), Jan 4-8 = 11..15.
    due = cal.due(D("2026-12-20"), 15, Unit.WORKING_DAYS)
    assert due.last_day == D("2027-01-08")
    assert due.provisional is True
    assert not cal.knows_year(2027)
    assert cal.is_working_day(D("2027-01-01"))
    assert not cal.is_working_day(D("2027-01-09"))


def test_loaded_year_makes_deadline_final(cal):
    loaded = WorkCalendar({2027: YearSchedule.from_json(TEST_2027)})
    # Dec 21-31 = 1..9, Jan 1 off (test data), Jan 4-8 = 10..14, Sat Jan 9 make-up = 15.
    due = loaded.due(D("2026-12-20"), 15, Unit.WORKING_DAYS)
    assert due.last_day == D("2027-01-09")
    assert due.provisional is False
    assert loaded.knows_year(2027)


def test_deadline_inside_a_known_year_is_not_provisional(cal):
    assert cal.due(D("2026-12-01"), 15, Unit.WORKING_DAYS).provisional is False


def test_calendar_days_and_months_into_unknown_year_are_provisional(cal):
    assert cal.due(D("2026-12-30"), 3, Unit.CALENDAR_DAYS).provisional is True
    assert cal.due(D("2026-12-30"), 1, Unit.MONTHS).provisional is True
    assert cal.due(D("2026-11-30"), 1, Unit.MONTHS).provisional is False


def test_loaded_year_overrides_library(cal):
    # Admin correction for 2025: Oct 1 declared a working day, Sep 26 (Fri) a day off.
    fixed = YearSchedule(2025, holidays=frozenset({D("2025-09-26")}), workdays=frozenset())
    corrected = WorkCalendar({2025: fixed})
    assert cal.is_working_day(D("2025-10-01")) is False
    assert corrected.is_working_day(D("2025-10-01")) is True
    assert corrected.is_working_day(D("2025-09-26")) is False
    assert corrected.is_working_day(D("2025-09-28")) is False  # library make-up Sunday dropped
    assert corrected.due(D("2025-09-25"), 1, Unit.WORKING_DAYS).last_day == D("2025-09-29")


def test_loaded_mapping_key_must_match_year():
    with pytest.raises(CalendarDataError, match="2028"):
        WorkCalendar({2028: YearSchedule.from_json(TEST_2027)})


# --- YearSchedule JSON ------------------------------------------------------------------------

def test_year_schedule_round_trip():
    schedule = YearSchedule.from_json(
        {"year": 2027, "holidays": ["2027-01-02", "2027-01-01"], "workdays": ["2027-01-09"]}
    )
    assert schedule.holidays == {D("2027-01-01"), D("2027-01-02")}
    data = schedule.to_json()
    assert data == {"year": 2027, "holidays": ["2027-01-01", "2027-01-02"], "workdays": ["2027-01-09"]}
    assert YearSchedule.from_json(json.loads(json.dumps(data))) == schedule


@pytest.mark.parametrize(
    "data, fragment",
    [
        ({"year": 2027, "holidays": ["2026-12-31"], "workdays": []}, "outside year 2027"),
        ({"year": 2027, "holidays": ["2027-13-01"], "workdays": []}, "holidays[0]"),
        ({"year": 2027, "holidays": ["2027/01/01"], "workdays": []}, "not an ISO date"),
        ({"year": 2027, "holidays": [], "workdays": ["2027-02-30"]}, "workdays[0]"),
        ({"year": 2027, "holidays": ["2027-01-09"], "workdays": ["2027-01-09"]}, "both"),
        ({"holidays": [], "workdays": []}, "missing field 'year'"),
        ({"year": "2027", "holidays": [], "workdays": []}, "year must be an integer"),
        ({"year": True, "holidays": [], "workdays": []}, "year must be an integer"),
        ({"year": 1800, "holidays": [], "workdays": []}, "outside 1900..2200"),
        ({"year": 2027, "holidays": "2027-01-01", "workdays": []}, "holidays must be a list"),
        ({"year": 2027, "holidays": [20270101], "workdays": []}, "holidays[0]"),
        ({"year": 2027, "workdays": []}, "missing field 'holidays'"),
        ({"year": 2027, "holidays": [], "workday": []}, "unknown field"),
        ({"year": 2027, "holidays": [], "workdays": ["2027-01-04"]}, "Saturdays or Sundays"),
        (["2027-01-01"], "JSON object"),
    ],
)
def test_year_schedule_rejects(data, fragment):
    with pytest.raises(CalendarDataError) as caught:
        YearSchedule.from_json(data)
    assert fragment in str(caught.value)


def test_calendar_data_error_is_a_value_error():
    assert issubclass(CalendarDataError, ValueError)


def test_load_year_files(tmp_path):
    (tmp_path / "2027.json").write_text(json.dumps(TEST_2027), encoding="utf-8")
    (tmp_path / "README.md").write_text("not a year file", encoding="utf-8")
    loaded = load_year_files(tmp_path)
    assert list(loaded) == [2027]
    assert D("2027-01-01") in loaded[2027].holidays


def test_load_year_files_names_the_bad_file(tmp_path):
    (tmp_path / "2028.json").write_text(json.dumps(TEST_2027), encoding="utf-8")
    with pytest.raises(CalendarDataError, match="2028.json"):
        load_year_files(tmp_path)
    (tmp_path / "2028.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CalendarDataError, match="2028.json"):
        load_year_files(tmp_path)


# --- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("amount", [-1, True, False, 1.5, "3", None])
def test_due_rejects_bad_amount(cal, amount):
    with pytest.raises(ValueError, match="amount must be a whole number >= 0"):
        cal.due(D("2025-09-26"), amount, Unit.WORKING_DAYS)


def test_due_rejects_unknown_unit_listing_valid_units(cal):
    with pytest.raises(ValueError) as caught:
        cal.due(D("2025-09-26"), 3, "weeks")
    message = str(caught.value)
    assert "weeks" in message
    for unit in Unit:
        assert unit.value in message


def test_due_rejects_amount_beyond_date_range(cal):
    with pytest.raises(ValueError, match="out of the supported date range"):
        cal.due(D("2025-09-26"), 10**7, Unit.CALENDAR_DAYS)


# --- parse_start and Due.to_json -----------------------------------------------------------------

def test_parse_start_forms():
    assert parse_start("2026-09-30") == sh(2026, 9, 30)
    assert parse_start("2026-09-30T10:00") == sh(2026, 9, 30, 10)
    assert parse_start("2026-09-30T10:00").tzinfo == SHANGHAI
    converted = parse_start("2026-09-30T02:00+00:00")
    assert converted == sh(2026, 9, 30, 10)
    assert converted.tzinfo == SHANGHAI


@pytest.mark.parametrize("text", ["", "30/09/2026", "2026-02-30", "2026-09-30T25:00", "tomorrow", "20260930"])
def test_parse_start_rejects(text):
    with pytest.raises(ValueError, match="invalid start"):
        parse_start(text)


def test_due_to_json_day_units(cal):
    due = cal.due(D("2026-12-20"), 15, Unit.WORKING_DAYS)
    assert due.to_json() == {"due": "2027-01-08", "provisional": True}


def test_due_to_json_hours(cal):
    due = cal.due(parse_start("2025-09-30T20:00"), 48, Unit.HOURS)
    assert due.to_json() == {"due": "2025-10-02T20:00:00+08:00", "provisional": False}


def test_due_is_frozen():
    due = Due(sh(2025, 1, 1), None, False)
    with pytest.raises(AttributeError):
        due.provisional = True  # type: ignore[misc]


def test_working_days_between_counts_across_national_day_2025():
    calendar = WorkCalendar()
    # 2025-09-30 (Tue) to 2025-10-13 (Mon): Oct 1-8 off, Oct 9, 10, 11 (make-up Sat), 13 count.
    assert calendar.working_days_between(date(2025, 9, 30), date(2025, 10, 13)) == 4
    assert calendar.working_days_between(date(2025, 10, 13), date(2025, 9, 30)) == -4
    assert calendar.working_days_between(date(2025, 10, 13), date(2025, 10, 13)) == 0


def test_working_days_between_equals_counting_day_by_day_across_years_and_loaded_schedules():
    fixed = YearSchedule(2027, holidays=frozenset({date(2027, 2, 8), date(2027, 12, 31)}),
                         workdays=frozenset({date(2027, 2, 6)}))
    calendar = WorkCalendar({2027: fixed})

    def day_by_day(today: date, last_day: date) -> int:
        step, sign = (timedelta(days=1), 1) if last_day >= today else (timedelta(days=-1), -1)
        count, day = 0, today
        while day != last_day:
            counted = day + step if sign > 0 else day  # the later end counts, the earlier one does not
            count += sign * calendar.is_working_day(counted)
            day += step
        return count

    days = [date(2024, 12, 20) + timedelta(days=n) for n in range(0, 1200, 37)] + \
        [date(2026, 12, 31), date(2027, 1, 1), date(2027, 2, 6), date(2027, 2, 8), date(2027, 12, 31), date(2028, 2, 29)]
    for today in days:
        for last_day in days:
            assert calendar.working_days_between(today, last_day) == day_by_day(today, last_day), (today, last_day)


def test_remembered_periods_belong_to_their_calendar_and_equal_a_fresh_count():
    """A calendar remembers the periods it counted; another schedule, or a fresh calendar, counts its own."""
    start = datetime(2027, 2, 1, 9, tzinfo=SHANGHAI)
    library, loaded = WorkCalendar(), WorkCalendar({2027: YearSchedule(2027, holidays=frozenset({date(2027, 2, 5)}),
                                                                        workdays=frozenset())})
    first = library.due(start, 5, Unit.WORKING_DAYS)
    assert (first.last_day, loaded.due(start, 5, Unit.WORKING_DAYS).last_day) == (date(2027, 2, 8), date(2027, 2, 9))
    for amount in (1, 5, 15, 30, 90):
        for unit in (Unit.WORKING_DAYS, Unit.CALENDAR_DAYS, Unit.MONTHS):
            again = [library.due(start + timedelta(days=n), amount, unit) for n in range(0, 400, 13)]
            assert again == [WorkCalendar().due(start + timedelta(days=n), amount, unit) for n in range(0, 400, 13)]
