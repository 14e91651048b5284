"""Referrals (移送): the office proposes and sends; each receiving department's liaisons sign and reply."""
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import HTMLResponse, Response

from api.deps import OFFICE_ROLES, allow, get_runtime
from domain.enums import Role
from domain.referral_models import ReferralAttachment
from domain.referral_schemas import AttachmentPublic, ReferralCreate, ReferralPublic, ReferralTransitionIn
from services.attachments import MAX_BYTES, add_attachment
from services.context import Actor
from services.errors import InvalidInput, NotFound
from services.referral_queries import list_referrals, referral_public, render_letter
from services.referrals import load_visible, propose_referrals, transition_referral
from services.runtime import Runtime
from states.referral import STATE_LABELS

router = APIRouter(tags=["referrals"])
office = allow(*OFFICE_ROLES)
anyone = allow(*OFFICE_ROLES, Role.LIAISON)  # the service narrows further (own department, sent only)


@router.post("/tips/{tip_id}/referrals", response_model=list[ReferralPublic], status_code=201)
def propose(tip_id: int, body: ReferralCreate, actor: Actor = Depends(office), runtime: Runtime = Depends(get_runtime)):
    """Refer a matter to one or more departments at once; each referral then runs its own clock."""
    with runtime.write(actor) as ctx:
        return [referral_public(ctx, r) for r in propose_referrals(ctx, tip_id, body)]


@router.get("/tips/{tip_id}/referrals", response_model=list[ReferralPublic])
def tip_referrals(tip_id: int, actor: Actor = Depends(office), runtime: Runtime = Depends(get_runtime)):
    """All referrals of one tip at a glance (joint handling)."""
    with runtime.read(actor) as ctx:
        return [referral_public(ctx, r) for r in list_referrals(ctx, tip_id=tip_id)]


@router.get("/referrals", response_model=list[ReferralPublic])
def referrals(status: str | None = Query(default=None, max_length=30), actor: Actor = Depends(anyone),
              runtime: Runtime = Depends(get_runtime)):
    """A liaison sees only their department's referrals (and copies to it); the office sees all."""
    if status is not None and status not in STATE_LABELS:
        raise InvalidInput("status", f"status must be one of {list(STATE_LABELS)}")
    with runtime.read(actor) as ctx:
        return [referral_public(ctx, r) for r in list_referrals(ctx, status=status)]


@router.get("/referrals/{referral_id}", response_model=ReferralPublic)
def referral(referral_id: int, actor: Actor = Depends(anyone), runtime: Runtime = Depends(get_runtime)):
    with runtime.read(actor) as ctx:
        return referral_public(ctx, load_visible(ctx, referral_id))


@router.post("/referrals/{referral_id}/transitions", response_model=ReferralPublic)
def transition(referral_id: int, body: ReferralTransitionIn, actor: Actor = Depends(anyone),
               runtime: Runtime = Depends(get_runtime)):
    """Sign for, decide, reply ...; 409 lists what is allowed now, or gives the current version."""
    with runtime.write(actor) as ctx:
        return referral_public(ctx, transition_referral(ctx, referral_id, body))


@router.post("/referrals/{referral_id}/attachments", response_model=AttachmentPublic, status_code=201)
async def attach(referral_id: int, file: UploadFile = File(...), actor: Actor = Depends(anyone),
                 runtime: Runtime = Depends(get_runtime)):
    content = await file.read(MAX_BYTES + 1)
    with runtime.write(actor) as ctx:
        saved = add_attachment(ctx, referral_id, filename=file.filename or "", content=content)
        return AttachmentPublic.model_validate(saved, from_attributes=True)


@router.get("/referrals/{referral_id}/attachments/{attachment_id}")
def download(referral_id: int, attachment_id: int, actor: Actor = Depends(anyone),
             runtime: Runtime = Depends(get_runtime)) -> Response:
    with runtime.read(actor) as ctx:
        load_visible(ctx, referral_id)
        row = ctx.session.get(ReferralAttachment, attachment_id)
        if row is None or row.referral_id != referral_id:
            raise NotFound("附件不存在")
        return Response(row.content, media_type=row.content_type,
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename)}"})


@router.get("/referrals/{referral_id}/letter", response_class=HTMLResponse)
def letter(referral_id: int, actor: Actor = Depends(anyone), runtime: Runtime = Depends(get_runtime)):
    """移送函 / 涉嫌犯罪案件移送书, printable."""
    with runtime.read(actor) as ctx:
        return render_letter(ctx, referral_id)


@router.get("/referrals/{referral_id}/receipt", response_class=HTMLResponse)
def receipt(referral_id: int, actor: Actor = Depends(anyone), runtime: Runtime = Depends(get_runtime)):
    """回执, printable."""
    with runtime.read(actor) as ctx:
        return render_letter(ctx, referral_id, receipt=True)
