"""Working-day calendar and statutory deadline arithmetic (State Council holiday schedule)."""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from chinese_calendar import constants as _cc

SHANGHAI = ZoneInfo("Asia/Shanghai")
ONE_DAY = timedelta(days=1)
MIN_YEAR, MAX_YEAR = 1900, 2200
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SCHEDULE_KEYS = ("year", "holidays", "workdays")

# The library's data, read once: it covers whole years between its first and last holiday.
_LIB_HOLIDAYS: frozenset[date] = frozenset(_cc.holidays)
_LIB_WORKDAYS: frozenset[date] = frozenset(_cc.workdays)
LIBRARY_YEARS = range(min(_LIB_HOLIDAYS).year, max(_LIB_HOLIDAYS).year + 1)


class Unit(StrEnum):
    """Units a statutory period can be counted in."""

    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    HOURS = "hours"
    MONTHS = "months"


class CalendarDataError(ValueError):
    """A year schedule (JSON) is malformed; the message names the field or date."""


def _parse_day(field: str, index: int, value: Any, year: int) -> date:
    """One ISO date string from a schedule list, checked to lie inside the year."""
    where = f"{field}[{index}]"
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise CalendarDataError(f"{where}: {value!r} is not an ISO date (YYYY-MM-DD)")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise CalendarDataError(f"{where}: {value!r} is not a valid calendar date") from None
    if day.year != year:
        raise CalendarDataError(f"{where}: {value} is outside year {year}")
    return day


def _parse_days(data: Mapping[str, Any], field: str, year: int) -> frozenset[date]:
    """A schedule's list of dates, validated."""
    if field not in data:
        raise CalendarDataError(f"missing field {field!r} (use [] when there are none)")
    values = data[field]
    if not isinstance(values, list):
        raise CalendarDataError(f"{field} must be a list of ISO date strings")
    return frozenset(_parse_day(field, i, v, year) for i, v in enumerate(values))


def _parse_year(data: Any) -> int:
    """The schedule's year field, validated."""
    if not isinstance(data, Mapping):
        raise CalendarDataError("a year schedule must be a JSON object")
    unknown = sorted(set(data) - set(_SCHEDULE_KEYS))
    if unknown:
        raise CalendarDataError(f"unknown field(s) {unknown}; allowed: {list(_SCHEDULE_KEYS)}")
    if "year" not in data:
        raise CalendarDataError("missing field 'year'")
    year = data["year"]
    if isinstance(year, bool) or not isinstance(year, int):
        raise CalendarDataError(f"year must be an integer, got {year!r}")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise CalendarDataError(f"year {year} is outside {MIN_YEAR}..{MAX_YEAR}")
    return year


