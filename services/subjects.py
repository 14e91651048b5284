"""What notifications and overdue views need to know about a deadline's subject (tip, later others)."""
from dataclasses import dataclass

from sqlmodel import Session

from domain.models import Tip
from states.tip import STATE_LABELS


@dataclass(frozen=True)
class SubjectInfo:
    number: str
    stage: str                 # the Chinese stage label
    handler_id: int | None     # who "handler" in a ladder means
    department_id: int | None  # whose desk it sits on (None: the office itself)


def _tip(session: Session, subject_id: int) -> SubjectInfo | None:
    tip = session.get(Tip, subject_id)
    if tip is None:
        return None
    return SubjectInfo(tip.number, STATE_LABELS[tip.status], tip.handler_id or tip.registered_by, None)


DESCRIBERS = {"tip": _tip}


def describe(session: Session, subject_type: str, subject_id: int) -> SubjectInfo | None:
    """The subject's number, stage and people, or None if it no longer exists."""
    describer = DESCRIBERS.get(subject_type)
    return describer(session, subject_id) if describer else None
