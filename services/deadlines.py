"""Deadline rows: started and stopped by transitions, counted in their rule's unit."""
from datetime import datetime, time
from types import SimpleNamespace

from sqlalchemy import Row, bindparam
from sqlmodel import select

from db.prepared import Prepared
from domain.calendar import SHANGHAI, Unit, WorkCalendar
from domain.enums import DeadlineStatus, OutboxStatus
from domain.escalation import Period, PlannedStep, plan_steps
from domain.models import Deadline, DeadlineStep, Outbox
from domain.policy import Policy
from services.context import Context
from services.plain_rows import expire_held, flush_pending, unflushed


def planned_steps(ctx: Context, deadline) -> list[PlannedStep]:
    """The deadline's reminders and ladder, timed by its rule and the calendar."""
    return _plan(deadline, ctx.policy, ctx.calendar)


WINDOW_CLOSES = "window-closed"


def _plan(deadline, policy: Policy, calendar: WorkCalendar) -> list[PlannedStep]:
    """Steps of a deadline row (or of the values of one about to be written)."""
    rule = policy.deadlines.get(deadline.kind)
    if rule is not None and rule.window:
        return [PlannedStep(WINDOW_CLOSES, 0, deadline.due_at, ())]
    period = Period(deadline.start_at, deadline.due_at, deadline.last_day, deadline.amount, Unit(deadline.unit))
    return plan_steps(period, policy.escalation(deadline.kind), calendar)


def schedule_next(ctx: Context, deadline: Deadline, done: set[str] = frozenset()) -> None:
    """Set when the sweep must next look at the deadline: its first step not yet taken."""
    _schedule(deadline, _plan(deadline, ctx.policy, ctx.calendar), done)


def _schedule(deadline, steps: list[PlannedStep], done: set[str]) -> None:
    pending = [s.at for s in steps if s.code not in done]
    deadline.next_action_at = min(pending) if pending else None


# Transitions open and close clocks with plain statements on the session's connection (services.plain_rows).
_TABLE = Deadline.__table__
_INSERT = Prepared(_TABLE.insert().returning(*_TABLE.c))
_INSERT_MANY = Prepared(_TABLE.insert())


def start_deadline(
    ctx: Context, *, subject_type: str, subject_id: int, kind: str, start: datetime | None = None,
    amount: int | None = None,
) -> Row:
    """Open a deadline of `kind` from `start` (default now), per the locality policy (or `amount` of its
    unit, where a person set the period, e.g. a rectification due on a chosen date). Returns the row."""
    rule = ctx.policy.rule(kind)
    return _insert(ctx, subject_type=subject_type, subject_id=subject_id, kind=kind, unit=rule.unit,
                   amount=rule.amount if amount is None else amount, start=start or ctx.now)


def start_deadlines(ctx: Context, *, subject_type: str, subject_id: int, kinds: list[str]) -> None:
    """Open the deadlines of `kinds` from now, per the policy, in one statement (a transition's clocks)."""
    rows = []
    for kind in kinds:
        rule = ctx.policy.rule(kind)
        rows.append(_values(ctx, subject_type=subject_type, subject_id=subject_id, kind=kind, unit=rule.unit,
                            amount=rule.amount, start=ctx.now))
    if rows:
        _INSERT_MANY.run_many(ctx.session.connection(), rows)


def _insert(ctx: Context, **values) -> Row:
    """Write an open deadline (see `_values`); returns the row as stored."""
    [row] = _INSERT.run(ctx.session.connection(), _values(ctx, **values))
    return row


def _values(ctx: Context, *, subject_type: str, subject_id: int, kind: str, unit: Unit, amount: int,
            start: datetime, provisional: bool = False) -> dict:
    """An open deadline counted from `start`, its first reminder or step scheduled."""
    due = ctx.calendar.due(start, amount, unit)
    row = SimpleNamespace(
        subject_type=subject_type, subject_id=subject_id, kind=kind, unit=unit.value, amount=amount,
        start_at=start, due_at=due.at, last_day=due.last_day, provisional=due.provisional or provisional,
        status=DeadlineStatus.OPEN.value, escalation_level=0,
    )
    schedule_next(ctx, row)
    return vars(row)


def _select(session, query, model: type) -> list:
    """Run a query on `model`'s table, flushing first only when pending `model` rows could change its answer
    (one flush at commit instead of one per query)."""
    if unflushed(session, model):
        return list(session.exec(query))
    with session.no_autoflush:
        return list(session.exec(query))


def open_deadlines(ctx: Context, *, subject_type: str, subject_id: int) -> list[Deadline]:
    """The subject's open deadlines."""
    query = select(Deadline).where(
        Deadline.subject_type == subject_type, Deadline.subject_id == subject_id,
        Deadline.status == DeadlineStatus.OPEN,
    )
    return _select(ctx.session, query, Deadline)


# No expanding IN (...) parameters: SQLAlchemy re-renders those on every execution, which cost more than
# the statement. A subject has a handful of open clocks, and an event stops one or two kinds.
_CLOSE_ALL = _TABLE.update().where(
    _TABLE.c.subject_type == bindparam("of_type"), _TABLE.c.subject_id == bindparam("of_id"),
    _TABLE.c.status == DeadlineStatus.OPEN,
).values(
    status=bindparam("new_status"), closed_at=bindparam("now", type_=_TABLE.c.closed_at.type), next_action_at=None,
).returning(_TABLE.c.id)
_CLOSE, _CLOSE_KIND = Prepared(_CLOSE_ALL), Prepared(_CLOSE_ALL.where(_TABLE.c.kind == bindparam("of_kind")))