@dataclass(frozen=True)
class YearSchedule:
    """One year's holiday schedule: days off on weekdays and make-up working weekend days."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]

    @classmethod
    def from_json(cls, data: dict) -> YearSchedule:
        """Validate and build a schedule from its JSON object."""
        year = _parse_year(data)
        holidays = _parse_days(data, "holidays", year)
        workdays = _parse_days(data, "workdays", year)
        both = sorted(d.isoformat() for d in holidays & workdays)
        if both:
            raise CalendarDataError(f"date(s) in both holidays and workdays: {', '.join(both)}")
        weekdays = sorted(d.isoformat() for d in workdays if d.weekday() < 5)
        if weekdays:
            raise CalendarDataError(f"workdays must be Saturdays or Sundays: {', '.join(weekdays)}")
        return cls(year, holidays, workdays)

    def to_json(self) -> dict:
        """The JSON object from_json accepts, dates sorted."""
        return {
            "year": self.year,
            "holidays": sorted(d.isoformat() for d in self.holidays),
            "workdays": sorted(d.isoformat() for d in self.workdays),
        }

    def is_working_day(self, day: date) -> bool:
        """Whether a day of this year is a working day."""
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


def load_year_files(directory: Path | str) -> dict[int, YearSchedule]:
    """Read every <year>.json in a directory into schedules keyed by year."""
    loaded: dict[int, YearSchedule] = {}
    for path in sorted(Path(directory).glob("*.json")):
        try:
            schedule = YearSchedule.from_json(json.loads(path.read_text(encoding="utf-8")))
        except ValueError as exc:  # also JSON syntax, encoding and CalendarDataError
            raise CalendarDataError(f"{path.name}: {exc}") from exc
        if path.stem != str(schedule.year):
            raise CalendarDataError(f"{path.name}: holds year {schedule.year}, name it {schedule.year}.json")
        loaded[schedule.year] = schedule
    return loaded


@dataclass(frozen=True)
class Due:
    """A computed deadline: overdue when now >= at."""

    at: datetime
    last_day: date | None
    provisional: bool

    def to_json(self) -> dict:
        """The last day (day units) or the instant (hours), and the provisional flag."""
        due = self.last_day.isoformat() if self.last_day is not None else self.at.isoformat()
        return {"due": due, "provisional": self.provisional}


def _to_shanghai(start: datetime | date) -> datetime:
    """A date, naive or aware datetime as an aware Shanghai datetime."""
    if isinstance(start, datetime):
        if start.tzinfo is None or start.utcoffset() is None:
            return start.replace(tzinfo=SHANGHAI)
        return start.astimezone(SHANGHAI)
    if isinstance(start, date):
        return datetime.combine(start, time(), tzinfo=SHANGHAI)
    raise TypeError(f"start must be a date or datetime, got {type(start).__name__}")


def _check_amount(amount: Any) -> int:
    """Reject anything but a whole number >= 0."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValueError("amount must be a whole number >= 0")
    return amount


def _check_unit(unit: Unit | str) -> Unit:
    """The unit as a Unit, or a ValueError listing the valid ones."""
    try:
        return Unit(unit)
    except ValueError:
        valid = ", ".join(u.value for u in Unit)
        raise ValueError(f"unknown unit {unit!r}; valid units: {valid}") from None


