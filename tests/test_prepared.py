"""Prepared statements store what Core would, share the session's transaction, raise Core's exceptions and
are seen by statement listeners, on each backend."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Numeric, bindparam, cast, event, literal, select
from sqlalchemy.exc import IntegrityError

from db.prepared import Prepared, PreparedInsert
from domain.enums import OutboxStatus
from domain.models import Outbox

TABLE = Outbox.__table__
INSERT = Prepared(TABLE.insert().returning(TABLE.c.id))
CANCEL_PENDING = Prepared(TABLE.update().where(TABLE.c.subject_id == bindparam("of_subject"),
                                               TABLE.c.status == OutboxStatus.PENDING)
                          .values(status=OutboxStatus.CANCELLED).returning(TABLE.c.id))
SET_BY_ID = Prepared(TABLE.update().where(TABLE.c.id == bindparam("row_id")))
INSERT_ONE = PreparedInsert(TABLE)
AT = datetime(2026, 11, 29, 8, 30, 15, 123456, tzinfo=timezone.utc)
AT_SHANGHAI = AT.astimezone(timezone(timedelta(hours=8)))  # the same instant, as the offices' clocks show it


def values(key: str, **changes) -> dict:
    row = {"key": key, "kind": "reminder", "channel": "inbox", "recipient_id": None, "address": None,
           "subject_type": "tip", "subject_id": 7, "deadline_id": None, "title": "提醒", "body": "请按时办理",
           "status": OutboxStatus.PENDING, "attempts": 0, "next_attempt_at": AT, "claimed_at": None,
           "sent_at": None, "last_error": None, "created_at": AT}
    return {**row, **changes}


def stored(database, row_id: int) -> Outbox:
    with database.read() as session:
        return session.get(Outbox, row_id)


def test_values_are_stored_as_core_stores_them(database):
    given = values("prepared", next_attempt_at=AT_SHANGHAI, created_at=AT)
    with database.write() as session:
        conn = session.connection()
        [(prepared_id,)] = INSERT.run(conn, given)
        conn.execute(TABLE.insert(), {**given, "key": "core"})
    with database.read() as session:  # the driver's own view of both rows: the same stored form
        raw = session.connection().exec_driver_sql("SELECT next_attempt_at, created_at, status, title "
                                                   "FROM outbox ORDER BY id").all()
    assert raw[0] == raw[1]
    prepared = stored(database, prepared_id)
    assert prepared.next_attempt_at == prepared.created_at == AT  # aware UTC back, microseconds kept
    assert (prepared.title, prepared.status, prepared.claimed_at) == ("提醒", OutboxStatus.PENDING, None)


def test_values_fixed_in_the_statement_apply_and_only_passed_columns_are_set(database):
    with database.write() as session:
        conn = session.connection()
        [(pending,)] = INSERT.run(conn, values("a"))
        [(sent,)] = INSERT.run(conn, values("b", status=OutboxStatus.SENT))
        [(elsewhere,)] = INSERT.run(conn, values("c", subject_id=8))
        assert CANCEL_PENDING.run(conn, {"of_subject": 7}) == [(pending,)]
        SET_BY_ID.run(conn, {"row_id": sent, "attempts": 3})
        SET_BY_ID.run(conn, {"row_id": sent, "last_error": "超时"})  # another set of columns, compiled anew
    assert [stored(database, i).status for i in (pending, sent, elsewhere)] == ["cancelled", "sent", "pending"]
    assert (stored(database, sent).attempts, stored(database, sent).last_error) == (3, "超时")


def test_an_insert_answers_its_new_id_and_an_update_how_many_rows_it_changed(database):
    """SQLite answers the id from the driver (no RETURNING), PostgreSQL by RETURNING: the same ids either way."""
    with database.write() as session:
        conn = session.connection()
        first = INSERT_ONE.run(conn, values("one"))
        second = INSERT_ONE.run(conn, values("two", subject_id=8))
        [(third,)] = INSERT.run(conn, values("three"))
        assert CANCEL_PENDING.changed(conn, {"of_subject": 7}) == 2  # "one" and "three"
        assert CANCEL_PENDING.changed(conn, {"of_subject": 7}) == 0  # nothing pending is left there
        assert SET_BY_ID.changed(conn, {"row_id": second, "attempts": 1}) == 1
    assert second > first and third > second
    assert [(stored(database, i).key, stored(database, i).status) for i in (first, second, third)] == [
        ("one", "cancelled"), ("two", "pending"), ("three", "cancelled")]


def test_statements_share_the_session_transaction(database):
    with pytest.raises(RuntimeError), database.write() as session:
        [(row_id,)] = INSERT.run(session.connection(), values("rolled-back"))
        raise RuntimeError("the use case fails after the statement")
    assert stored(database, row_id) is None


def test_driver_errors_arrive_as_sqlalchemy_exceptions(database):
    with pytest.raises(IntegrityError), database.write() as session:
        INSERT.run(session.connection(), values("same"))
        INSERT.run(session.connection(), values("same"))
    with database.read() as session:
        assert session.connection().execute(select(TABLE.c.id)).all() == []


def test_statement_listeners_see_prepared_statements(database):
    seen = []

    def keep(_conn, _cursor, statement, parameters, _context, executemany) -> None:
        seen.append((statement.split()[0], executemany))

    event.listen(database.engine, "before_cursor_execute", keep)
    try:
        with database.write() as session:
            INSERT.run(session.connection(), values("seen"))
            Prepared(TABLE.insert()).run_many(session.connection(), [values("x"), values("y")])
    finally:
        event.remove(database.engine, "before_cursor_execute", keep)
    assert ("INSERT", False) in seen and ("INSERT", True) in seen


def test_a_column_left_to_a_python_default_is_refused(database):
    with pytest.raises(ValueError, match="pass every column's value"), database.write() as session:
        INSERT.run(session.connection(), {k: v for k, v in values("d").items() if k != "created_at"})


def test_rows_come_back_converted_as_core_reads_them(database):
    by_id = Prepared(select(TABLE).where(TABLE.c.id == bindparam("row_id")))
    with database.write() as session:
        [(row_id,)] = INSERT.run(session.connection(), values("typed", next_attempt_at=AT_SHANGHAI))
        [in_transaction] = by_id.run(session.connection(), {"row_id": row_id})
    [alone] = by_id.read(database.engine, {"row_id": row_id})
    with database.read() as session:
        core = session.connection().execute(select(TABLE).where(TABLE.c.id == row_id)).one()
    assert in_transaction == alone == tuple(core)
    assert alone.next_attempt_at == AT and alone.next_attempt_at.tzinfo is not None
    assert alone._asdict() == dict(core._mapping)
    assert by_id.read(database.engine, {"row_id": row_id + 1}) == []


def test_a_read_on_a_connection_that_has_not_begun_sends_no_begin(database):
    """A write's own connection reads before its transaction (so SQLite's writer lock is not yet taken);
    inside a begun transaction read() refuses, since run() is the call that joins it."""
    by_id = Prepared(select(TABLE.c.key).where(TABLE.c.id == bindparam("row_id")))
    with database.write() as session:
        [(row_id,)] = INSERT.run(session.connection(), values("before"))
    with database.engine.connect() as conn:
        assert by_id.read(conn, {"row_id": row_id}) == [("before",)]
        assert not conn.in_transaction()
        conn.begin()
        with pytest.raises(ValueError, match="outside a transaction"):
            by_id.read(conn, {"row_id": row_id})


def test_conversions_that_depend_on_the_driver_type_code(database):
    """PostgreSQL's numeric conversion is chosen by the column's type code, known once the driver answers."""
    amount = Prepared(select(cast(literal("12.50"), Numeric(12, 2)).label("amount")))
    for _ in range(2):  # the first answer fixes the conversions; the second reuses them
        assert amount.read(database.engine) == [(Decimal("12.50"),)]
        with database.write() as session:
            assert amount.run(session.connection())[0].amount == Decimal("12.50")
