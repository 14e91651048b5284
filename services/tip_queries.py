"""Read side of tips: lists with filters, the detail view, the anonymous status look-up."""
from datetime import datetime

from sqlalchemy import exists, func
from sqlmodel import Session, select

from domain.calendar import WorkCalendar
from domain.enums import FINDING_LABELS, DeadlineStatus, Finding
from domain.models import AuditEntry, Deadline, Institution, Tip
from domain.policy import Policy
from domain.schemas import AuditPublic, DeadlinePublic, TipPage, TipPublic, TipStatusPublic
from services.context import Actor
from services.deadlines import days_left
from services.errors import NotFound
from services.receipts import tip_by_receipt
from states.binding import enabled_events
from states.tip import EVENT_ROLES, STATE_LABELS, TipMachine


def _overdue_deadlines(now: datetime):
    return select(Deadline.subject_id).where(
        Deadline.subject_type == "tip", Deadline.status == DeadlineStatus.OPEN, Deadline.due_at <= now,
    )


def _overdue_filter(session: Session, now: datetime, overdue: bool):
    """Tips with (or without) an open deadline past due.
    - Overdue: IN over a plain (not correlated) subquery. SQLite ran the correlated EXISTS once per tip over
      every overdue deadline (253 s for 100k tips, 10k overdue).
    - Not overdue, SQLite: NOT IN over the same subquery, for the same reason.
    - Not overdue, PostgreSQL: NOT EXISTS, an anti-join. NOT IN is a hashed subplan only while the overdue
      ids fit in work_mem; past that it is rerun for every tip (100k overdue with work_mem 1MB: 513 s)."""
    if overdue:
        return Tip.id.in_(_overdue_deadlines(now))
    if session.get_bind().dialect.name == "sqlite":
        return Tip.id.not_in(_overdue_deadlines(now))
    return ~exists(_overdue_deadlines(now).where(Deadline.subject_id == Tip.id))


def list_tips(
    session: Session, *, now: datetime, status: str | None = None, channel: str | None = None,
    institution_id: int | None = None, overdue: bool | None = None, offset: int = 0, limit: int = 50,
) -> tuple[list[Tip], int]:
    """Tips matching the filters, newest first, with the total count."""
    query = select(Tip)
    for column, value in ((Tip.status, status), (Tip.channel, channel), (Tip.institution_id, institution_id)):
        if value is not None:
            query = query.where(column == value)
    if overdue is not None:
        query = query.where(_overdue_filter(session, now, overdue))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    newest = Tip.registered_at
    if overdue:
        # Overdue tips are the oldest. Walking the list index from the newest, PostgreSQL expected an overdue
        # tip every few rows and passed 900k to fill a page (2.5 s at 1M). An expression no index holds (the
        # same order: the column is NOT NULL) makes it take the overdue set first and sort only that.
        newest = func.coalesce(Tip.registered_at, Tip.registered_at)
    rows = session.exec(query.order_by(newest.desc(), Tip.id.desc()).offset(offset).limit(limit))
    return list(rows), total


def get_tip(session: Session, tip_id: int) -> Tip:
    tip = session.get(Tip, tip_id)
    if tip is None:
        raise NotFound(f"举报 {tip_id} 不存在")
    return tip


