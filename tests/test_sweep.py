"""The deadline sweep without Prefect: reminders, the ladder, exactly once, stopping when met."""
import threading
from datetime import datetime

from sqlmodel import select

from domain.calendar import SHANGHAI
from domain.enums import OutboxStatus
from domain.models import AuditEntry, Deadline, DeadlineStep, Outbox
from services.escalation import sweep
from tests.helpers import REPORTER, register, send


def at(day: str, hour: int = 1) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00").replace(tzinfo=SHANGHAI)


def filing_deadline(runtime, tip_id: int) -> Deadline:
    with runtime.db.read() as session:
        return session.exec(select(Deadline).where(Deadline.subject_id == tip_id,
                                                   Deadline.kind == "filing_decision")).one()


def steps(runtime, deadline_id: int | None = None) -> list[tuple[str, int, list[str]]]:
    query = select(DeadlineStep).order_by(DeadlineStep.id)
    if deadline_id is not None:
        query = query.where(DeadlineStep.deadline_id == deadline_id)
    with runtime.db.read() as session:
        return [(s.code, s.level, s.notified) for s in session.exec(query)]


def outbox(runtime) -> list[Outbox]:
    with runtime.db.read() as session:
        return list(session.exec(select(Outbox).order_by(Outbox.id)))


def test_filing_deadline_reminds_then_climbs_the_ladder_across_national_day(runtime, users, clock):
    # Registered Mon 2026-09-21; 15 working days skip Mid-autumn (Sep 25) and National Day (Oct 1-7) and
    # count the make-up Saturday Oct 10: the last day is Mon Oct 19.
    tip = register(runtime, users["desk"])
    deadline = filing_deadline(runtime, tip.id)
    assert deadline.last_day.isoformat() == "2026-10-19"
    # Reminder 1 at 66% (9 of 15 WD: the 9th is Sat Oct 10), so the sweep acts from Sun Oct 11 00:00.
    assert deadline.next_action_at == at("2026-10-11", 0)
    clock.set(at("2026-10-10", 23))
    assert sweep(runtime).steps == []
    clock.set(at("2026-10-11"))
    assert sweep(runtime).steps == [f"{deadline.id}:remind-1"]
    assert steps(runtime) == [("remind-1", 0, ["王受理", "张科长"])]
    # Reminder 2: two working days before Oct 19 is Thu Oct 15 (Oct 16 and 19 remain).
    clock.set(at("2026-10-15"))
    sweep(runtime)
    clock.set(at("2026-10-20"))
    sweep(runtime)
    clock.set(at("2026-10-23"))  # level 2: 3 working days past Oct 19 (Oct 20, 21, 22)
    sweep(runtime)
    assert [(c, lvl) for c, lvl, _ in steps(runtime)] == [("remind-1", 0), ("remind-2", 0), ("level-1", 1), ("level-2", 2)]
    assert steps(runtime)[2][2] == ["张科长", "陈局长"] and steps(runtime)[3][2] == ["陈局长"]
    assert filing_deadline(runtime, tip.id).escalation_level == 2
    assert filing_deadline(runtime, tip.id).next_action_at is None


def test_each_step_is_taken_once_and_recorded_in_the_tips_history(runtime, users, clock):
    tip = register(runtime, users["desk"])
    clock.set(at("2026-10-20"))  # catch-up: both reminders are overtaken, level 1 is due
    first = sweep(runtime)
    assert sweep(runtime).steps == []  # same instant again: nothing new
    assert len(first.steps) == 3
    recorded = {code: (level, notified) for code, level, notified in steps(runtime)}
    assert recorded["remind-1"][1] == [] and recorded["remind-2"][1] == []  # skipped, nobody told late
    with runtime.db.read() as session:
        history = session.exec(select(AuditEntry.action, AuditEntry.detail).where(
            AuditEntry.subject_id == tip.id, AuditEntry.action == "deadline_escalation")).all()
    assert [(a, d["level"], d["notified"]) for a, d in history] == [("deadline_escalation", 1, ["张科长", "陈局长"])]
    keys = [row.key for row in outbox(runtime)]
    assert len(keys) == len(set(keys)) == 2  # chief + head, inbox each


def test_meeting_the_deadline_stops_reminders_and_cancels_queued_messages(runtime, users, clock):
    tip = register(runtime, users["desk"])
    clock.set(at("2026-10-11"))
    sweep(runtime)
    assert {row.status for row in outbox(runtime)} == {OutboxStatus.PENDING}
    send(runtime, users["chief"], tip.id, "accept")
    assert {row.status for row in outbox(runtime)} == {OutboxStatus.CANCELLED}
    clock.set(at("2026-10-30"))
    sweep(runtime)
    filing = filing_deadline(runtime, tip.id)
    assert filing.status == "met" and filing.next_action_at is None
    assert [code for code, _, _ in steps(runtime, filing.id)] == ["remind-1"]


def test_closing_a_case_cancels_its_pending_reminders(runtime, users, clock):
    tip = register(runtime, users["desk"])
    send(runtime, users["chief"], tip.id, "reject", ground="no_specific_clue", reason="无具体线索")
    with runtime.db.read() as session:
        notice = session.exec(select(Deadline).where(Deadline.kind == "decision_notice")).one()
    clock.set(notice.next_action_at)
    sweep(runtime)
    assert any(row.deadline_id == notice.id and row.status == OutboxStatus.PENDING for row in outbox(runtime))
    send(runtime, users["desk"], tip.id, "notify_decision")
    send(runtime, users["desk"], tip.id, "close")
    assert all(row.status == OutboxStatus.CANCELLED for row in outbox(runtime) if row.deadline_id == notice.id)


def test_two_sweeps_at_the_same_instant_take_each_step_once(runtime, users, clock):
    tips = [register(runtime, users["desk"]) for _ in range(6)]
    clock.set(at("2026-10-23"))
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait()
            sweep(runtime)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    assert len(steps(runtime)) == 4 * len(tips)  # 2 reminders (skipped) + 2 levels each, no duplicates
    keys = [row.key for row in outbox(runtime)]
    assert len(keys) == len(set(keys))


def test_messages_carry_case_number_and_stage_but_never_the_reporter(runtime, users, clock):
    tip = register(runtime, users["desk"])
    clock.set(at("2026-10-22"))
    sweep(runtime)
    rows = outbox(runtime)
    assert rows and all(tip.number in row.title + row.body for row in rows)
    assert all("已登记" in row.body and "超期 3 个工作日" in row.title for row in rows)  # Oct 20, 21, 22
    for secret in (REPORTER.name, REPORTER.phone, REPORTER.id_number):
        assert all(secret not in row.title + row.body for row in rows)
