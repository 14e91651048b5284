"""我的工作: what waits for this office user now: tips and referrals they can act on, overdue items, and for
leaders the open and overdue supervision findings and decided matters."""
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import func, select

from api.pages.common import LEADER_ROLES, PageRoute, office_actor, render
from api.pages.meeting_views import MEMBERS as MEETING_ROLES
from api.pages.referral_views import referral_row
from api.pages.tips import nearest_open
from api.routes.supervision import STAFF as SUPERVISION_STAFF
from domain.coordination_models import DecidedMatter, Finding
from domain.enums import DeadlineStatus, Role
from domain.models import Deadline, Tip
from domain.referral_models import Referral
from domain.schemas import TipPublic
from services import tip_queries as q
from services.context import Actor, Context
from services.minutes import MATTER
from services.overdue import overdue_items
from services.supervision import FINDING
from states.referral import EVENT_LABELS as REFERRAL_EVENT_LABELS
from states.tip import EVENT_LABELS as TIP_EVENT_LABELS

router = APIRouter(route_class=PageRoute, include_in_schema=False)
LOOKED_AT = 200  # the newest open tips and referrals examined
SUPERVISION_ROLES = frozenset(SUPERVISION_STAFF)


def mine(actor: Actor, handler_id: int | None) -> bool:
    """An investigator's work is what they handle (or nobody does yet); the others' is what their role may do."""
    return actor.role != Role.INVESTIGATOR or handler_id in (None, actor.id)


def waiting_tips(ctx: Context) -> list[tuple[TipPublic, list[str], object]]:
    """Open tips with an event this user may send now: (tip, event labels, nearest open deadline)."""
    tips = list(ctx.session.exec(select(Tip).where(Tip.status != "closed")
                                 .order_by(Tip.registered_at.desc(), Tip.id.desc()).limit(LOOKED_AT)))
    page = q.tip_page(ctx.session, tips, len(tips), offset=0, limit=LOOKED_AT, actor=ctx.actor,
                      policy=ctx.policy, calendar=ctx.calendar, now=ctx.now)
    return [(tip, [TIP_EVENT_LABELS[e] for e in tip.allowed_events], nearest_open(tip))
            for tip in page.items if tip.allowed_events and mine(ctx.actor, tip.handler_id)]


def waiting_referrals(ctx: Context) -> list[dict]:
    """Open referrals with an event this user may send now, with that event's labels."""
    query = select(Referral).where(Referral.status != "closed").order_by(Referral.id.desc()).limit(LOOKED_AT)
    rows = []
    for referral in ctx.session.exec(query):
        if not mine(ctx.actor, referral.handler_id):
            continue
        row = referral_row(ctx, referral)
        if row["r"].allowed_events:
            rows.append({**row, "events": [REFERRAL_EVENT_LABELS[e] for e in row["r"].allowed_events]})
    return rows


def _overdue_subjects(ctx: Context, subject_type: str) -> int:
    """How many subjects of this type have a running deadline past due."""
    query = select(func.count(func.distinct(Deadline.subject_id))).where(
        Deadline.subject_type == subject_type, Deadline.status == DeadlineStatus.OPEN, Deadline.due_at <= ctx.now)
    return ctx.session.exec(query).one()


def coordination(ctx: Context) -> list[dict]:
    """For leaders: open and overdue rectification findings and decided matters, with where to look."""
    rows = []
    if ctx.actor.role in SUPERVISION_ROLES:
        open_count = ctx.session.exec(select(func.count()).select_from(Finding).where(Finding.status != "closed")).one()
        rows.append({"label": "督导整改事项（未销号）", "open": open_count, "overdue": _overdue_subjects(ctx, FINDING),
                     "href": "/supervision"})
    if ctx.actor.role in MEETING_ROLES:
        query = select(func.count()).select_from(DecidedMatter).where(DecidedMatter.status != "done_verified")
        rows.append({"label": "联席会议议定事项（未办结）", "open": ctx.session.exec(query).one(),
                     "overdue": _overdue_subjects(ctx, MATTER), "href": "/matters"})
    return rows


@router.get("/work")
def my_work(request: Request, actor: Actor = Depends(office_actor)) -> Response:
    """我的工作 (office roles)."""
    with request.app.state.runtime.read(actor) as ctx:
        tips, referrals, others = waiting_tips(ctx), waiting_referrals(ctx), coordination(ctx)
        overdue = None
        if actor.role in LEADER_ROLES:
            overdue = len(overdue_items(ctx.session, now=ctx.now, calendar=ctx.calendar, policy=ctx.policy))
    return render(request, "work.html", {"tips": tips, "referrals": referrals, "overdue": overdue, "others": others})
