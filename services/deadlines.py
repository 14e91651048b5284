"""Deadline rows: started and stopped by transitions, counted in their rule's unit."""
from datetime import datetime, time

from sqlmodel import select

from domain.calendar import SHANGHAI, Unit, WorkCalendar
from domain.enums import DeadlineStatus
from domain.models import Deadline
from services.context import Context


def start_deadline(
    ctx: Context, *, subject_type: str, subject_id: int, kind: str, start: datetime | None = None,
) -> Deadline:
    """Open a deadline of `kind` from `start` (default now), per the locality policy."""
    rule = ctx.policy.rule(kind)
    start = start or ctx.now
    due = ctx.calendar.due(start, rule.amount, rule.unit)
    deadline = Deadline(
        subject_type=subject_type, subject_id=subject_id, kind=kind, unit=rule.unit.value,
        amount=rule.amount, start_at=start, due_at=due.at, last_day=due.last_day,
        provisional=due.provisional,
    )
    ctx.session.add(deadline)
    return deadline


def open_deadlines(ctx: Context, *, subject_type: str, subject_id: int) -> list[Deadline]:
    """The subject's open deadlines."""
    query = select(Deadline).where(
        Deadline.subject_type == subject_type, Deadline.subject_id == subject_id,
        Deadline.status == DeadlineStatus.OPEN,
    )
    return list(ctx.session.exec(query))


def close_deadlines(
    ctx: Context, *, subject_type: str, subject_id: int, kinds: set[str] | None = None,
    status: DeadlineStatus = DeadlineStatus.MET,
) -> list[Deadline]:
    """Stop the subject's open deadlines of `kinds` (all when None); returns those stopped."""
    stopped = []
    for deadline in open_deadlines(ctx, subject_type=subject_type, subject_id=subject_id):
        if kinds is None or deadline.kind in kinds:
            deadline.status, deadline.closed_at = status, ctx.now
            stopped.append(deadline)
    return stopped


def extend_deadline(ctx: Context, deadline: Deadline, *, extension_kind: str) -> Deadline:
    """Replace `deadline` by one of the same kind running `extension_kind` on from its last day."""
    deadline.status, deadline.closed_at = DeadlineStatus.CANCELLED, ctx.now
    rule = ctx.policy.rule(extension_kind)
    start = _period_end(deadline)
    due = ctx.calendar.due(start, rule.amount, rule.unit)
    extended = Deadline(
        subject_type=deadline.subject_type, subject_id=deadline.subject_id, kind=deadline.kind,
        unit=rule.unit.value, amount=rule.amount, start_at=start, due_at=due.at,
        last_day=due.last_day, provisional=due.provisional or deadline.provisional,
    )
    ctx.session.add(extended)
    return extended


def _period_end(deadline: Deadline) -> datetime:
    """Where an extension starts counting: the old last day (not counted again), or the old hour."""
    if deadline.last_day is None:
        return deadline.due_at
    return datetime.combine(deadline.last_day, time(), tzinfo=SHANGHAI)


def recompute_provisional(session, calendar: WorkCalendar) -> int:
    """Recount open provisional deadlines after a year's schedule was loaded; returns how many changed."""
    query = select(Deadline).where(Deadline.status == DeadlineStatus.OPEN, Deadline.provisional.is_(True))
    changed = 0
    for deadline in session.exec(query):
        due = calendar.due(deadline.start_at, deadline.amount, Unit(deadline.unit))
        if (due.at, due.provisional) != (deadline.due_at, deadline.provisional):
            deadline.due_at, deadline.last_day, deadline.provisional = due.at, due.last_day, due.provisional
            changed += 1
    return changed


def days_left(calendar: WorkCalendar, deadline: Deadline, now: datetime) -> int:
    """Working days left until the deadline's last day (negative: overdue by that many)."""
    today = now.astimezone(SHANGHAI).date()
    last = deadline.last_day or deadline.due_at.astimezone(SHANGHAI).date()
    return calendar.working_days_between(today, last)
