"""The deadline sweep: reminders before, and the escalation ladder after, each step taken once.

Only rows with status 'open' and next_action_at <= now are read (index ix_deadline_status_next_action),
so a sweep costs what is due, not what is stored. A met, paused or cancelled deadline is never read.
"""
from dataclasses import dataclass, field

from sqlmodel import Session, select

from domain.calendar import SHANGHAI
from domain.enums import DeadlineStatus
from domain.escalation import PlannedStep
from domain.models import Deadline, DeadlineStep, Department, User
from notifications.templates import MessageKind
from services import audit
from services.context import SYSTEM, Context
from services.deadlines import WINDOW_CLOSES, planned_steps, schedule_next
from services.outbox import notify
from services.runtime import Runtime
from services.subjects import SubjectInfo, describe, expiry_action


@dataclass
class SweepReport:
    deadlines: int = 0
    steps: list[str] = field(default_factory=list)


def sweep(runtime: Runtime, *, limit: int = 1000) -> SweepReport:
    """Advance every deadline with a step due now; one transaction per deadline."""
    report = SweepReport()
    with runtime.read(SYSTEM) as ctx:
        ids = due_deadline_ids(ctx.session, ctx.now, limit)
    for deadline_id in ids:
        with runtime.write(SYSTEM) as ctx:
            taken = advance_deadline(ctx, deadline_id)
        report.deadlines += 1
        report.steps += [f"{deadline_id}:{code}" for code in taken]
    return report


def due_deadline_ids(session: Session, now, limit: int) -> list[int]:
    query = (select(Deadline.id).where(Deadline.status == DeadlineStatus.OPEN, Deadline.next_action_at <= now)
             .order_by(Deadline.next_action_at).limit(limit))
    return list(session.exec(query))


def advance_deadline(ctx: Context, deadline_id: int) -> list[str]:
    """Take the deadline's due steps not yet taken; returns their codes. Skips a row another worker holds."""
    query = select(Deadline).where(Deadline.id == deadline_id, Deadline.status == DeadlineStatus.OPEN,
                                   Deadline.next_action_at <= ctx.now).with_for_update(skip_locked=True)
    deadline = ctx.session.exec(query).first()
    if deadline is None:
        return []
    info = describe(ctx.session, deadline.subject_type, deadline.subject_id)
    done = set(ctx.session.exec(select(DeadlineStep.code).where(DeadlineStep.deadline_id == deadline.id)))
    taken = []
    for step in planned_steps(ctx, deadline):
        if step.at > ctx.now or step.code in done or info is None:
            continue
        _take_step(ctx, deadline, info, step)
        done.add(step.code)
        taken.append(step.code)
    schedule_next(ctx, deadline, done)
    return taken


def _take_step(ctx: Context, deadline: Deadline, info: SubjectInfo, step: PlannedStep) -> None:
    """Record the step and queue its messages; a reminder overtaken by the deadline is only recorded."""
    if step.code == WINDOW_CLOSES:
        _close_window(ctx, deadline, step)
        return
    skipped = step.is_reminder and ctx.now >= deadline.due_at
    people = [] if skipped else recipients(ctx.session, step.notify, info)
    ctx.session.add(DeadlineStep(deadline_id=deadline.id, code=step.code, level=step.level, at=ctx.now,
                                 skipped=skipped, notified=[p.display_name for p in people]))
    if skipped:
        return
    if step.level:
        deadline.escalation_level = step.level
    if step.level == 1 and (action := expiry_action(deadline.kind)) is not None:
        action(ctx, deadline)
    kind = MessageKind.DEADLINE_REMINDER if step.is_reminder else MessageKind.DEADLINE_OVERDUE
    notify(ctx, people=people, kind=kind, context=_message_context(ctx, deadline, info, step),
           key=f"{deadline.subject_type}:{deadline.subject_id}:d{deadline.id}:{step.code}",
           subject_type=deadline.subject_type, subject_id=deadline.subject_id, deadline_id=deadline.id,
           contacts=_department_leader(ctx.session, step.notify, info))
    action = "deadline_reminder" if step.is_reminder else "deadline_escalation"
    audit.record(ctx, subject_type=deadline.subject_type, subject_id=deadline.subject_id, action=action,
                 detail={"deadline": deadline.kind, "step": step.code, "level": step.level, "label": step.label,
                         "notified": [p.display_name for p in people]})


def _close_window(ctx: Context, deadline: Deadline, step: PlannedStep) -> None:
    """A window that passed unused simply closes (recorded on the subject; nobody is chased)."""
    ctx.session.add(DeadlineStep(deadline_id=deadline.id, code=step.code, level=0, at=ctx.now, notified=[]))
    deadline.status, deadline.closed_at = DeadlineStatus.CANCELLED, ctx.now
    audit.record(ctx, subject_type=deadline.subject_type, subject_id=deadline.subject_id, action="window_closed",
                 detail={"deadline": deadline.kind})


def _department_leader(session: Session, names: tuple[str, ...], info: SubjectInfo) -> list[tuple[str, str]]:
    """'department_leader' in a ladder: the outside department's own leader contact (e-mail), if recorded."""
    if "department_leader" not in names or info.department_id is None:
        return []
    department = session.get(Department, info.department_id)
    return [(department.leader_name or department.name, department.leader_email)] if department.leader_email else []


def recipients(session: Session, names: tuple[str, ...], info: SubjectInfo) -> list[User]:
    """Resolve ladder names ('handler' or a role) to active users, each once."""
    roles = [n for n in names if n not in ("handler", "liaison", "department_leader")]
    query = select(User).where(User.active.is_(True))
    with session.no_autoflush:  # the step's own pending rows cannot change who is notified
        users = list(session.exec(query.where(User.role.in_(roles)).order_by(User.id))) if roles else []
        if "liaison" in names and info.department_id is not None:
            users += list(session.exec(query.where(User.role == "liaison", User.department_id == info.department_id)))
    if "handler" in names and info.handler_id is not None:
        handler = session.get(User, info.handler_id)
        if handler is not None and handler.active:
            users.insert(0, handler)
    unique = {u.id: u for u in users}
    return list(unique.values())


def _message_context(ctx: Context, deadline: Deadline, info: SubjectInfo, step: PlannedStep) -> dict:
    """What templates may say: case number, stage, dates and days. Never the reporter's identity."""
    today = ctx.now.astimezone(SHANGHAI).date()
    last_day = deadline.last_day or deadline.due_at.astimezone(SHANGHAI).date()
    rule = ctx.policy.deadlines.get(deadline.kind)
    return {
        "number": info.number, "stage": info.stage, "deadline_label": rule.label if rule else deadline.kind,
        "last_day": last_day.isoformat(), "provisional": deadline.provisional, "level": step.level,
        "step_label": step.label,
        "days_left": max(ctx.calendar.working_days_between(today, last_day), 0),
        "days_overdue": max(-ctx.calendar.working_days_between(today, last_day), 0),
        "red_since": deadline.due_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
    }