def deadline_public(deadline: Deadline, *, policy: Policy, calendar: WorkCalendar, now: datetime) -> DeadlinePublic:
    rule = policy.deadlines.get(deadline.kind)
    is_open, hourly = deadline.status == DeadlineStatus.OPEN, deadline.unit == "hours"
    return DeadlinePublic(
        id=deadline.id, kind=deadline.kind, label=rule.label if rule else deadline.kind, unit=deadline.unit,
        amount=deadline.amount, due_at=deadline.due_at, last_day=deadline.last_day,
        provisional=deadline.provisional, status=deadline.status,
        days_left=days_left(calendar, deadline, now) if is_open and not hourly else None,
        hours_left=int((deadline.due_at - now).total_seconds() // 3600) if is_open and hourly else None,
        overdue=is_open and deadline.due_at <= now,
    )


_DEADLINE_ROWS = select(*Deadline.__table__.c).where(Deadline.subject_type == "tip")


def tip_deadlines(session: Session, tip_ids: list[int]) -> dict[int, list]:
    """Deadlines of many tips in one query, by tip id: plain rows, read-only (no ORM objects to build)."""
    by_tip: dict[int, list] = {tip_id: [] for tip_id in tip_ids}
    if tip_ids:
        query = _DEADLINE_ROWS.where(Deadline.subject_id.in_(tip_ids)).order_by(Deadline.id)
        for deadline in session.execute(query):
            by_tip[deadline.subject_id].append(deadline)
    return by_tip


def allowed_events_for(tip: Tip, actor: Actor, policy: Policy) -> list[str]:
    """Events this actor may send now: enabled by the machine and permitted to the role."""
    enabled = enabled_events(TipMachine, tip, max_extensions=policy.max_extensions)
    return [e for e in enabled if actor.role in EVENT_ROLES[e]]


_SHOWN = [name for name in Tip.model_fields  # a Tip, or a registration's plain copy
          if name not in {"receipt_hash", "receipt_locator", "registered_by", "decision_notified_at", "closed_at"}]


def tip_public(
    tip: Tip, *, institution_name: str, deadlines: list[Deadline], actor: Actor, policy: Policy,
    calendar: WorkCalendar, now: datetime,
) -> TipPublic:
    """The tip as API and pages show it (never with the reporter's identity)."""
    data = {name: getattr(tip, name) for name in _SHOWN}
    return TipPublic(
        **data, status_label=STATE_LABELS[tip.status], institution_name=institution_name,
        deadlines=[deadline_public(d, policy=policy, calendar=calendar, now=now) for d in deadlines],
        allowed_events=allowed_events_for(tip, actor, policy),
    )


def tip_page(session: Session, tips: list[Tip], total: int, *, offset: int, limit: int, **view) -> TipPage:
    """A page of tips with their institutions and deadlines loaded in two queries."""
    ids = [tip.id for tip in tips]
    names = dict(session.exec(select(Institution.id, Institution.name).where(
        Institution.id.in_({t.institution_id for t in tips}))).all())
    deadlines = tip_deadlines(session, ids)
    items = [tip_public(t, institution_name=names[t.institution_id], deadlines=deadlines[t.id], **view) for t in tips]
    return TipPage(items=items, total=total, offset=offset, limit=limit)


def tip_view(ctx, tip_id: int) -> TipPublic:
    """One tip as API and pages show it: institution, deadlines, the actor's allowed events."""
    tip = get_tip(ctx.session, tip_id)
    return tip_page(ctx.session, [tip], 1, offset=0, limit=1, actor=ctx.actor, policy=ctx.policy,
                    calendar=ctx.calendar, now=ctx.now).items[0]


def registered_view(ctx, registration) -> TipPublic:
    """A tip just registered, as tip_view shows it, from what registration already holds (no read)."""
    return tip_public(registration.tip, institution_name=registration.institution_name,
                      deadlines=registration.deadlines, actor=ctx.actor, policy=ctx.policy, calendar=ctx.calendar,
                      now=ctx.now)


def tip_history(session: Session, tip_id: int) -> list[AuditPublic]:
    """The tip's audit trail, oldest first (identity reads included, for auditors)."""
    query = select(AuditEntry).where(AuditEntry.subject_type == "tip", AuditEntry.subject_id == tip_id)
    return [AuditPublic.model_validate(row, from_attributes=True) for row in session.exec(query.order_by(AuditEntry.id))]


def status_by_receipt(session: Session, code: str) -> TipStatusPublic:
    """What the holder of a receipt code may know: the stage and, once concluded, the finding."""
    tip = tip_by_receipt(session, code)
    if tip is None:
        raise NotFound("查询码无效")
    return TipStatusPublic(
        number=tip.number, status_label=STATE_LABELS[tip.status], registered_at=tip.registered_at,
        finding_label=FINDING_LABELS[Finding(tip.finding)] if tip.finding else None,
    )
