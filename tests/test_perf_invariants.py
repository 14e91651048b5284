"""What keeps intake and transitions fast without changing what they do: a fixed number of statements
whatever is stored, the writer lock taken only at the first statement, reminders of a stopped deadline
cancelled by plain statements, and the audit chain moved with plain statements that roll back together."""
import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, select
from sqlmodel import select as orm_select

from db.prepared import Prepared
from domain.enums import OutboxStatus
from domain.models import Deadline, Outbox, Tip
from services import audit, subjects
from services.audit import verify_chain
from services.overdue import overdue_items
from services.tip_queries import list_tips
from tests.helpers import actor, register, send

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def counted(runtime):
    """Each statement sent, with its parameters."""
    sent: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, *_args) -> None:
        sent.append((statement, parameters))

    event.listen(runtime.db.engine, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(runtime.db.engine, "before_cursor_execute", keep)


def register_and_accept(runtime, users) -> tuple[int, int]:
    with counted(runtime) as registering:
        tip = register(runtime, users["desk"])
    with counted(runtime) as accepting:
        send(runtime, users["chief"], tip.id, "accept")
    return len(registering), len(accepting)


def test_statements_per_intake_and_transition_do_not_grow_with_stored_rows(runtime, users):
    register_and_accept(runtime, users)  # warm: the first tip of the year creates its number sequence
    first = register_and_accept(runtime, users)
    for _ in range(25):
        register_and_accept(runtime, users)
    assert register_and_accept(runtime, users) == first
    assert first[0] <= 9 and first[1] <= 12  # today 7 and 10, BEGIN included: a regression shows here


def queued_reminder(runtime, deadline_id: int | None, key: str) -> int:
    with runtime.db.write() as session:
        row = Outbox(key=key, kind="reminder", channel="inbox", title="提醒", body="请按时办理", subject_type="tip",
                     subject_id=0, deadline_id=deadline_id, next_attempt_at=runtime.clock(),
                     created_at=runtime.clock())
        session.add(row)
        session.flush()
        return row.id


def filing_deadline(runtime, tip_id: int) -> int:
    with runtime.db.read() as session:
        return session.exec(orm_select(Deadline.id).where(Deadline.subject_id == tip_id,
                                                          Deadline.kind == "filing_decision")).one()


def statuses(runtime, *row_ids: int) -> list[str]:
    with runtime.db.read() as session:
        return [session.get(Outbox, row_id).status for row_id in row_ids]


def test_stopping_a_deadline_cancels_only_its_queued_reminders(runtime, users):
    tip = register(runtime, users["desk"])
    other = register(runtime, users["desk"])
    mine = queued_reminder(runtime, filing_deadline(runtime, tip.id), "r:mine")
    theirs = queued_reminder(runtime, filing_deadline(runtime, other.id), "r:theirs")
    send(runtime, users["chief"], tip.id, "accept")
    assert statuses(runtime, mine, theirs) == [OutboxStatus.CANCELLED, OutboxStatus.PENDING]


def test_clocks_opened_together_match_those_opened_one_by_one_and_close_by_kind(runtime, users):
    """A transition opens its clocks in one statement and stops each kind it names: only those, each one's
    queued reminders cancelled, the subject's other clocks and their reminders left as they were."""
    from services.deadlines import close_deadlines, start_deadline, start_deadlines

    tip, kinds = register(runtime, users["desk"]), ["handling", "decision_notice", "result_notice"]
    with runtime.write(actor(users["chief"])) as ctx:
        start_deadlines(ctx, subject_type="tip", subject_id=tip.id, kinds=kinds)
        alone = start_deadline(ctx, subject_type="probe", subject_id=tip.id, kind="decision_notice")
    with runtime.db.read() as session:
        opened = {d.kind: d for d in session.exec(orm_select(Deadline).where(Deadline.subject_type == "tip",
                                                                             Deadline.subject_id == tip.id))}
    together = opened["decision_notice"]
    assert (together.due_at, together.last_day, together.next_action_at) == \
        (alone.due_at, alone.last_day, alone.next_action_at)
    reminders = {kind: queued_reminder(runtime, opened[kind].id, f"r:{kind}") for kind in kinds}
    with runtime.write(actor(users["chief"])) as ctx:
        stopped = close_deadlines(ctx, subject_type="tip", subject_id=tip.id, kinds={"handling", "result_notice"})
    assert sorted(stopped) == sorted([opened["handling"].id, opened["result_notice"].id])
    assert statuses(runtime, *reminders.values()) == [OutboxStatus.CANCELLED, OutboxStatus.PENDING,
                                                      OutboxStatus.CANCELLED]
    with runtime.db.read() as session:
        still_open = {d.kind for d in session.exec(orm_select(Deadline).where(
            Deadline.subject_id == tip.id, Deadline.subject_type == "tip", Deadline.status == "open"))}
    assert still_open == {"decision_notice", "filing_decision"}


def test_a_reminder_the_transaction_already_holds_is_cancelled_in_memory_too(runtime, users):
    from domain.schemas import TransitionIn
    from services.tips import transition_tip

    tip = register(runtime, users["desk"])
    reminder = queued_reminder(runtime, filing_deadline(runtime, tip.id), "r:held")
    with runtime.write(actor(users["chief"])) as ctx:
        held = ctx.session.get(Outbox, reminder)
        transition_tip(ctx, tip.id, TransitionIn(event="accept", expected_version=1))
        assert held.status == OutboxStatus.CANCELLED
    assert statuses(runtime, reminder) == [OutboxStatus.CANCELLED]


def test_the_writer_lock_waits_for_the_first_statement(runtime, users):
    """Work before a write's first statement (hashing, sealing) does not keep other writers waiting."""
    entered, other_done = threading.Event(), threading.Event()

    def other_writer() -> None:
        entered.wait(5)
        register(runtime, users["desk"])
        other_done.set()

    thread = threading.Thread(target=other_writer)
    thread.start()
    with runtime.db.write() as session:
        entered.set()
        finished_meanwhile = other_done.wait(10)  # no statement yet: the other writer must get through
        session.execute(select(Tip.id)).all()
    thread.join()
    assert finished_meanwhile


def test_an_audit_row_in_a_rolled_back_savepoint_leaves_no_gap_in_the_chain(runtime, users):
    tip = register(runtime, users["desk"])
    with runtime.write(actor(users["chief"])) as ctx:
        try:
            with ctx.session.begin_nested():
                audit.record(ctx, subject_type="tip", subject_id=tip.id, action="note", reason="undone")
                raise RuntimeError("abandon the savepoint")
        except RuntimeError:
            pass
        audit.record(ctx, subject_type="tip", subject_id=tip.id, action="note", reason="kept")
    with runtime.db.read() as session:
        report = verify_chain(session)
    assert report.intact and report.rows == 2


def test_writers_get_the_sqlite_lock_in_the_order_they_asked():
    """A releasing writer does not take the lock straight back; waiters are served first come, first served."""
    from db.engine import FairLock

    lock, order, asked = FairLock(), [], []
    lock.acquire()

    def writer(number: int) -> None:
        asked.append(number)
        lock.acquire()
        order.append(number)
        lock.release()

    threads = []
    for number in range(5):  # each asks only after the one before is queued
        threads.append(threading.Thread(target=writer, args=(number,)))
        threads[-1].start()
        while len(lock._queue) <= number:
            threading.Event().wait(0.001)
    lock.release()
    lock.acquire()  # asks after all five: served last
    order.append("late")
    lock.release()
    for thread in threads:
        thread.join()
    assert order == [0, 1, 2, 3, 4, "late"]


def test_a_deadline_the_transaction_holds_is_written_before_and_reread_after_a_transition(runtime, users):
    """Clocks stop with plain statements: a held row's own change is kept, and it then reads as stopped."""
    from domain.schemas import TransitionIn
    from services.tips import transition_tip

    tip = register(runtime, users["desk"])
    with runtime.write(actor(users["chief"])) as ctx:
        held = ctx.session.get(Deadline, filing_deadline(runtime, tip.id))
        held.escalation_level = 1  # changed in memory only, not yet flushed
        transition_tip(ctx, tip.id, TransitionIn(event="accept", expected_version=1))
        assert (held.status, held.escalation_level) == ("met", 1)
    with runtime.db.read() as session:
        stored = session.get(Deadline, held.id)
        assert (stored.status, stored.escalation_level, stored.next_action_at) == ("met", 1, None)


def test_a_tip_the_transaction_holds_is_written_before_and_reread_after_a_transition(runtime, users):
    """The tip moves with plain statements too: a held copy's own change is kept, and it then reads as moved."""
    from domain.schemas import TransitionIn
    from services.tips import transition_tip

    tip = register(runtime, users["desk"])
    with runtime.write(actor(users["chief"])) as ctx:
        held = ctx.session.get(Tip, tip.id)
        held.transferred_to = "市卫生健康委"  # changed in memory only, not yet flushed
        moved = transition_tip(ctx, tip.id, TransitionIn(event="accept", expected_version=1))
        assert (moved.status, moved.version) == ("accepted", 2)
        assert (held.status, held.version, held.transferred_to) == ("accepted", 2, "市卫生健康委")
    with runtime.db.read() as session:
        stored = session.get(Tip, tip.id)
        assert (stored.status, stored.version, stored.transferred_to) == ("accepted", 2, "市卫生健康委")


def test_the_registration_answer_built_from_hand_equals_a_fresh_read(runtime, users):
    from domain.schemas import TipCreate
    from services import tip_queries
    from services.tips import register_tip
    from tests.helpers import REPORTER

    data = TipCreate(channel="letter", institution_id=2, facts="分解住院骗取医保基金", anonymous=False, reporter=REPORTER)
    with runtime.write(actor(users["desk"])) as ctx:
        registration = register_tip(ctx, data)
        in_hand = tip_queries.registered_view(ctx, registration)
    with runtime.read(actor(users["desk"])) as ctx:
        assert in_hand == tip_queries.tip_view(ctx, registration.tip.id)
    assert in_hand.institution_name and [d.kind for d in in_hand.deadlines] == ["filing_decision"]


def test_the_served_app_freezes_what_start_up_built(tmp_path):
    """Otherwise every full collection walks the start-up objects and pauses the requests in flight."""
    probe = "import gc, api.main; print(gc.get_freeze_count(), len(gc.get_objects()))"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/probe.db"}
    frozen, tracked = map(int, subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, check=True,
                                              capture_output=True, text=True).stdout.split())
    assert frozen > 100_000 and tracked < frozen / 10


