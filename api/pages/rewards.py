"""举报奖励: the office's reward list and the year's budget (budgeted, committed, paid, available)."""
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.pages.common import OFFICE_ROLES, PageRoute, render, roles_actor
from services import reward_queries as q
from services.context import Actor

router = APIRouter(route_class=PageRoute, include_in_schema=False)
office_actor = roles_actor(*OFFICE_ROLES)


@router.get("/rewards")
def rewards(request: Request, year: str = "", actor: Actor = Depends(office_actor)) -> Response:
    """Rewards newest first, and the budget line of the chosen year (default: this year)."""
    with request.app.state.runtime.read(actor) as ctx:
        chosen = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else q.year_of(ctx.now)
        budget = q.budget_line(ctx.session, q.office_id(ctx), chosen, q.settings_of(ctx).annual_budget)
        page = q.list_rewards(ctx, status=None, tip_id=None, offset=0, limit=200)
    return render(request, "rewards.html", {"budget": budget, "year": chosen, "rewards": page.items})
