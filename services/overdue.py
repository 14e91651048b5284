"""The leader's overdue view: open deadlines past due, by department and level, oldest first."""
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import Row
from sqlmodel import Session, select

from domain.calendar import SHANGHAI, WorkCalendar
from domain.enums import DeadlineStatus
from domain.models import Deadline, Department, User
from domain.policy import Policy
from services.subjects import describe, prefetch

OFFICE_NAME = "本局"


class OverdueItem(BaseModel):
    deadline_id: int
    subject_type: str
    subject_id: int
    number: str
    stage: str
    deadline_label: str
    department: str
    level: int
    red_since: datetime
    last_day: str
    days_overdue: int


def overdue_items(session: Session, *, now: datetime, calendar: WorkCalendar, policy: Policy,
                  department: str | None = None, level: int | None = None, limit: int = 500) -> list[OverdueItem]:
    """Open deadlines already past due (index on status, due_at), oldest first."""
    query = (select(*Deadline.__table__.c).where(Deadline.status == DeadlineStatus.OPEN, Deadline.due_at <= now)
             .order_by(Deadline.due_at, Deadline.id).limit(limit))  # plain rows: read-only, no ORM objects
    if level is not None:
        query = query.where(Deadline.escalation_level == level)
    deadlines = list(session.execute(query))
    subjects = prefetch(session, ((d.subject_type, d.subject_id) for d in deadlines))  # noqa: F841 - held
    names: dict[tuple, str] = {}
    items = [_item(session, d, now=now, calendar=calendar, policy=policy, names=names) for d in deadlines]
    return [i for i in items if i is not None and (department is None or i.department == department)]


def _department_name(session: Session, handler_id: int | None, department_id: int | None,
                     known: dict[tuple, str]) -> str:
    """The department's name (the handler's where the clock sits with the office), remembered in `known`:
    the session holds loaded users and departments only weakly, so each row would load them again."""
    key = (handler_id, department_id)
    if key not in known:
        if department_id is None and handler_id is not None:
            user = session.get(User, handler_id)
            department_id = user.department_id if user else None
        department = session.get(Department, department_id) if department_id else None
        known[key] = department.name if department else OFFICE_NAME
    return known[key]


def _owner_department(deadline: Row, info) -> int | None:
    """Whose desk the clock sits on: a referral's office-side clocks are the office's own."""
    from services.referrals import RECEIVER_CLOCKS

    if deadline.subject_type == "referral" and deadline.kind not in RECEIVER_CLOCKS:
        return None
    return info.department_id


def _item(session: Session, deadline: Row, *, now, calendar, policy, names: dict) -> OverdueItem | None:
    info = describe(session, deadline.subject_type, deadline.subject_id)
    if info is None:
        return None
    last_day = deadline.last_day or deadline.due_at.astimezone(SHANGHAI).date()
    rule = policy.deadlines.get(deadline.kind)
    return OverdueItem(
        deadline_id=deadline.id, subject_type=deadline.subject_type, subject_id=deadline.subject_id,
        number=info.number, stage=info.stage, deadline_label=rule.label if rule else deadline.kind,
        department=_department_name(session, info.handler_id, _owner_department(deadline, info), names),
        level=deadline.escalation_level,
        red_since=deadline.due_at, last_day=last_day.isoformat(),
        days_overdue=max(-calendar.working_days_between(now.astimezone(SHANGHAI).date(), last_day), 0),
    )
