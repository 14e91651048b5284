"""The leader's dashboard (领导看板): open items by stage, overdue by department and level, time per stage against
its legal limit, referrals not yet signed for, rewards paid against the budget. Read-only figures."""
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func
from sqlmodel import Session, select

from domain.calendar import SHANGHAI, Unit, WorkCalendar
from domain.coordination_models import Finding
from domain.enums import DeadlineStatus
from domain.models import AuditEntry, Deadline, Department, Tip
from domain.referral_models import Referral
from domain.reward_models import BudgetPublic, Reward
from services.context import Context
from services.overdue import overdue_items
from services.reward_queries import PAID, budget_line, office_id, settings_of, year_of
from states.referral import DepartmentReferralMachine, PoliceReferralMachine
from states.reward import RewardMachine
from states.supervision import FindingMachine
from states.tip import TipMachine

SUBJECT_LABELS = {"tip": "举报线索", "referral": "移送", "reward": "举报奖励", "finding": "督导整改",
                  "meeting": "联席会议", "decided_matter": "议定事项", "minutes_receipt": "纪要签收",
                  "info_report": "信息报告"}
UNIT_WORDS = {"working_days": "个工作日", "calendar_days": "日", "hours": "小时", "months": "个月"}
DAYS_PER_MONTH = 30.44
ACK_CLOCKS = ("police_ack", "department_ack")
OPEN_KINDS = (("tips", "举报线索", Tip, (TipMachine,)),
              ("referrals", "移送", Referral, (PoliceReferralMachine, DepartmentReferralMachine)),
              ("findings", "督导整改", Finding, (FindingMachine,)), ("rewards", "举报奖励", Reward, (RewardMachine,)))


@dataclass(frozen=True)
class StageCount:
    status: str     # the state value(s), comma-separated where two tracks share the label
    label: str
    count: int


@dataclass(frozen=True)
class OpenItems:
    key: str
    title: str
    stages: list[StageCount]

    @property
    def total(self) -> int:
        return sum(s.count for s in self.stages)


@dataclass(frozen=True)
class OverdueRow:
    department: str
    by_level: dict[int, int]
    total: int


@dataclass(frozen=True)
class OverdueMatrix:
    levels: list[int]
    rows: list[OverdueRow]
    total: int    # every overdue clock
    counted: int  # those the rows cover: the earliest MATRIX_LIMIT


@dataclass
class StageTime:
    """One legal clock (stage): its limit, how long finished ones took on average, how many ran over."""

    subject: str
    stage: str
    unit: str
    limit: int
    used: list[float] = field(default_factory=list)
    over_limit: int = 0
    running: int = 0

    @property
    def limit_text(self) -> str:
        return f"{self.limit}{UNIT_WORDS[self.unit]}"

    @property
    def measure(self) -> str:
        """The unit averages are given in (months are measured in days)."""
        return UNIT_WORDS["calendar_days" if self.unit == "months" else self.unit]

    @property
    def average(self) -> float | None:
        return round(sum(self.used) / len(self.used), 1) if self.used else None

    @property
    def ratio(self) -> float | None:
        """Average over limit, in the same unit (1.0: exactly the legal limit)."""
        limit = self.limit * DAYS_PER_MONTH if self.unit == "months" else self.limit
        return None if self.average is None or not limit else self.average / limit


@dataclass(frozen=True)
class UnsignedReferral:
    id: int
    number: str
    tip_number: str
    department: str
    sent_at: datetime
    working_days: int
    overdue: bool


@dataclass(frozen=True)
class Dashboard:
    open_items: list[OpenItems]
    overdue: OverdueMatrix
    stage_times: list[StageTime]
    unsigned: list[UnsignedReferral]
    budget: BudgetPublic
    paid_count: int


def _open_states(machines) -> list[tuple[str, str]]:
    """Non-final states of the machines, in the machines' order, without repeats."""
    seen: dict[str, str] = {}
    for machine in machines:
        for state in machine.states:
            if not state.final:
                seen.setdefault(str(state.value), str(state.name))
    return list(seen.items())


