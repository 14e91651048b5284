"""What an anonymous reporter may do without logging in: check a tip's stage with the receipt code."""
from fastapi import APIRouter, Depends, Header

from api.deps import get_runtime
from domain.schemas import TipStatusPublic
from services.runtime import Runtime
from services.tip_queries import status_by_receipt

router = APIRouter(prefix="/public", tags=["public"])


@router.get("/tips/status", response_model=TipStatusPublic)
def tip_status(
    x_receipt_code: str = Header(min_length=16, max_length=40, description="the receipt code given at registration"),
    runtime: Runtime = Depends(get_runtime),
) -> TipStatusPublic:
    """The code travels in a header, not the URL, so it never lands in access logs or browser history."""
    with runtime.db.read() as session:
        return status_by_receipt(session, x_receipt_code)
