"""What an anonymous reporter may do without logging in: check a tip's stage with the receipt code."""
import logging

from fastapi import APIRouter, Depends, Header, HTTPException, Request

from api.deps import get_runtime
from api.guards import client_key
from domain.schemas import TipStatusPublic
from services.errors import NotFound
from services.runtime import Runtime
from services.tip_queries import status_by_receipt

router = APIRouter(prefix="/public", tags=["public"])
log = logging.getLogger("fundwatch.public")


@router.get("/tips/status", response_model=TipStatusPublic)
def tip_status(
    request: Request,
    x_receipt_code: str = Header(min_length=16, max_length=40, description="the receipt code given at registration"),
    runtime: Runtime = Depends(get_runtime),
) -> TipStatusPublic:
    """The code travels in a header, not the URL, so it never lands in access logs or browser history.
    Look-ups are rate limited per client and globally; failures are logged without the code."""
    if not request.app.state.limits.allow_receipt_lookup(request):
        raise HTTPException(status_code=429, detail="查询过于频繁，请稍后再试")
    try:
        with runtime.db.read() as session:
            return status_by_receipt(session, x_receipt_code)
    except NotFound:
        log.warning("receipt-code look-up failed from %s", client_key(request))
        raise
