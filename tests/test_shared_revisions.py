"""The holiday calendar and the institutions are read again only when their shared revision moved
(services.revisions): a year loaded or an institution renamed by another process is used here at the next
use case, and a transaction that stores a year sees it before commit."""
import json
import os
import subprocess
import sys
from datetime import date

import pytest
from sqlalchemy import event

from domain.calendar import YearSchedule
from domain.models import Institution
from domain.schemas import TipCreate
from services.calendar import get_calendar, load_year
from services.context import SYSTEM
from services.errors import InvalidInput
from services.tips import register_tip
from tests.helpers import REPORTER, actor

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


# Another process renames institution 1 through the ORM, as the registry's admin page does.
RENAME = """
import sys
from db.engine import Database
from domain.models import Institution
import services.runtime  # noqa: F401 - registers the revision listeners, as every FundWatch process does
database = Database(sys.argv[1])
with database.write() as session:
    session.get(Institution, 1).name = sys.argv[2]
"""


def registered(runtime, users, institution_id: int = 1):
    data = TipCreate(channel="phone", institution_id=institution_id, facts="串换药品，虚开处方", anonymous=False,
                     reporter=REPORTER)
    with runtime.write(actor(users["desk"])) as ctx:
        return register_tip(ctx, data)


def test_a_registration_names_the_institution_as_renamed_in_another_process(runtime, database, users):
    registered(runtime, users)  # institution 1 is now remembered (SQLite)
    done = subprocess.run([sys.executable, "-c", RENAME, database.url, "更名后的医院"], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert registered(runtime, users).institution_name == "更名后的医院"
    with pytest.raises(InvalidInput) as refused:  # not in the registry: remembered as absent ...
        registered(runtime, users, institution_id=999)
    assert refused.value.field == "institution_id"
    with database.write() as session:  # ... until an institution is added
        session.add(Institution(id=999, code="T999", name="新机构", kind="hospital", district="测试区"))
    assert registered(runtime, users, institution_id=999).institution_name == "新机构"
