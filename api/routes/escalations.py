"""Leaders' overdue view: GET /api/v1/escalations."""
from fastapi import APIRouter, Depends, Query

from api.deps import allow, get_runtime
from domain.enums import Role
from services.context import Actor
from services.overdue import OverdueItem, overdue_items
from services.runtime import Runtime

router = APIRouter(prefix="/escalations", tags=["escalations"])
LEADERS = (Role.SECTION_CHIEF, Role.HEAD, Role.ADMIN, Role.AUDITOR)


@router.get("", response_model=list[OverdueItem])
def escalations(
    department: str | None = Query(default=None, max_length=100),
    level: int | None = Query(default=None, ge=0, le=20),
    actor: Actor = Depends(allow(*LEADERS)), runtime: Runtime = Depends(get_runtime),
) -> list[OverdueItem]:
    """What is overdue, oldest first, with its escalation level and since when it is red."""
    with runtime.read(actor) as ctx:
        return overdue_items(ctx.session, now=ctx.now, calendar=ctx.calendar, policy=ctx.policy,
                             department=department, level=level)
