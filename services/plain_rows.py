"""Keeping the session honest around plain (Core) statements on ORM-mapped tables.

Hot paths write with plain statements: building, loading and flushing ORM rows cost more than the rest
of the work. A row the session already holds is flushed before such a statement (so the statement sees
its pending change) and expired after (so the ORM never works from a stale copy).
"""
from collections.abc import Iterable
from types import SimpleNamespace

from sqlalchemy.orm.util import identity_key
from sqlmodel import Session


def unflushed(session: Session, model: type) -> bool:
    """Whether the session holds added, changed or deleted `model` rows not yet written."""
    return any(isinstance(row, model) for rows in (session.new, session.dirty, session.deleted) for row in rows)


def flush_pending(session: Session, model: type) -> None:
    """Write the session's pending `model` rows, if any, before a plain statement reads or changes them."""
    if unflushed(session, model):
        session.flush()


def expire_held(session: Session, model: type, ids: Iterable[int]) -> None:
    """Forget what the session holds of rows a plain statement just changed; they reload on next use."""
    for row_id in ids:
        held = session.identity_map.get(identity_key(model, row_id))
        if held is not None:
            session.expire(held)


def new_row(model: type, **values) -> SimpleNamespace:
    """A row about to be written by a plain statement, as a plain object with every column: the values
    given, the model's own defaults for the rest. Building the model instead costs ~30x more."""
    fields = model.model_fields
    unknown = set(values) - set(fields)
    if unknown:
        raise TypeError(f"{model.__name__} has no column(s) {sorted(unknown)}")
    return SimpleNamespace(**{name: values[name] if name in values else field.get_default(call_default_factory=True)
                              for name, field in fields.items()})