def _add_months(day: date, months: int) -> date:
    """Same day-of-month `months` later, clamped to that month's last day."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    first_of_next = date(year + 1, 1, 1) if month0 == 11 else date(year, month0 + 2, 1)
    month_length = (first_of_next - ONE_DAY).day
    return date(year, month0 + 1, min(day.day, month_length))


class WorkCalendar:
    """Working days from loaded year schedules, then chinese-calendar, then weekends only."""

    def __init__(self, loaded: Mapping[int, YearSchedule] | None = None) -> None:
        self._loaded: dict[int, YearSchedule] = {}
        self._through: dict[int, list[int]] = {}  # _counts_through, per year
        self._last_days: dict[tuple, tuple[date, bool]] = {}  # _last_day's answers
        for year, schedule in (loaded or {}).items():
            if not isinstance(schedule, YearSchedule) or schedule.year != year:
                raise CalendarDataError(f"loaded[{year!r}] must be the YearSchedule for year {year!r}")
            self._loaded[year] = schedule

    def knows_year(self, year: int) -> bool:
        """Whether the year's holiday schedule is loaded or known to chinese-calendar."""
        return year in self._loaded or year in LIBRARY_YEARS

    def _classify(self, day: date) -> tuple[bool, bool]:
        """(is a working day, the year's schedule is known) for a plain date."""
        schedule = self._loaded.get(day.year)
        if schedule is not None:
            return schedule.is_working_day(day), True
        if day.year in LIBRARY_YEARS:
            if day in _LIB_WORKDAYS:
                return True, True
            return day.weekday() < 5 and day not in _LIB_HOLIDAYS, True
        return day.weekday() < 5, False

    def is_working_day(self, day: date) -> bool:
        """Whether the (Shanghai) day is a working day; unknown years count Mon-Fri."""
        if isinstance(day, datetime):
            day = _to_shanghai(day).date()
        return self._classify(day)[0]

    def _roll(self, day: date) -> tuple[date, bool]:
        """The day itself or the next working day, and whether an unknown year was met."""
        unknown = False
        while True:
            working, known = self._classify(day)
            unknown = unknown or not known
            if working:
                return day, unknown
            day += ONE_DAY

    def _add_working_days(self, start: date, amount: int) -> tuple[date, bool]:
        """The amount-th working day after start (start not counted), and the unknown flag."""
        day, left, unknown = start, amount, False
        while left:
            day += ONE_DAY
            working, known = self._classify(day)
            unknown = unknown or not known
            left -= working
        return day, unknown

    def _last_day(self, start: date, amount: int, unit: Unit) -> tuple[date, bool]:
        """The last day of a day/month period and whether it is provisional. Remembered: the clocks and
        escalation steps a day's transitions open all count from a few dates, day by day."""
        key = (start, amount, unit)
        found = self._last_days.get(key)
        if found is None:
            if len(self._last_days) >= 100_000:
                self._last_days.clear()
            found = self._last_days[key] = self._count_last_day(start, amount, unit)
        return found

    def _count_last_day(self, start: date, amount: int, unit: Unit) -> tuple[date, bool]:
        if unit is Unit.WORKING_DAYS:
            return self._add_working_days(start, amount)
        if unit is Unit.CALENDAR_DAYS:
            return self._roll(start + timedelta(days=amount))
        return self._roll(_add_months(start, amount))

    def working_days_back(self, day: date, amount: int) -> date:
        """The working day `amount` working days before `day` (so that many remain after it)."""
        left = amount
        while left:
            day -= ONE_DAY
            left -= self._classify(day)[0]
        while not self._classify(day)[0]:  # land on a working day
            day -= ONE_DAY
        return day

    def working_days_between(self, today: date, last_day: date) -> int:
        """Working days left from today to last_day (today not counted); negative when past."""
        if last_day < today:
            return -self.working_days_between(last_day, today)
        count = 0
        for year in range(today.year, last_day.year + 1):
            through = self._counts_through(year)
            begin = today.timetuple().tm_yday if year == today.year else 0
            end = last_day.timetuple().tm_yday if year == last_day.year else len(through) - 1
            count += through[end] - through[begin]
        return count

    def _counts_through(self, year: int) -> list[int]:
        """Working days among the year's first n days, for n = 0 .. days in the year. Built once per year:
        the overdue view and the dashboard count the days left of thousands of rows, and counting each day
        by day took a third of the dashboard matrix's time."""
        counts = self._through.get(year)
        if counts is None:
            counts, day = [0], date(year, 1, 1)
            while day.year == year:
                counts.append(counts[-1] + self._classify(day)[0])
                day += ONE_DAY
            self._through[year] = counts
        return counts

    def due(self, start: datetime | date, amount: int, unit: Unit | str) -> Due:
        """The deadline `amount` units after start, per the Civil Code period rules."""
        amount, unit, begin = _check_amount(amount), _check_unit(unit), _to_shanghai(start)
        try:
            if unit is Unit.HOURS:
                return Due(begin + timedelta(hours=amount), None, False)
            last, provisional = self._last_day(begin.date(), amount, unit)
            at = datetime.combine(last + ONE_DAY, time(), tzinfo=SHANGHAI)
        except (OverflowError, ValueError):
            raise ValueError(f"amount {amount} {unit.value} is out of the supported date range") from None
        return Due(at, last, provisional)


def parse_start(text: str) -> datetime:
    """Parse an ISO date or datetime; naive values are Shanghai time."""
    if not isinstance(text, str):
        raise ValueError(f"start must be a string, got {type(text).__name__}")
    value = text.strip()
    try:
        if _ISO_DAY.fullmatch(value):
            return _to_shanghai(date.fromisoformat(value))
        if not _ISO_DAY.match(value) or value[10:11] not in ("T", " "):
            raise ValueError(value)
        return _to_shanghai(datetime.fromisoformat(value))
    except ValueError:
        raise ValueError(
            f"invalid start {text!r}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM]"
        ) from None


__all__ = [
    "SHANGHAI", "Unit", "CalendarDataError", "YearSchedule", "Due", "WorkCalendar",
    "parse_start", "load_year_files", "LIBRARY_YEARS",
]
