"""Use cases that stop and restart a legal clock (中止 / 恢复), by a leader, with a reason, audited."""
from domain.enums import DeadlineStatus, Role
from domain.models import Deadline
from services import audit
from services.authz import require_role
from services.context import Context
from services.deadlines import pause_deadline, resume_deadline
from services.errors import InvalidInput, NotFound, TransitionRefused

CLOCK_ROLES = {Role.SECTION_CHIEF, Role.HEAD}


def _load(ctx: Context, deadline_id: int, reason: str | None) -> Deadline:
    require_role(ctx, CLOCK_ROLES, action="中止或恢复期限")
    if not (reason or "").strip():
        raise InvalidInput("reason", "请填写中止或恢复的理由")
    deadline = ctx.session.get(Deadline, deadline_id)
    if deadline is None:
        raise NotFound(f"期限 {deadline_id} 不存在")
    return deadline


def pause(ctx: Context, deadline_id: int, *, reason: str | None) -> Deadline:
    deadline = _load(ctx, deadline_id, reason)
    if deadline.status != DeadlineStatus.OPEN:
        raise TransitionRefused("pause", deadline.status, ["resume"] if deadline.status == "paused" else [],
                                "只有进行中的期限可以中止")
    pause_deadline(ctx, deadline)
    audit.record(ctx, subject_type=deadline.subject_type, subject_id=deadline.subject_id, action="deadline_paused",
                 reason=reason, detail={"deadline": deadline.kind, "remaining": deadline.remaining,
                                        "unit": deadline.unit})
    return deadline


def resume(ctx: Context, deadline_id: int, *, reason: str | None) -> Deadline:
    deadline = _load(ctx, deadline_id, reason)
    if deadline.status != DeadlineStatus.PAUSED:
        raise TransitionRefused("resume", deadline.status, ["pause"] if deadline.status == "open" else [],
                                "只有已中止的期限可以恢复")
    resume_deadline(ctx, deadline)
    audit.record(ctx, subject_type=deadline.subject_type, subject_id=deadline.subject_id, action="deadline_resumed",
                 reason=reason, detail={"deadline": deadline.kind, "due": deadline.due_at.isoformat()})
    return deadline
