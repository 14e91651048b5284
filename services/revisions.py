"""Shared revisions of data that nearly every request reads and that seldom changes: the accounts (the
request's user, services.users), the holiday calendar (services.calendar) and the institutions (a
registration's institution, services.tips).

A process may remember what it read while the revision stands (db.engine keeps one per name beside a SQLite
file). Every committed change to such rows moves it, whether flushed by the ORM or sent as a bulk
statement through a session, so every process reads again at its next use. Rows changed behind the
application's back (another tool's SQL) are seen after a restart.
"""
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession

from db.shared_revision import SharedRevision
from domain.models import HolidayYear, Institution, User

WATCHED = {User: "accounts", HolidayYear: "calendar", Institution: "institutions"}
_BY_MAPPER = {model.__mapper__: name for model, name in WATCHED.items()}


def standing(session: OrmSession, name: str) -> SharedRevision | None:
    """The revision of `name` if what this session reads of it may come from memory: None where there is
    none (PostgreSQL), and in a transaction that changed it (it must read its own change)."""
    if name in session.info.get("changed", ()):
        return None
    return session.info.get("revisions", {}).get(name)


class Remembered:
    """Values by key, each kept with the revision mark it was read under and read again once that moved."""

    REMEMBERED = 10_000  # values kept; past that the memory starts afresh

    def __init__(self) -> None:
        self._known: dict[Any, tuple[SharedRevision, bytes, Any]] = {}

    def get(self, revision: SharedRevision | None, key: Any, read: Callable[[], Any]) -> Any:
        """The value of `key`: remembered while `revision` stands, else `read()` (every time without one)."""
        if revision is None:
            return read()
        mark = revision.read()  # before the read: a change committing after it moves it again
        known = self._known.get(key)
        if known is not None and known[0] is revision and known[1] == mark:
            return known[2]
        value = read()
        if len(self._known) >= self.REMEMBERED:
            self._known.clear()
        self._known[key] = revision, mark, value
        return value


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
