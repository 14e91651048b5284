"""The working-day calculator: GET /api/v1/calendar/due."""
from fastapi import APIRouter, Depends, HTTPException, Query

from api.deps import current_user, get_runtime
from domain.models import User
from domain.calendar import Unit, parse_start
from services.runtime import Runtime
from services.context import SYSTEM

router = APIRouter(prefix="/calendar", tags=["calendar"])


@router.get("/due")
def due(
    start: str = Query(description="YYYY-MM-DD or an ISO datetime (Asia/Shanghai if no offset)"),
    amount: int = Query(ge=0, description="how many units"),
    unit: Unit = Query(description="working_days | calendar_days | hours | months"),
    runtime: Runtime = Depends(get_runtime),
    _user: User = Depends(current_user),
) -> dict:
    """When a period of `amount` `unit`s from `start` ends, and whether that is provisional."""
    try:
        begin = parse_start(start)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=[{"loc": ["query", "start"], "msg": str(exc), "type": "value_error"}]) from None
    with runtime.read(SYSTEM) as ctx:
        try:
            return ctx.calendar.due(begin, amount, unit).to_json()
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=[{"loc": ["query", "amount"], "msg": str(exc), "type": "value_error"}]) from None