def query_plans(runtime, sent) -> list[str]:
    """The plans of the SELECTs sent. PostgreSQL is told to avoid sorting wherever an index gives the order
    (on a handful of rows it would sort anyway, hiding which orders an index can serve)."""
    with runtime.db.engine.connect() as conn:
        if runtime.db.is_sqlite:
            explain = "EXPLAIN QUERY PLAN"
        else:
            explain = "EXPLAIN"
            conn.exec_driver_sql("SET enable_sort = off")
        return [" / ".join(str(row[-1]) for row in conn.exec_driver_sql(f"{explain} {sql}", params))
                for sql, params in sent if sql.lstrip().startswith("SELECT")]


def test_tip_list_pages_read_by_index_whatever_is_stored(runtime, users, clock):
    """A page of the list reads the list index in its order, and the overdue filter reads the overdue
    deadlines once: a correlated subquery ran once per tip over every overdue deadline (253 s at 100k on
    SQLite), PostgreSQL walked the list index past 900k newer tips to fill a page of the overdue ones
    (2.5 s at 1M), and its NOT IN for tips not overdue was rerun per tip once the overdue ids outgrew
    work_mem (513 s at 100k overdue with 1MB)."""
    register(runtime, users["desk"])
    with runtime.read(actor(users["chief"])) as ctx, counted(runtime) as sent:
        list_tips(ctx.session, now=ctx.now)
        default = query_plans(runtime, sent)
        sent.clear()
        list_tips(ctx.session, now=ctx.now, overdue=True)
        overdue = query_plans(runtime, sent)
        sent.clear()
        list_tips(ctx.session, now=ctx.now, overdue=False)
        not_overdue = query_plans(runtime, sent)
    assert "ix_tip_registered" in default[-1] and "TEMP B-TREE" not in default[-1]
    assert not any("CORRELATED" in plan for plan in overdue + not_overdue)
    assert "ix_tip_registered" not in overdue[-1]  # the overdue set is sorted, not found by walking the list
    if not runtime.db.is_sqlite:  # an anti-join: NOT IN is a subplan, rerun per tip once past work_mem
        assert all("Anti Join" in plan and "SubPlan" not in plan for plan in not_overdue)


