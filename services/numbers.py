"""Per-year number sequences, gap-free within a committed transaction."""
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from domain.models import Sequence

_BUMP = text("UPDATE number_sequence SET last = last + 1 WHERE key = :key AND year = :year RETURNING last")


def next_number(session: Session, *, key: str, year: int) -> int:
    """Take the next number of sequence (key, year); the row update locks it until commit."""
    value = session.execute(_BUMP, {"key": key, "year": year}).scalar()
    if value is not None:
        return value
    try:
        with session.begin_nested():
            session.add(Sequence(key=key, year=year, last=1))
        return 1
    except IntegrityError:  # another transaction created it first (PostgreSQL)
        return session.execute(_BUMP, {"key": key, "year": year}).scalar_one()
