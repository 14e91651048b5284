"""The holiday calendar is read again only when its shared revision moved (services.revisions): a year loaded
by another process (the CLI) is used here at the next use case, and a transaction that stores a year sees
it before commit."""
import json
import os
import subprocess
import sys
from datetime import date

from sqlalchemy import event

from domain.calendar import YearSchedule
from services.calendar import get_calendar, load_year
from services.context import SYSTEM

FUNDWATCH = os.path.join(os.path.dirname(sys.executable), "fundwatch")
MADE_UP = {"year": 2031, "holidays": ["2031-01-06"], "workdays": ["2031-01-04"]}  # test data, not a real year


def calendar_and_reads(runtime):
    """The calendar a read use case gets, and how many pooled connections it took to get it."""
    taken = []
    listener = lambda *_: taken.append(1)  # noqa: E731
    event.listen(runtime.db.engine, "checkout", listener)
    try:
        with runtime.read(SYSTEM) as ctx:
            calendar = ctx.calendar
    finally:
        event.remove(runtime.db.engine, "checkout", listener)
    return calendar, len(taken)


def test_the_calendar_is_read_again_only_after_a_year_was_loaded_elsewhere(runtime, database, tmp_path):
    remembered = "calendar" in database.revisions  # SQLite files; PostgreSQL reads every time
    calendar_and_reads(runtime)
    assert calendar_and_reads(runtime)[1] == (0 if remembered else 1)
    year = tmp_path / "2031.json"
    year.write_text(json.dumps(MADE_UP))
    env = {**os.environ, "DATABASE_URL": database.url}
    loaded = subprocess.run([FUNDWATCH, "calendar", "load-year", str(year)], env=env, capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    calendar, reads = calendar_and_reads(runtime)
    assert reads == 1 and calendar.knows_year(2031)
    assert not calendar.is_working_day(date(2031, 1, 6)) and calendar.is_working_day(date(2031, 1, 4))


def test_a_transaction_storing_a_year_counts_with_it_before_commit(runtime, clock):
    calendar_and_reads(runtime)  # remembered without 2031
    with runtime.write(SYSTEM) as ctx:
        load_year(ctx.session, YearSchedule.from_json(MADE_UP), now=clock.now, policy=ctx.policy)
        assert get_calendar(ctx.session).knows_year(2031)
    assert calendar_and_reads(runtime)[0].knows_year(2031)
