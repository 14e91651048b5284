"""The audit log is hash-chained: verification names the first row that was edited or removed."""
import json
import os
import subprocess
import sys
import threading

from sqlalchemy import event, text

from db.engine import Database
from services import audit
from services.audit import verify_chain
from services.runtime import Runtime
from tests.helpers import actor, register, send


def chain(runtime):
    with runtime.db.read() as session:
        return verify_chain(session)


def test_a_row_edited_in_the_database_is_caught_and_named(runtime, users):
    tip = register(runtime, users["desk"])
    send(runtime, users["chief"], tip.id, "accept")
    send(runtime, users["desk"], tip.id, "notify_decision")
    assert chain(runtime).intact and chain(runtime).rows == 3
    with runtime.db.engine.begin() as conn:  # someone edits the record behind the application's back
        conn.execute(text("UPDATE audit_entry SET reason = '篡改' WHERE seq = 2"))
    report = chain(runtime)
    assert not report.intact and report.broken_seq == 2 and "edited" in report.reason


def test_a_removed_row_is_caught(runtime, users):
    tip = register(runtime, users["desk"])
    send(runtime, users["chief"], tip.id, "accept")
    send(runtime, users["desk"], tip.id, "notify_decision")
    with runtime.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_entry WHERE seq = 2"))
    report = chain(runtime)
    assert not report.intact and report.broken_seq == 3 and "removed" in report.reason


def test_concurrent_writers_extend_one_chain(runtime, users):
    barrier, errors = threading.Barrier(6), []

    def worker():
        try:
            barrier.wait()
            for _ in range(3):
                register(runtime, users["desk"])
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == [] and chain(runtime).intact and chain(runtime).rows == 18


def test_cli_verify_exits_nonzero_and_names_the_row(runtime, users, database):
    tip = register(runtime, users["desk"])
    send(runtime, users["chief"], tip.id, "accept")
    fundwatch = os.path.join(os.path.dirname(sys.executable), "fundwatch")
    env = {**os.environ, "DATABASE_URL": database.url}
    ok = subprocess.run([fundwatch, "audit", "verify"], env=env, capture_output=True, text=True)
    assert ok.returncode == 0 and json.loads(ok.stdout) == {"intact": True, "rows": 2}
    with runtime.db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET actor_name = '他人' WHERE seq = 1"))
    broken = subprocess.run([fundwatch, "audit", "verify"], env=env, capture_output=True, text=True)
    report = json.loads(broken.stdout)
    assert broken.returncode == 1 and report["first_broken_seq"] == 1 and report["intact"] is False


def note(runtime, user, tip_id: int, reason: str) -> None:
    with runtime.write(actor(user)) as ctx:
        audit.record(ctx, subject_type="tip", subject_id=tip_id, action="note", reason=reason)


def head_statements(runtime, write) -> list[str]:
    """The statements on the chain's head that `write` sends."""
    sent = []

    def keep(_conn, _cursor, statement, *_args) -> None:
        if "audit_head" in statement:
            sent.append(statement.split()[0])

    event.listen(runtime.db.engine, "before_cursor_execute", keep)
    try:
        write()
    finally:
        event.remove(runtime.db.engine, "before_cursor_execute", keep)
    return sent


def test_the_head_this_process_moved_last_is_checked_and_moved_in_one_statement(runtime, users):
    tip = register(runtime, users["desk"])
    assert head_statements(runtime, lambda: note(runtime, users["chief"], tip.id, "once")) == ["UPDATE"]
    assert chain(runtime).intact and chain(runtime).rows == 2


def test_an_entry_another_process_added_is_chained_after(runtime, users, database):
    """The head this process remembers is stale once another process moved it: the head is then read."""
    tip = register(runtime, users["desk"])
    other = Database(database.url)  # another process's engine: it remembers nothing of this one's
    try:
        note(Runtime(db=other, policy=runtime.policy, clock=runtime.clock), users["chief"], tip.id, "elsewhere")
    finally:
        other.dispose()
    moves = head_statements(runtime, lambda: note(runtime, users["chief"], tip.id, "here"))
    assert moves == ["UPDATE", "SELECT", "UPDATE"]  # the remembered head refused, then read and moved
    assert chain(runtime).intact and chain(runtime).rows == 3


def test_after_a_rolled_back_transaction_the_next_entry_chains_on_the_stored_head(runtime, users):
    tip = register(runtime, users["desk"])
    try:
        with runtime.write(actor(users["chief"])) as ctx:
            audit.record(ctx, subject_type="tip", subject_id=tip.id, action="note", reason="undone")
            raise RuntimeError("the use case fails after its audit row")
    except RuntimeError:
        pass
    note(runtime, users["chief"], tip.id, "kept")
    report = chain(runtime)
    assert report.intact and report.rows == 2
