"""Sealed reporter identity: read only by allowed roles (or a user a custodian released it to), with a
reason, and every read and release audited on the tip."""
from sqlmodel import select

from domain.enums import Role
from domain.models import IdentityRelease, ReporterIdentity, Tip, User
from services import audit
from services.authz import require_role
from services.context import Context
from services.errors import Forbidden, InvalidInput, NotFound


def _tip(ctx: Context, tip_id: int) -> Tip:
    tip = ctx.session.get(Tip, tip_id)
    if tip is None:
        raise NotFound(f"举报 {tip_id} 不存在")
    return tip


def _reason(reason: str | None, message: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise InvalidInput("reason", message)
    return reason[:1000]


def _released_to_actor(ctx: Context, tip_id: int) -> bool:
    query = select(IdentityRelease.id).where(IdentityRelease.tip_id == tip_id, IdentityRelease.user_id == ctx.actor.id)
    return ctx.session.exec(query).first() is not None


def read_identity(ctx: Context, tip_id: int, *, reason: str | None) -> ReporterIdentity:
    """Return the reporter's identity; the read itself is recorded on the tip (actor, time, reason)."""
    if ctx.actor.role not in ctx.policy.identity_readers and not _released_to_actor(ctx, tip_id):
        require_role(ctx, ctx.policy.identity_readers, action="查看举报人身份（或须经保管人放行）")
    reason = _reason(reason, "查看举报人身份须说明理由")
    _tip(ctx, tip_id)
    identity = ctx.session.get(ReporterIdentity, tip_id)
    if identity is None:
        raise NotFound("该举报为匿名举报，无举报人身份信息")
    audit.record(ctx, subject_type="tip", subject_id=tip_id, action="identity_read", reason=reason)
    return identity


def release_identity(ctx: Context, tip_id: int, *, user_id: int, reason: str | None) -> IdentityRelease:
    """保管人放行: the custodian lets one named investigator read this tip's identity (audited)."""
    require_role(ctx, ctx.policy.identity_custodians, action="放行举报人身份")
    reason = _reason(reason, "放行须说明理由")
    tip = _tip(ctx, tip_id)
    if tip.anonymous:
        raise InvalidInput("tip_id", "匿名举报无举报人身份信息")
    user = ctx.session.get(User, user_id)
    if user is None or not user.active or Role(user.role) not in ctx.policy.identity_releasable:
        raise InvalidInput("user_id", "只能放行给在职的办案人员")
    if ctx.session.exec(select(IdentityRelease).where(IdentityRelease.tip_id == tip_id,
                                                      IdentityRelease.user_id == user_id)).first():
        raise Forbidden("已放行给该人员")
    release = IdentityRelease(tip_id=tip_id, user_id=user_id, released_by=ctx.actor.id, released_at=ctx.now,
                              reason=reason)
    ctx.session.add(release)
    audit.record(ctx, subject_type="tip", subject_id=tip_id, action="identity_released", reason=reason,
                 detail={"to": user.display_name})
    return release