def close_deadlines(
    ctx: Context, *, subject_type: str, subject_id: int, kinds: set[str] | None = None,
    status: DeadlineStatus = DeadlineStatus.MET,
) -> list[int]:
    """Stop the subject's open deadlines of `kinds` (all when None); returns the ids of those stopped."""
    if kinds is not None and not kinds:
        return []
    session = ctx.session
    flush_pending(session, Deadline)
    params = {"of_type": subject_type, "of_id": subject_id, "new_status": status, "now": ctx.now}
    conn = session.connection()
    if kinds is None:
        stopped = [row_id for (row_id,) in _CLOSE.run(conn, params)]
    else:
        stopped = []
        for kind in sorted(kinds):
            stopped += [row_id for (row_id,) in _CLOSE_KIND.run(conn, {**params, "of_kind": kind})]
    expire_held(session, Deadline, stopped)
    _cancel_pending_messages(ctx, stopped)
    return stopped


_OUTBOX = Outbox.__table__
_CANCEL_PENDING = Prepared(_OUTBOX.update().where(
    _OUTBOX.c.deadline_id == bindparam("of_deadline"), _OUTBOX.c.status == OutboxStatus.PENDING,
).values(status=OutboxStatus.CANCELLED))


def _cancel_pending_messages(ctx: Context, deadline_ids: list[int]) -> None:
    """Reminders still queued for a stopped deadline are not sent any more."""
    if not deadline_ids:
        return
    if not any(isinstance(row, Outbox) for row in ctx.session):  # the usual case: plain UPDATEs
        conn = ctx.session.connection()
        for deadline_id in deadline_ids:
            _CANCEL_PENDING.run(conn, {"of_deadline": deadline_id})
        return
    query = select(Outbox).where(Outbox.deadline_id.in_(deadline_ids), Outbox.status == OutboxStatus.PENDING)
    for row in _select(ctx.session, query, Outbox):  # rows this session holds change in memory too
        row.status = OutboxStatus.CANCELLED


def extend_deadline(ctx: Context, deadline: Deadline, *, extension_kind: str) -> Row:
    """Replace `deadline` by one of the same kind running `extension_kind` on from its last day."""
    start, provisional = _period_end(deadline), deadline.provisional
    close_deadlines(ctx, subject_type=deadline.subject_type, subject_id=deadline.subject_id,
                    kinds={deadline.kind}, status=DeadlineStatus.CANCELLED)
    rule = ctx.policy.rule(extension_kind)
    return _insert(ctx, subject_type=deadline.subject_type, subject_id=deadline.subject_id, kind=deadline.kind,
                   unit=rule.unit, amount=rule.amount, start=start, provisional=provisional)


def _period_end(deadline: Deadline) -> datetime:
    """Where an extension starts counting: the old last day (not counted again), or the old hour."""
    if deadline.last_day is None:
        return deadline.due_at
    return datetime.combine(deadline.last_day, time(), tzinfo=SHANGHAI)


def recompute_provisional(session, calendar: WorkCalendar, policy: Policy) -> int:
    """Recount open provisional deadlines after a year's schedule was loaded; returns how many changed."""
    query = select(Deadline).where(Deadline.status == DeadlineStatus.OPEN, Deadline.provisional.is_(True))
    changed = 0
    for deadline in session.exec(query):
        due = calendar.due(deadline.start_at, deadline.amount, Unit(deadline.unit))
        if (due.at, due.provisional) != (deadline.due_at, deadline.provisional):
            deadline.due_at, deadline.last_day, deadline.provisional = due.at, due.last_day, due.provisional
            done = set(session.exec(select(DeadlineStep.code).where(DeadlineStep.deadline_id == deadline.id)))
            _schedule(deadline, _plan(deadline, policy, calendar), done)
            changed += 1
    return changed


def days_left(calendar: WorkCalendar, deadline: Deadline, now: datetime) -> int:
    """Working days left until the deadline's last day (negative: overdue by that many)."""
    today = now.astimezone(SHANGHAI).date()
    last = deadline.last_day or deadline.due_at.astimezone(SHANGHAI).date()
    return calendar.working_days_between(today, last)


def _remaining(ctx: Context, deadline: Deadline) -> int:
    """What is left of the period now, in the deadline's own unit (never below zero)."""
    unit = Unit(deadline.unit)
    if unit is Unit.HOURS:
        return max(int((deadline.due_at - ctx.now).total_seconds() // 3600), 0)
    today = ctx.now.astimezone(SHANGHAI).date()
    if unit is Unit.WORKING_DAYS:
        return max(ctx.calendar.working_days_between(today, deadline.last_day), 0)
    if unit is Unit.CALENDAR_DAYS:
        return max((deadline.last_day - today).days, 0)
    months = (deadline.last_day.year - today.year) * 12 + deadline.last_day.month - today.month
    return max(months, 0)


def pause_deadline(ctx: Context, deadline: Deadline) -> None:
    """Stop the clock (中止): no reminders or escalations until resumed; queued ones are cancelled."""
    deadline.remaining, deadline.paused_at = _remaining(ctx, deadline), ctx.now
    deadline.status, deadline.next_action_at = DeadlineStatus.PAUSED, None
    _cancel_pending_messages(ctx, [deadline.id])


def resume_deadline(ctx: Context, deadline: Deadline) -> None:
    """Restart the clock from now with what was left when it was paused."""
    due = ctx.calendar.due(ctx.now, deadline.remaining or 0, Unit(deadline.unit))
    deadline.start_at, deadline.amount = ctx.now, deadline.remaining or 0
    deadline.due_at, deadline.last_day, deadline.provisional = due.at, due.last_day, due.provisional
    deadline.status, deadline.paused_at, deadline.remaining = DeadlineStatus.OPEN, None, None
    done = set(ctx.session.exec(select(DeadlineStep.code).where(DeadlineStep.deadline_id == deadline.id)))
    schedule_next(ctx, deadline, done)
