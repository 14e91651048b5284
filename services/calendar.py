"""The working-day calendar with the years an admin has loaded, and loading a year."""
import threading

from sqlalchemy import func
from sqlmodel import Session, select

from domain.calendar import WorkCalendar, YearSchedule
from domain.models import HolidayYear
from domain.policy import Policy
from services.deadlines import recompute_provisional

_cache_lock = threading.Lock()
_cache: tuple[tuple, WorkCalendar] | None = None


def get_calendar(session: Session) -> WorkCalendar:
    """The calendar with every loaded year; rebuilt only when the loaded years change."""
    global _cache
    stamp = tuple(session.exec(select(func.count(), func.max(HolidayYear.loaded_at))).one())
    with _cache_lock:
        if _cache is not None and _cache[0] == stamp:
            return _cache[1]
    rows = session.exec(select(HolidayYear)).all()
    calendar = WorkCalendar({row.year: YearSchedule.from_json(row.schedule) for row in rows})
    with _cache_lock:
        _cache = (stamp, calendar)
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
