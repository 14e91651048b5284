"""超期督办: the leaders' read-only view of every overdue deadline, by department, oldest first."""
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.pages.common import LEADER_ROLES, PageRoute, render, roles_actor
from services.context import Actor
from services.overdue import OverdueItem, overdue_items

router = APIRouter(route_class=PageRoute, include_in_schema=False)
leader_actor = roles_actor(*LEADER_ROLES)
LEVELS = range(0, 6)
SUBJECT_PAGES = {"tip": "/tips/{}", "referral": "/referrals/{}"}


def level_label(level: int) -> str:
    """第N级, or 未升级 for an overdue deadline the ladder has not climbed yet."""
    return f"第{level}级" if level else "未升级"


def subject_link(item: OverdueItem) -> str | None:
    """The page of the overdue subject, where there is one (tips and referrals)."""
    page = SUBJECT_PAGES.get(item.subject_type)
    return page.format(item.subject_id) if page else None


def by_department(items: list[OverdueItem]) -> list[dict]:
    """Groups in order of their oldest item; within a group, oldest first (as the service sorts)."""
    groups: dict[str, list[dict]] = {}
    for item in items:
        row = {"item": item, "link": subject_link(item), "level": level_label(item.level)}
        groups.setdefault(item.department, []).append(row)
    return [{"department": name, "rows": rows} for name, rows in groups.items()]


def _level(text: str) -> int | None:
    """The level filter; junk or blank means all levels."""
    return int(text) if text.isdigit() and int(text) in LEVELS else None


@router.get("/overdue")
def overdue(request: Request, level: str = "", actor: Actor = Depends(leader_actor)) -> Response:
    """超期督办 (section chief, head, admin, auditor), optionally one escalation level only."""
    chosen = _level(level)
    with request.app.state.runtime.read(actor) as ctx:
        items = overdue_items(ctx.session, now=ctx.now, calendar=ctx.calendar, policy=ctx.policy, level=chosen)
    return render(request, "overdue.html", {
        "groups": by_department(items), "total": len(items), "level": chosen,
        "levels": [(value, level_label(value)) for value in LEVELS],
    })
