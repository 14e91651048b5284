"""When a deadline's reminders and escalation steps fall due (pure: no I/O)."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from domain.calendar import SHANGHAI, Unit, WorkCalendar
from domain.policy import EscalationRule, LadderStep, Reminder


@dataclass(frozen=True)
class PlannedStep:
    code: str                  # "remind-1", "level-1" ...: unique per deadline
    level: int                 # 0 for reminders, 1.. up the ladder
    at: datetime
    notify: tuple[str, ...]
    label: str = ""

    @property
    def is_reminder(self) -> bool:
        return self.level == 0


@dataclass(frozen=True)
class Period:
    """The parts of a deadline row that timing depends on."""

    start_at: datetime
    due_at: datetime
    last_day: date | None
    amount: int
    unit: Unit


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=SHANGHAI)


def _reminder_at(period: Period, reminder: Reminder, calendar: WorkCalendar) -> datetime | None:
    if reminder.fraction is not None:
        share = int(period.amount * reminder.fraction)
        return calendar.due(period.start_at, share, period.unit).at if share > 0 else None
    if reminder.unit is Unit.HOURS or period.last_day is None:
        return period.due_at - timedelta(hours=reminder.before) if reminder.unit is Unit.HOURS else None
    if reminder.unit is Unit.WORKING_DAYS:
        return _midnight(calendar.working_days_back(period.last_day, reminder.before))
    return _midnight(period.last_day - timedelta(days=reminder.before))


def _ladder_at(period: Period, step: LadderStep, calendar: WorkCalendar) -> datetime:
    if step.after == 0:
        return period.due_at
    if step.unit is Unit.HOURS or period.last_day is None:
        return period.due_at + timedelta(hours=step.after) if step.unit is Unit.HOURS else period.due_at
    return calendar.due(period.last_day, step.after, step.unit).at


def plan_steps(period: Period, rule: EscalationRule, calendar: WorkCalendar) -> list[PlannedStep]:
    """Every reminder strictly inside the period and every ladder step, in time order."""
    steps = []
    for i, reminder in enumerate(rule.reminders, start=1):
        at = _reminder_at(period, reminder, calendar)
        if at is not None and period.start_at < at < period.due_at:
            steps.append(PlannedStep(f"remind-{i}", 0, at, reminder.notify))
    for level, step in enumerate(rule.ladder, start=1):
        steps.append(PlannedStep(f"level-{level}", level, _ladder_at(period, step, calendar), step.notify, step.label))
    return sorted(steps, key=lambda s: (s.at, s.level))
