"""Tips: register, list, read, transition, link duplicates, read the sealed identity."""
from datetime import datetime

from fastapi import APIRouter, Body, Depends, File, HTTPException, Query, UploadFile
from pydantic import BaseModel
from sqlmodel import select

from api.deps import OFFICE_ROLES, allow, get_runtime
from api.responses import model_response
from domain.enums import Channel
from domain.models import TipEvidence
from domain.schemas import (
    AuditPublic, DuplicateLinkIn, ReporterPublic, TipCreate, TipPage, TipPublic, TipRegistered, TransitionIn,
)
from services import tip_queries as q
from services.attachments import MAX_BYTES
from services.context import Actor
from services.evidence import add_evidence
from services.identity import read_identity, release_identity
from services.runtime import Runtime
from services.tips import link_duplicate, register_tip, transition_tip
from states.tip import STATE_LABELS

router = APIRouter(prefix="/tips", tags=["tips"])
office = allow(*OFFICE_ROLES)


@router.get("", response_model=TipPage)
def list_tips(
    status: str | None = Query(default=None, description=f"one of {list(STATE_LABELS)}"),
    channel: Channel | None = None,
    institution_id: int | None = Query(default=None, gt=0),
    overdue: bool | None = None,
    offset: int = Query(default=0, ge=0),
    limit: int = Query(default=50, ge=1, le=200),
    actor: Actor = Depends(office), runtime: Runtime = Depends(get_runtime),
) -> TipPage:
    if status is not None and status not in STATE_LABELS:
        raise HTTPException(422, detail=[{"loc": ["query", "status"], "msg": f"status must be one of {list(STATE_LABELS)}",
                                    "type": "value_error"}])
    with runtime.read(actor) as ctx:
        tips, total = q.list_tips(ctx.session, now=ctx.now, status=status, channel=channel,
                                  institution_id=institution_id, overdue=overdue, offset=offset, limit=limit)
        return q.tip_page(ctx.session, tips, total, offset=offset, limit=limit, actor=actor,
                          policy=ctx.policy, calendar=ctx.calendar, now=ctx.now)


@router.post("", response_model=TipRegistered, status_code=201)
def create_tip(body: TipCreate, actor: Actor = Depends(office), runtime: Runtime = Depends(get_runtime)):
    with runtime.write(actor) as ctx:
        registration = register_tip(ctx, body)
    # Built after commit, so other writers need not wait for it, from what registration wrote: no read back.
    return model_response(TipRegistered(tip=q.registered_view(ctx, registration),
                                        receipt_code=registration.receipt_code), status_code=201)


@router.get("/{tip_id}", response_model=TipPublic)
def get_tip(tip_id: int, actor: Actor = Depends(office), runtime: Runtime = Depends(get_runtime)):
    with runtime.read(actor) as ctx:
        return q.tip_view(ctx, tip_id)


@router.get("/{tip_id}/history", response_model=list[AuditPublic])
def tip_history(tip_id: int, actor: Actor = Depends(office), runtime: Runtime = Depends(get_runtime)):
    with runtime.read(actor) as ctx:
        q.get_tip(ctx.session, tip_id)
        return q.tip_history(ctx.session, tip_id)


@router.post("/{tip_id}/transitions", response_model=TipPublic)
def transition(tip_id: int, body: TransitionIn, actor: Actor = Depends(office),
               runtime: Runtime = Depends(get_runtime)):
    """Send a lifecycle event; 409 lists the events allowed now, or gives the current version."""
    with runtime.write(actor) as ctx:
        transition_tip(ctx, tip_id, body)
        return model_response(q.tip_view(ctx, tip_id))


@router.post("/{tip_id}/duplicate-of", response_model=TipPublic)
def duplicate_of(tip_id: int, body: DuplicateLinkIn, actor: Actor = Depends(office),
                 runtime: Runtime = Depends(get_runtime)):
    with runtime.write(actor) as ctx:
        return q.tip_view(ctx, link_duplicate(ctx, tip_id, body).id)


@router.post("/{tip_id}/reporter", response_model=ReporterPublic)
def reporter_identity(
    tip_id: int, reason: str = Body(embed=True, max_length=1000), actor: Actor = Depends(office),
    runtime: Runtime = Depends(get_runtime),
):
    """The sealed identity, for permitted roles only; the read (with its reason) is audited."""
    with runtime.write(actor) as ctx:
        identity = read_identity(ctx, tip_id, reason=reason)
        return ReporterPublic.model_validate(identity, from_attributes=True)


class EvidencePublic(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


@router.post("/{tip_id}/evidence", response_model=EvidencePublic, status_code=201)
async def upload_evidence(tip_id: int, file: UploadFile = File(...), actor: Actor = Depends(office),
                          runtime: Runtime = Depends(get_runtime)):
    """An evidence file: type checked against its content, at most 10 MB, stored with its SHA-256."""
    content = await file.read(MAX_BYTES + 1)
    with runtime.write(actor) as ctx:
        return EvidencePublic.model_validate(add_evidence(ctx, tip_id, filename=file.filename or "", content=content),
                                             from_attributes=True)


@router.get("/{tip_id}/evidence", response_model=list[EvidencePublic])
def evidence(tip_id: int, actor: Actor = Depends(office), runtime: Runtime = Depends(get_runtime)):
    with runtime.read(actor) as ctx:
        q.get_tip(ctx.session, tip_id)
        rows = ctx.session.exec(select(TipEvidence).where(TipEvidence.tip_id == tip_id).order_by(TipEvidence.id))
        return [EvidencePublic.model_validate(r, from_attributes=True) for r in rows]


@router.post("/{tip_id}/reporter/releases", status_code=201)
def release_reporter(tip_id: int, user_id: int = Body(embed=True, gt=0), reason: str = Body(embed=True, max_length=1000),
                     actor: Actor = Depends(office), runtime: Runtime = Depends(get_runtime)) -> dict:
    """保管人放行: the custodian lets one named investigator read this tip's sealed identity."""
    with runtime.write(actor) as ctx:
        release = release_identity(ctx, tip_id, user_id=user_id, reason=reason)
        return {"tip_id": release.tip_id, "user_id": release.user_id}
