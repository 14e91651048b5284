"""Stopping and restarting a legal clock: POST /api/v1/deadlines/{id}/pause|resume."""
from fastapi import APIRouter, Body, Depends

from api.deps import OFFICE_ROLES, allow, get_runtime
from domain.schemas import DeadlinePublic
from services import clock_control
from services.context import Actor
from services.runtime import Runtime
from services.tip_queries import deadline_public

router = APIRouter(prefix="/deadlines", tags=["deadlines"])
office = allow(*OFFICE_ROLES)


@router.post("/{deadline_id}/pause", response_model=DeadlinePublic)
def pause(deadline_id: int, reason: str = Body(embed=True, min_length=1, max_length=1000),
          actor: Actor = Depends(office), runtime: Runtime = Depends(get_runtime)):
    with runtime.write(actor) as ctx:
        deadline = clock_control.pause(ctx, deadline_id, reason=reason)
        return deadline_public(deadline, policy=ctx.policy, calendar=ctx.calendar, now=ctx.now)


@router.post("/{deadline_id}/resume", response_model=DeadlinePublic)
def resume(deadline_id: int, reason: str = Body(embed=True, min_length=1, max_length=1000),
           actor: Actor = Depends(office), runtime: Runtime = Depends(get_runtime)):
    with runtime.write(actor) as ctx:
        deadline = clock_control.resume(ctx, deadline_id, reason=reason)
        return deadline_public(deadline, policy=ctx.policy, calendar=ctx.calendar, now=ctx.now)
