"""Shared revisions of data that nearly every request reads and that seldom changes: the accounts (the
request's user, services.users) and the holiday calendar (services.calendar).

A process may remember what it read while the revision stands (db.engine keeps one per name beside a SQLite
file). Every committed change to such rows moves it, whether flushed by the ORM or sent as a bulk
statement through a session, so every process reads again at its next use. Rows changed behind the
application's back (another tool's SQL) are seen after a restart.
"""
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession

from db.shared_revision import SharedRevision
from domain.models import HolidayYear, User

WATCHED = {User: "accounts", HolidayYear: "calendar"}
_BY_MAPPER = {model.__mapper__: name for model, name in WATCHED.items()}


def standing(session: OrmSession, name: str) -> SharedRevision | None:
    """The revision of `name` if what this session reads of it may come from memory: None where there is
    none (PostgreSQL), and in a transaction that changed it (it must read its own change)."""
    if name in session.info.get("changed", ()):
        return None
    return session.info.get("revisions", {}).get(name)


def _changed(session: OrmSession, name: str) -> None:
    session.info.setdefault("changed", set()).add(name)


@event.listens_for(OrmSession, "after_flush")
def _note_flushed(session: OrmSession, _flush) -> None:
    for rows in (session.new, session.dirty, session.deleted):
        for row in rows:
            name = WATCHED.get(type(row))
            if name is not None:
                _changed(session, name)


@event.listens_for(OrmSession, "do_orm_execute")
def _note_bulk(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        name = _BY_MAPPER.get(state.bind_mapper)
        if name is not None:
            _changed(state.session, name)


@event.listens_for(OrmSession, "after_commit")
def _move(session: OrmSession) -> None:
    """After commit: a process reading again from now on reads the change."""
    revisions = session.info.get("revisions", {})
    for name in session.info.pop("changed", ()):
        if name in revisions:
            revisions[name].move()
