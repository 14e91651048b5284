"""Read side of referrals: lists per actor, the public view, the documents."""
from sqlalchemy import or_
from sqlmodel import select

from documents.render import render_document
from domain.calendar import SHANGHAI
from domain.enums import Role
from domain.models import Deadline, Department, Tip
from domain.referral_models import Referral, ReferralAttachment
from domain.referral_schemas import AttachmentPublic, ReferralPublic
from services.context import Context
from services.referrals import OFFICE_VIEWERS, SUBJECT, load_visible
from services.tip_queries import deadline_public
from states.binding import enabled_events
from states.referral import EVENT_ROLES, STATE_LABELS, TRACK_LABELS, Track, machine_for


def list_referrals(ctx: Context, *, tip_id: int | None = None, status: str | None = None) -> list[Referral]:
    """Referrals the actor may see (a liaison: their department's and copies to it), newest first."""
    query = select(Referral).order_by(Referral.id.desc())
    if ctx.actor.role == Role.LIAISON:
        mine = ctx.actor.department_id
        query = query.where(or_(Referral.department_id == mine, Referral.copy_to_id == mine),
                            Referral.sent_at.is_not(None))
    elif ctx.actor.role not in OFFICE_VIEWERS:
        return []
    if tip_id is not None:
        query = query.where(Referral.tip_id == tip_id)
    if status is not None:
        query = query.where(Referral.status == status)
    return list(ctx.session.exec(query.limit(500)))


def _allowed_events(ctx: Context, referral: Referral) -> list[str]:
    if ctx.actor.role == Role.LIAISON and ctx.actor.department_id != referral.department_id:
        return []
    return [e for e in enabled_events(machine_for(referral.track), referral) if ctx.actor.role in EVENT_ROLES[e]]


def referral_public(ctx: Context, referral: Referral) -> ReferralPublic:
    session = ctx.session
    department = session.get(Department, referral.department_id)
    copy = session.get(Department, referral.copy_to_id) if referral.copy_to_id else None
    deadlines = session.exec(select(Deadline).where(Deadline.subject_type == SUBJECT,
                                                    Deadline.subject_id == referral.id).order_by(Deadline.id))
    attachments = session.exec(select(ReferralAttachment).where(ReferralAttachment.referral_id == referral.id))
    return ReferralPublic(
        **referral.model_dump(exclude={"copy_to_id", "handler_id", "signed_by"}),
        tip_number=session.get(Tip, referral.tip_id).number, department_name=department.name,
        copy_to_name=copy.name if copy else None, track_label=TRACK_LABELS[Track(referral.track)],
        status_label=STATE_LABELS[referral.status],
        deadlines=[deadline_public(d, policy=ctx.policy, calendar=ctx.calendar, now=ctx.now) for d in deadlines],
        allowed_events=_allowed_events(ctx, referral),
        attachments=[AttachmentPublic.model_validate(a, from_attributes=True) for a in attachments],
    )


def render_letter(ctx: Context, referral_id: int, *, receipt: bool = False) -> str:
    """移送函 (or its 回执) as printable HTML: case facts as the handler summarised them, no reporter."""
    referral = load_visible(ctx, referral_id)
    view = referral_public(ctx, referral)
    office = ctx.session.exec(select(Department.name).where(Department.kind == "office")).first() or "本局"
    sent = referral.sent_at.astimezone(SHANGHAI) if referral.sent_at else None
    signed = referral.signed_at.astimezone(SHANGHAI) if referral.signed_at else None
    return render_document("referral_receipt.html.j2" if receipt else "referral_letter.html.j2",
                           referral=view, office=office, sent=sent, signed=signed,
                           police=referral.track == Track.POLICE)
