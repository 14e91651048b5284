"""Role checks shared by the use cases."""
from collections.abc import Iterable

from domain.enums import ROLE_LABELS, Role
from services.context import Context
from services.errors import Forbidden


def require_role(ctx: Context, roles: Iterable[Role], *, action: str) -> None:
    """Refuse unless the acting user has one of `roles` (the system may do anything it is asked to)."""
    if ctx.actor.is_system:
        return
    roles = set(roles)
    if ctx.actor.role not in roles:
        allowed = "、".join(ROLE_LABELS[r] for r in sorted(roles))
        raise Forbidden(f"无权{action}：需要角色 {allowed}")
