"""办理记录: a subject's audit trail as the detail pages show it (one builder for tips, referrals,
supervision and decided matters; the template is _history.html)."""
from sqlmodel import Session, select

from domain.models import AuditEntry

# Audit actions every subject may have besides its own lifecycle events.
CLOCK_ACTIONS = {"deadline_paused": "中止期限", "deadline_resumed": "恢复期限", "deadline_reminder": "期限提醒",
                 "deadline_escalation": "超期督办"}


def history_rows(session: Session, subject_type: str, subject_id: int, *, actions: dict[str, str],
                 states: dict[str, str]) -> list[dict]:
    """The trail oldest first: when, who, what (in Chinese), the state change, and the reason or note."""
    query = select(AuditEntry).where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id == subject_id)
    labels = {**CLOCK_ACTIONS, **actions}
    return [{"at": row.at, "actor_name": row.actor_name, "action": labels.get(row.action, row.action),
             "change": state_change(row, states), "note": note(row)}
            for row in session.exec(query.order_by(AuditEntry.id))]


def state_change(row: AuditEntry, states: dict[str, str]) -> str:
    """'甲 → 乙' when the row moved the state, the state it left the subject in otherwise."""
    name = lambda state: states.get(state, state)  # noqa: E731
    if row.from_state and row.to_state and row.from_state != row.to_state:
        return f"{name(row.from_state)} → {name(row.to_state)}"
    return name(row.to_state) if row.to_state else ""


def note(row: AuditEntry) -> str:
    """The reason, else what the detail says: the escalation step and who was told, a file, a document number."""
    detail = row.detail or {}
    if row.reason:
        return row.reason
    if row.action in ("deadline_escalation", "deadline_reminder"):
        level, label = detail.get("level"), detail.get("label")
        step = "·".join(part for part in (f"第{level}级" if level else "", label or "") if part) or "提醒"
        told = "、".join(detail.get("notified") or [])
        return f"{step}；已通知：{told}" if told else step
    return detail.get("file") or detail.get("decision_doc_no") or detail.get("forwarded_to") or ""