def open_by_stage(session: Session) -> list[OpenItems]:
    """Counts of open tips, referrals, findings and rewards in each non-final stage (zeros included)."""
    result = []
    for key, title, table, machines in OPEN_KINDS:
        counts = dict(session.exec(select(table.status, func.count()).group_by(table.status)).all())
        by_label: dict[str, list[str]] = {}   # two tracks may name a stage alike (已签收): one bar
        for value, label in _open_states(machines):
            by_label.setdefault(label, []).append(value)
        stages = [StageCount(",".join(values), label, sum(counts.get(v, 0) for v in values))
                  for label, values in by_label.items()]
        result.append(OpenItems(key, title, stages))
    return result


MATRIX_LIMIT = 10_000  # each row is described (subject, department): beyond this the page would take seconds


def overdue_matrix(ctx: Context) -> OverdueMatrix:
    """Overdue deadlines (services.overdue) counted by department and escalation level; the total is exact
    even where the rows cover only the earliest MATRIX_LIMIT."""
    items = overdue_items(ctx.session, now=ctx.now, calendar=ctx.calendar, policy=ctx.policy, limit=MATRIX_LIMIT)
    cells: dict[str, dict[int, int]] = {}
    for item in items:
        row = cells.setdefault(item.department, defaultdict(int))
        row[item.level] += 1
    levels = sorted({item.level for item in items})
    rows = [OverdueRow(name, dict(by), sum(by.values())) for name, by in cells.items()]
    rows.sort(key=lambda r: (-r.total, r.department))
    total = len(items) if len(items) < MATRIX_LIMIT else ctx.session.execute(
        select(func.count()).select_from(Deadline).where(
            Deadline.status == DeadlineStatus.OPEN, Deadline.due_at <= ctx.now)).scalar_one()
    return OverdueMatrix(levels, rows, total, len(items))


def _elapsed(calendar: WorkCalendar, begin: datetime, end: datetime, unit: str) -> float:
    """Time from begin to end in the clock's unit (months are measured in days)."""
    if unit == Unit.WORKING_DAYS.value:
        return float(calendar.working_days_between(begin.astimezone(SHANGHAI).date(), end.astimezone(SHANGHAI).date()))
    seconds = (end - begin).total_seconds()
    return seconds / 3600 if unit == Unit.HOURS.value else seconds / 86400


def _transition_times(session: Session, subjects) -> dict[tuple[str, int], list[datetime]]:
    """When each of `subjects` (a subquery of subject_type, subject_id) changed stage, from the audit rows."""
    audit = AuditEntry.__table__.c
    query = (select(audit.subject_type, audit.subject_id, audit.at)
             .join(subjects, and_(audit.subject_type == subjects.c.subject_type,
                                  audit.subject_id == subjects.c.subject_id))
             .where(audit.to_state.is_not(None)).order_by(audit.id))
    times: dict[tuple[str, int], list[datetime]] = defaultdict(list)
    for subject_type, subject_id, at in session.execute(query):
        times[(subject_type, subject_id)].append(at)
    return {key: sorted(values) for key, values in times.items()}


def _stage_start(times: list[datetime], clock_start: datetime) -> datetime:
    """The audit transition that opened the stage: the last at or before its clock's (possibly later) start_at."""
    index = bisect_right(times, clock_start)
    return times[index - 1] if index else clock_start


# Stage times read what they need, not every clock ever run: running stages are counted by the database,
# finished ones are those met within the window (the page says so), with their subjects' audit times.
STAGE_WINDOW_DAYS = 365
_CLOCK = Deadline.__table__.c
# A stage has one live clock at a time (an extension cancels the clock it replaces; a pause keeps its row).
_RUNNING = select(_CLOCK.subject_type, _CLOCK.kind, _CLOCK.unit, _CLOCK.amount, func.count()).where(
    _CLOCK.status.in_((DeadlineStatus.OPEN, DeadlineStatus.PAUSED))).group_by(
    _CLOCK.subject_type, _CLOCK.kind, _CLOCK.unit, _CLOCK.amount)


def _finished(since: datetime):
    """The (subject_type, subject_id, kind) groups with a clock met since `since`."""
    return select(_CLOCK.subject_type, _CLOCK.subject_id, _CLOCK.kind).where(
        _CLOCK.status == DeadlineStatus.MET, _CLOCK.closed_at >= since).distinct().subquery()


