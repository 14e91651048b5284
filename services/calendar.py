"""The working-day calendar with the years an admin has loaded, and loading a year."""
import json
import threading

from sqlmodel import Session, select

from domain.calendar import WorkCalendar, YearSchedule
from domain.models import HolidayYear
from domain.policy import Policy
from services.deadlines import recompute_provisional

_cache_lock = threading.Lock()
_cache: tuple[tuple, WorkCalendar] | None = None


def get_calendar(session: Session) -> WorkCalendar:
    """The calendar with every loaded year; rebuilt only when the stored schedules change (keyed on
    their content, so a year replaced within the same second, or another database, is never stale)."""
    global _cache
    rows = session.exec(select(HolidayYear.year, HolidayYear.schedule).order_by(HolidayYear.year)).all()
    key = tuple((year, json.dumps(schedule, sort_keys=True)) for year, schedule in rows)
    with _cache_lock:
        if _cache is not None and _cache[0] == key:
            return _cache[1]
    calendar = WorkCalendar({year: YearSchedule.from_json(schedule) for year, schedule in rows})
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