def test_the_overdue_view_queries_a_fixed_number_of_times_whatever_is_overdue(runtime, users, clock):
    start = clock.now

    def overdue_statements(registered: int) -> tuple[int, int]:
        clock.set(start)
        for _ in range(registered):
            register(runtime, users["desk"])
        clock.set(start + timedelta(days=60))
        with runtime.read(actor(users["chief"])) as ctx, counted(runtime) as statements:
            items = overdue_items(ctx.session, now=ctx.now, calendar=ctx.calendar, policy=ctx.policy)
        return len(items), len(statements)

    (few, few_statements), (many, many_statements) = overdue_statements(2), overdue_statements(8)
    assert (few, many) == (2, 10) and few_statements == many_statements


def test_prefetch_loads_each_subject_once_in_chunks(runtime, users, monkeypatch):
    tips = [register(runtime, users["desk"]).id for _ in range(7)]
    monkeypatch.setattr(subjects, "PREFETCH_CHUNK", 3)
    wanted = [("tip", tip_id) for tip_id in tips] + [("tip", tips[0]), ("no_such_type", 1)]
    with runtime.read(actor(users["chief"])) as ctx, counted(runtime) as statements:
        loaded = subjects.prefetch(ctx.session, wanted)
    selects = [sql for sql, _ in statements if sql.startswith("SELECT")]
    assert sorted(tip.id for tip in loaded) == tips and len(selects) == 3  # 7 tips: chunks of 3, 3, 1


