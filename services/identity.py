"""Sealed reporter identity: read only by allowed roles, with a reason, and every read audited."""
from domain.models import ReporterIdentity, Tip
from services import audit
from services.authz import require_role
from services.context import Context
from services.errors import InvalidInput, NotFound


def read_identity(ctx: Context, tip_id: int, *, reason: str | None) -> ReporterIdentity:
    """Return the reporter's identity; the read itself is recorded on the tip (actor, time, reason)."""
    require_role(ctx, ctx.policy.identity_readers, action="查看举报人身份")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise InvalidInput("reason", "查看举报人身份须说明理由")
    tip = ctx.session.get(Tip, tip_id)
    if tip is None:
        raise NotFound(f"举报 {tip_id} 不存在")
    identity = ctx.session.get(ReporterIdentity, tip_id)
    if identity is None:
        raise NotFound("该举报为匿名举报，无举报人身份信息")
    audit.record(ctx, subject_type="tip", subject_id=tip_id, action="identity_read", reason=reason[:1000])
    return identity
