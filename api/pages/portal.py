"""Where people land after log-in, and the liaisons' department portal (部门门户: 本部门待办)."""
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.pages.common import PageRoute, home_of, page_user, redirect, render, roles_actor
from api.pages.referral_views import COPY_MARK, referral_row
from domain.enums import Role
from domain.models import Department, User
from services.context import Actor
from services.referral_queries import list_referrals

router = APIRouter(route_class=PageRoute, include_in_schema=False)
liaison_actor = roles_actor(Role.LIAISON)


@router.get("/start")
def start(user: User = Depends(page_user)) -> Response:
    """Where the log-in form lands: the role's home (see home_of)."""
    return redirect(home_of(Role(user.role)))


def _newest_first(row: dict):
    """Sort key: the latest sent first (a referral is the department's only once its letter is sent)."""
    return row["r"].sent_at, row["r"].id


@router.get("/portal")
def portal(request: Request, actor: Actor = Depends(liaison_actor)) -> Response:
    """本部门待办: referrals sent to (or copied to) the liaison's department, newest first."""
    with request.app.state.runtime.read(actor) as ctx:
        sent = [r for r in list_referrals(ctx) if r.sent_at is not None]
        rows = sorted((referral_row(ctx, r) for r in sent), key=_newest_first, reverse=True)
        department = ctx.session.get(Department, actor.department_id) if actor.department_id else None
    return render(request, "portal.html", {
        "department": department.name if department else "", "copy_mark": COPY_MARK,
        "open_rows": [row for row in rows if row["r"].status != "closed"],
        "closed_rows": [row for row in rows if row["r"].status == "closed"],
    })
