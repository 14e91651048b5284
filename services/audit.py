"""Audit rows: every transition and every sensitive read leaves one, in the same transaction.

Rows are hash-chained (执法全过程记录 that cannot be quietly edited): each row stores the previous row's
hash and a SHA-256 over its own content and that hash. Inserts move the single AuditHead row from the
hash they chained on, locking it until commit, so concurrent transactions extend the chain one after
another instead of forking it.
"""
import hashlib
import json
import weakref
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, bindparam
from sqlmodel import Session, select

from db.prepared import Prepared, PreparedInsert
from domain.models import AuditEntry, AuditHead
from services.context import Context

GENESIS = "0" * 64


def record(
    ctx: Context, *, subject_type: str, subject_id: int, action: str,
    from_state: str | None = None, to_state: str | None = None,
    reason: str | None = None, detail: dict | None = None,
) -> int:
    """Add one audit row for the acting user (or the system), linked to the chain; returns its id."""
    conn = ctx.session.connection()
    content = {
        "at": ctx.now, "actor_id": ctx.actor.id, "actor_name": ctx.actor.name, "subject_type": subject_type,
        "subject_id": subject_id, "action": action, "from_state": from_state, "to_state": to_state,
        "reason": reason, "detail": json.loads(json.dumps(detail or {}, default=str)),
    }
    return _INSERT_ENTRY.run(conn, _linked(conn, content))


# Plain statements on the session's connection: no ORM objects to build, load or flush for the chain.
# A rollback (or a rolled-back savepoint) undoes the entry and the head's move together.
_HEAD = AuditHead.__table__
_READ_HEAD = Prepared(select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update())
_MOVE = _HEAD.update().where(_HEAD.c.id == 1).values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
_MOVE_HEAD = Prepared(_MOVE)
_MOVE_HEAD_FROM = Prepared(_MOVE.where(_HEAD.c.seq == bindparam("old_seq"), _HEAD.c.hash == bindparam("old_hash")))
_INSERT_ENTRY = PreparedInsert(AuditEntry.__table__)
_HASHED = ("seq", "at", "actor_id", "actor_name", "subject_type", "subject_id", "action", "from_state",
           "to_state", "reason", "detail")

# The head as this process last moved it, per database. Usually still the head: then one compare-and-set
# statement both checks and moves it, instead of a locked read and a move. Another process's entry or a
# rolled-back transaction makes it stale; the compare-and-set then changes nothing, and the head is read.
_last_moved: weakref.WeakKeyDictionary[Engine, tuple[int, str]] = weakref.WeakKeyDictionary()


def _linked(conn: Connection, content: dict) -> dict:
    """The entry for `content`, chained after the head, which now points at it."""
    guess = _last_moved.get(conn.engine)
    entry = _after(guess, content) if guess else None
    if entry is None or not _MOVE_HEAD_FROM.changed(conn, _move(entry)):
        entry = _after(_locked_head(conn), content)
        _MOVE_HEAD.run(conn, {"new_seq": entry["seq"], "new_hash": entry["hash"]})
    _last_moved[conn.engine] = entry["seq"], entry["hash"]
    return entry


def _after(head: tuple[int, str], content: dict) -> dict:
    seq, previous = head
    entry = {**content, "seq": seq + 1, "prev_hash": previous}
    entry["hash"] = _hash(previous, {name: entry[name] for name in _HASHED})
    return entry


def _move(entry: dict) -> dict:
    return {"new_seq": entry["seq"], "new_hash": entry["hash"], "old_seq": entry["seq"] - 1,
            "old_hash": entry["prev_hash"]}


def _locked_head(conn: Connection) -> tuple[int, str]:
    """(seq, hash) of the chain's last link, locked until commit (PostgreSQL; SQLite serializes writers)."""
    rows = _READ_HEAD.run(conn)
    if not rows:  # created by the migration; recreated here only for a database built otherwise
        conn.execute(_HEAD.insert().values(id=1, seq=0, hash=GENESIS))
        return 0, GENESIS
    [(seq, last_hash)] = rows
    return seq, last_hash


def row_hash(entry: AuditEntry) -> str:
    """SHA-256 over the row's content (canonical JSON) and the previous hash."""
    return _hash(entry.prev_hash, {name: getattr(entry, name) for name in _HASHED})


def _hash(prev_hash: str, content: dict) -> str:
    text = json.dumps({**content, "at": content["at"].isoformat()}, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))
    return hashlib.sha256((prev_hash + text).encode()).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    rows: int
    broken_id: int | None = None
    broken_seq: int | None = None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_id is None


def verify_chain(session: Session, *, batch: int = 5000) -> ChainReport:
    """Walk the chain in order; name the first row whose link or hash does not hold."""
    previous, count, last_seq = GENESIS, 0, 0
    while True:
        rows = session.exec(select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq)
                            .limit(batch)).all()
        for row in rows:
            problem = _check(row, previous, last_seq)
            if problem:
                return ChainReport(count, row.id, row.seq, problem)
            previous, last_seq, count = row.hash, row.seq, count + 1
        if len(rows) < batch:
            break
    unchained = session.exec(select(AuditEntry.id).where(AuditEntry.seq.is_(None))).first()
    if unchained is not None:
        return ChainReport(count, unchained, None, "row outside the chain (no sequence number)")
    return ChainReport(count)


def _check(row: AuditEntry, previous: str, last_seq: int) -> str | None:
    if row.seq != last_seq + 1:
        return f"sequence jumps from {last_seq} to {row.seq} (a row was removed)"
    if row.prev_hash != previous:
        return "link to the previous row does not match"
    if row_hash(row) != row.hash:
        return "content does not match its hash (the row was edited)"
    return None
