"""Audit rows: every transition and every sensitive read leaves one, in the same transaction.

Rows are hash-chained (执法全过程记录 that cannot be quietly edited): each row stores the previous row's
hash and a SHA-256 over its own content and that hash. Inserts lock the single AuditHead row, so
concurrent transactions extend the chain one after another instead of forking it.
"""
import hashlib
import json
from dataclasses import dataclass

from sqlmodel import Session, select

from domain.models import AuditEntry, AuditHead
from services.context import Context

GENESIS = "0" * 64


def record(
    ctx: Context, *, subject_type: str, subject_id: int, action: str,
    from_state: str | None = None, to_state: str | None = None,
    reason: str | None = None, detail: dict | None = None,
) -> AuditEntry:
    """Add one audit row for the acting user (or the system), linked to the chain."""
    head = _locked_head(ctx.session)
    entry = AuditEntry(
        at=ctx.now, actor_id=ctx.actor.id, actor_name=ctx.actor.name, subject_type=subject_type,
        subject_id=subject_id, action=action, from_state=from_state, to_state=to_state,
        reason=reason, detail=json.loads(json.dumps(detail or {}, default=str)),
        seq=head.seq + 1, prev_hash=head.hash,
    )
    entry.hash = row_hash(entry)
    head.seq, head.hash = entry.seq, entry.hash
    ctx.session.add(entry)
    return entry


def _locked_head(session: Session) -> AuditHead:
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
    if head is None:  # created by the migration; recreated here only for a database built otherwise
        head = AuditHead(id=1)
        session.add(head)
    return head


def row_hash(entry: AuditEntry) -> str:
    """SHA-256 over the row's content (canonical JSON) and the previous hash."""
    content = {
        "seq": entry.seq, "at": entry.at.isoformat(), "actor_id": entry.actor_id, "actor_name": entry.actor_name,
        "subject_type": entry.subject_type, "subject_id": entry.subject_id, "action": entry.action,
        "from_state": entry.from_state, "to_state": entry.to_state, "reason": entry.reason, "detail": entry.detail,
    }
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((entry.prev_hash + text).encode()).hexdigest()


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
