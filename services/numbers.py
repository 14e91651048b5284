"""Per-year number sequences, gap-free within a committed transaction."""
import zlib

from sqlalchemy import Integer, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from db.prepared import Prepared
from domain.models import Sequence

_BUMP = Prepared(text("UPDATE number_sequence SET last = last + 1 WHERE key = :key AND year = :year RETURNING last")
                 .columns(last=Integer))
_QUEUE = text("SELECT pg_advisory_xact_lock(:lock_id)")


def next_number(session: Session, *, key: str, year: int) -> int:
    """Take the next number of sequence (key, year); the row update locks it until commit."""
    _queue_in_arrival_order(session, key, year)
    bumped = _BUMP.run(session.connection(), {"key": key, "year": year})
    if bumped:
        return bumped[0].last
    try:
        with session.begin_nested():
            session.add(Sequence(key=key, year=year, last=1))
        return 1
    except IntegrityError:  # another transaction created it first (PostgreSQL)
        [(value,)] = _BUMP.run(session.connection(), {"key": key, "year": year})
        return value


def _queue_in_arrival_order(session: Session, key: str, year: int) -> None:
    """On PostgreSQL, wait for the sequence in the lock manager's first-come queue (held until commit).
    Waiters for a row lock are all woken at each commit and race, so under load a few lose many times:
    at concurrency 20, one registration in a hundred waited 0.7 s instead of 0.2 s. SQLite needs nothing
    here: its writers are already served in arrival order (db.engine.FairLock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().execute(_QUEUE, {"lock_id": zlib.crc32(f"number_sequence:{key}:{year}".encode())})
