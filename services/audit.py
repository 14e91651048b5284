"""Audit rows: every transition and every sensitive read leaves one, in the same transaction."""
from domain.models import AuditEntry
from services.context import Context


def record(
    ctx: Context, *, subject_type: str, subject_id: int, action: str,
    from_state: str | None = None, to_state: str | None = None,
    reason: str | None = None, detail: dict | None = None,
) -> AuditEntry:
    """Add one audit row for the acting user (or the system)."""
    entry = AuditEntry(
        at=ctx.now, actor_id=ctx.actor.id, actor_name=ctx.actor.name, subject_type=subject_type,
        subject_id=subject_id, action=action, from_state=from_state, to_state=to_state,
        reason=reason, detail=detail or {},
    )
    ctx.session.add(entry)
    return entry
