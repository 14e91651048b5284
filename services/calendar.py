"""The working-day calendar with the years an admin has loaded, loading a year (CLI and admin page), and
the years known for the admin page."""
import json
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from chinese_calendar import constants as library
from sqlalchemy import String, cast
from sqlmodel import Session, select

from db.prepared import Prepared
from domain.calendar import LIBRARY_YEARS, CalendarDataError, WorkCalendar, YearSchedule
from domain.enums import Role
from domain.models import HolidayYear
from domain.policy import Policy
from services import audit
from services.authz import require_role
from services.context import Context, read_first
from services.deadlines import recompute_provisional
from services.revisions import Remembered, standing

_cache_lock = threading.Lock()
_cache: tuple[tuple, WorkCalendar] | None = None
_REMEMBERED = Remembered()


_SCHEDULES = Prepared(select(HolidayYear.year, cast(HolidayYear.schedule, String)).order_by(HolidayYear.year))


def get_calendar(session: Session) -> WorkCalendar:
    """The calendar with every loaded year; the stored years are read again only when the calendar's shared
    revision moved (services.revisions), or every time where there is none."""
    return _REMEMBERED.get(standing(session, "calendar"), "calendar", lambda: _stored_calendar(session))


def _stored_calendar(session: Session) -> WorkCalendar:
    """Rebuilt only when the stored schedules change (keyed on their stored text, so a year replaced within
    the same second, or another database, is never stale; the text is parsed only when it changed)."""
    global _cache
    key = tuple(read_first(session, _SCHEDULES, {}))  # in a begun transaction: sees the years it stored
    with _cache_lock:
        if _cache is not None and _cache[0] == key:
            return _cache[1]
    calendar = WorkCalendar({year: YearSchedule.from_json(json.loads(text)) for year, text in key})
    with _cache_lock:
        _cache = (key, calendar)
    return calendar


def load_year(session: Session, schedule: YearSchedule, *, now, policy: Policy) -> int:
    """Store (or replace) a year's schedule and recount open provisional deadlines; returns how many moved."""
    row = session.get(HolidayYear, schedule.year)
    if row is None:
        row = HolidayYear(year=schedule.year, schedule=schedule.to_json(), loaded_at=now)
    else:
        row.schedule, row.loaded_at = schedule.to_json(), now
    session.add(row)
    session.flush()
    return recompute_provisional(session, get_calendar(session), policy)


def load_year_schedule(ctx: Context, data: dict) -> tuple[YearSchedule, int]:
    """Validate a year's schedule (JSON object), store it, recount provisional deadlines and audit it;
    the CLI's `calendar load-year` and the admin page both come here. Bad data: CalendarDataError."""
    require_role(ctx, {Role.ADMIN}, action="载入节假日安排")
    schedule = YearSchedule.from_json(data)
    moved = load_year(ctx.session, schedule, now=ctx.now, policy=ctx.policy)
    audit.record(ctx, subject_type="holiday_year", subject_id=schedule.year, action="calendar_year_loaded",
                 detail={**schedule.to_json(), "provisional_deadlines_recomputed": moved})
    return schedule, moved


# --- the admin form: text fields to the JSON object, and CalendarDataError in Chinese per field ---------

MAX_RANGE_DAYS = 366
_SEPARATORS = re.compile(r"[\s,，、;；]+")
_RANGE = re.compile(r"^(\S+?)(?:~|～|至)(\S+)$")
_QUOTED = r"[\'\"](.*)[\'\"]"
CHINESE_ERRORS = (  # (pattern of the domain's message, field or None for the one it names, Chinese text)
    (rf"^(holidays|workdays)\[\d+\]: {_QUOTED} is not an ISO date", None,
     "“{1}”格式不正确：应为 YYYY-MM-DD，连续日期可写作 YYYY-MM-DD~YYYY-MM-DD"),
    (rf"^(holidays|workdays)\[\d+\]: {_QUOTED} is not a valid calendar date", None, "“{1}”不是有效日期"),
    (r"^(holidays|workdays)\[\d+\]: (\S+) is outside year (\d+)", None, "{1} 不在 {2} 年内"),
    (r"^date\(s\) in both holidays and workdays: (.*)", "workdays", "以下日期不能既是放假日又是调休上班日：{0}"),
    (r"^workdays must be Saturdays or Sundays: (.*)", "workdays", "调休上班日须为周六或周日：{0}"),
    (r"^year must be an integer", "year", "请填写四位数年份，如 2027"),
    (r"^year (\d+) is outside (\d+)\.\.(\d+)", "year", "年份须在 {1}–{2} 之间"),
)