def test_registration_reads_reference_data_before_its_transaction(runtime, users, monkeypatch):
    """From its transaction's first statement on, other registrations wait (SQLite's writer lock, gap-free
    numbers), so the institution and the calendar are read before: on SQLite outside the transaction, on
    PostgreSQL in it (no writer lock there). Either way on the write's own connection: none is checked out
    of the pool for them. (On SQLite both come from memory while their shared revisions stand: moved here,
    so that they are read.)"""
    register(runtime, users["desk"])  # the year's sequence exists
    for revision in runtime.db.revisions.values():
        revision.move()
    read_alone = Prepared.read

    def noted(statement, bind, params={}):
        sent.append(("alone: " + str(statement.statement), params))
        return read_alone(statement, bind, params)

    monkeypatch.setattr(Prepared, "read", noted)
    checkouts = []
    event.listen(runtime.db.engine, "checkout", lambda *_: checkouts.append(1))
    with counted(runtime) as sent:
        register(runtime, users["desk"])
    tables = ("FROM institution", "FROM holiday_year")
    reads = [i for i, (sql, _) in enumerate(sent) for table in tables if table in sql]
    bump = next(i for i, (sql, _) in enumerate(sent) if "number_sequence" in sql)
    assert len(reads) == 2 and max(reads) < bump
    alone = [sql.startswith("alone: ") for sql, _ in sent]
    if runtime.db.is_sqlite:
        assert alone[:2] == [True, True] and reads == [0, 1]  # before BEGIN IMMEDIATE
    else:
        assert not any(alone)
    assert len(checkouts) == 1


def test_the_sweep_writes_each_deadline_in_one_flush(runtime, users, clock):
    """Its reads (who to notify, which messages exist) do not flush the rows its steps have added so far:
    each deadline's steps, messages and audit rows are written together at commit."""
    from sqlalchemy.orm import Session

    from services.escalation import sweep
    from tests.test_sweep import at

    for _ in range(3):
        register(runtime, users["desk"])
    clock.set(at("2026-10-20"))  # past due: each filing deadline takes its reminder and its first escalation
    flushes: list[Session] = []

    def count(session, _context) -> None:
        flushes.append(session)

    event.listen(Session, "after_flush", count)
    try:
        report = sweep(runtime)
    finally:
        event.remove(Session, "after_flush", count)
    assert report.deadlines == 3 and len(report.steps) >= 6
    assert len(flushes) == 3