def _finished_rows(groups):
    """Every clock of the finished `groups` (an extended stage has several), in order."""
    same_group = and_(*(_CLOCK[name] == groups.c[name] for name in ("subject_type", "subject_id", "kind")))
    return select(_CLOCK.subject_type, _CLOCK.subject_id, _CLOCK.kind, _CLOCK.unit, _CLOCK.amount, _CLOCK.status,
                  _CLOCK.start_at, _CLOCK.due_at, _CLOCK.closed_at).join(groups, same_group).order_by(_CLOCK.id)


def stage_times(ctx: Context) -> list[StageTime]:
    """Per legal clock: stages finished in the window (audit start to the clock met): average time and how
    many ran over; and how many are running now."""
    stages: dict[tuple[str, str], StageTime] = {}

    def stage(subject_type: str, kind: str, unit: str, amount: int) -> StageTime:
        if (subject_type, kind) not in stages:
            rule = ctx.policy.deadlines.get(kind)
            stages[(subject_type, kind)] = StageTime(
                SUBJECT_LABELS.get(subject_type, subject_type), rule.label if rule else kind,
                rule.unit.value if rule else unit, rule.amount if rule else amount)
        return stages[(subject_type, kind)]

    for subject_type, kind, unit, amount, running in ctx.session.execute(_RUNNING):
        stage(subject_type, kind, unit, amount).running += running
    met = _finished(ctx.now - timedelta(days=STAGE_WINDOW_DAYS))
    groups: dict[tuple[str, int, str], list] = defaultdict(list)
    for row in ctx.session.execute(_finished_rows(met)):
        groups[(row.subject_type, row.subject_id, row.kind)].append(row)
    subjects = select(met.c.subject_type, met.c.subject_id).distinct().subquery()
    times = _transition_times(ctx.session, subjects)
    for (subject_type, subject_id, kind), rows in groups.items():
        last = rows[-1]
        if last.status != DeadlineStatus.MET or last.closed_at is None:  # restarted or stopped since
            continue
        finished = stage(subject_type, kind, last.unit, last.amount)
        begin = _stage_start(times.get((subject_type, subject_id), []), min(r.start_at for r in rows))
        finished.used.append(_elapsed(ctx.calendar, begin, last.closed_at, finished.unit))
        finished.over_limit += last.closed_at > last.due_at
    order = list(SUBJECT_LABELS.values())
    return sorted(stages.values(), key=lambda s: (order.index(s.subject) if s.subject in order else 99, s.stage))


def unsigned_referrals(ctx: Context) -> list[UnsignedReferral]:
    """Referrals sent and not yet signed for, oldest first, with working days waited and the ack clock's state."""
    query = (select(Referral, Department.name, Tip.number).join(Department, Department.id == Referral.department_id)
             .join(Tip, Tip.id == Referral.tip_id).where(Referral.status == "sent").order_by(Referral.sent_at))
    late = set(ctx.session.exec(select(Deadline.subject_id).where(
        Deadline.subject_type == "referral", Deadline.kind.in_(ACK_CLOCKS),
        Deadline.status == DeadlineStatus.OPEN, Deadline.due_at <= ctx.now)))
    today = ctx.now.astimezone(SHANGHAI).date()
    return [UnsignedReferral(r.id, r.number or "", tip_number, name, r.sent_at,
                             ctx.calendar.working_days_between(r.sent_at.astimezone(SHANGHAI).date(), today),
                             r.id in late)
            for r, name, tip_number in ctx.session.exec(query)]


def reward_budget(ctx: Context) -> tuple[BudgetPublic, int]:
    """This year's reward budget line of the office (budgeted, committed, paid, available) and rewards paid."""
    office, year = office_id(ctx), year_of(ctx.now)
    line = budget_line(ctx.session, office, year, settings_of(ctx).annual_budget)
    paid = ctx.session.exec(select(func.count()).select_from(Reward).where(
        Reward.department_id == office, Reward.budget_year == year, Reward.status.in_(PAID))).one()
    return line, paid


def dashboard(ctx: Context) -> Dashboard:
    """Every figure of the leader's dashboard, read in one transaction."""
    budget, paid = reward_budget(ctx)
    return Dashboard(open_by_stage(ctx.session), overdue_matrix(ctx), stage_times(ctx), unsigned_referrals(ctx),
                     budget, paid)