def _expand(token: str) -> list[str]:
    """One typed entry: a date, or a range `first~last` spelled out day by day (kept as typed if bad)."""
    match = _RANGE.match(token)
    if not match:
        return [token]
    try:
        first, last = date.fromisoformat(match[1]), date.fromisoformat(match[2])
    except ValueError:
        return [token]
    if not 0 <= (last - first).days < MAX_RANGE_DAYS:
        return [token]
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def schedule_data(year: str, holidays: str, workdays: str) -> dict:
    """The admin form's fields as the JSON object `load-year` reads (dates separated by spaces, commas
    or new lines)."""
    def dates(text: str) -> list[str]:
        return [day for token in _SEPARATORS.split(text.strip()) if token for day in _expand(token)]
    year = year.strip()
    return {"year": int(year) if year.isdigit() else year, "holidays": dates(holidays), "workdays": dates(workdays)}


def describe(exc: CalendarDataError) -> tuple[str, str]:
    """(form field, Chinese message) for the domain's message about a schedule."""
    for pattern, field, text in CHINESE_ERRORS:
        match = re.match(pattern, str(exc))
        if match:
            return field or match[1], text.format(*match.groups())
    return "_form", f"节假日安排不正确：{exc}"


def schedule_errors(data: dict) -> dict[str, str]:
    """Every field's first problem: each list is checked alone, then both together (overlaps)."""
    errors: dict[str, str] = {}
    for probe in ({**data, "workdays": []}, {**data, "holidays": []}, data):
        try:
            YearSchedule.from_json(probe)
        except CalendarDataError as exc:
            field, message = describe(exc)
            errors.setdefault(field, message)
    return errors


# --- the years known, for the admin page --------------------------------------------------------------

HOLIDAY_NAMES = {holiday.value: holiday.chinese for holiday in library.Holiday}


@dataclass(frozen=True)
class YearView:
    """One year of the calendar: where its schedule comes from, its breaks and make-up working days."""

    year: int
    source: str                                   # "loaded" | "library" | "missing"
    loaded_at: datetime | None
    breaks: tuple[tuple[date, date, str], ...]    # consecutive days off: first, last, name (library only)
    workdays: tuple[date, ...]


def _runs(days: dict[date, str]) -> tuple[tuple[date, date, str], ...]:
    """Consecutive days (with the same name) joined into (first, last, name)."""
    runs: list[list] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day and runs[-1][2] == days[day]:
            runs[-1][1] = day
        else:
            runs.append([day, day, days[day]])
    return tuple((first, last, name) for first, last, name in runs)


def _library_year(year: int) -> YearView:
    holidays = {d: HOLIDAY_NAMES.get(n, n) for d, n in library.holidays.items() if d.year == year}
    workdays = tuple(sorted(d for d in library.workdays if d.year == year))
    return YearView(year, "library", None, _runs(holidays), workdays)


def calendar_years(session: Session, this_year: int, ahead: int = 2) -> list[YearView]:
    """Loaded years, the built-in years from last year on, and the years up to `ahead` from now that
    neither knows (their deadlines are provisional: counted Monday to Friday)."""
    rows = {row.year: row for row in session.exec(select(HolidayYear))}
    views = {}
    for year, row in rows.items():
        schedule = YearSchedule.from_json(row.schedule)
        views[year] = YearView(year, "loaded", row.loaded_at, _runs(dict.fromkeys(schedule.holidays, "")),
                               tuple(sorted(schedule.workdays)))
    for year in range(this_year - 1, this_year + ahead + 1):
        if year not in views:
            views[year] = _library_year(year) if year in LIBRARY_YEARS else YearView(year, "missing", None, (), ())
    return [views[year] for year in sorted(views)]
