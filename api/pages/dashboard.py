"""领导看板: the leaders' figures as server-drawn SVG charts (no JavaScript) and tables, with Excel exports."""
from decimal import Decimal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.pages.common import LEADER_ROLES, PageRoute, render, roles_actor
from services.context import Actor
from services.dashboard import STAGE_WINDOW_DAYS, Dashboard, OverdueMatrix, StageTime, dashboard

router = APIRouter(route_class=PageRoute, include_in_schema=False)
leader_actor = roles_actor(*LEADER_ROLES)
BAR_WIDTH = 360          # px of the longest bar
ROW = 24                 # px per chart row
LEVEL_COLOURS = ("#f4a6a0", "#e8665d", "#c8372d", "#9c1f17", "#6e120c", "#4a0904")
RATIO_CAP = 2.0          # stage-time bars are drawn up to twice the legal limit
EXPORTS = (("tips", "举报线索"), ("referrals", "移送"), ("overdue", "超期事项"), ("rewards", "举报奖励"))


def bars(pairs: list[tuple[str, int]]) -> list[dict]:
    """Horizontal bars scaled to the largest value: label, value, y and width in px."""
    top = max((value for _, value in pairs), default=0) or 1
    return [{"label": label, "value": value, "y": i * ROW, "width": round(BAR_WIDTH * value / top)}
            for i, (label, value) in enumerate(pairs)]


def level_label(level: int) -> str:
    return f"第{level}级" if level else "未升级"


def overdue_bars(matrix: OverdueMatrix) -> list[dict]:
    """One stacked bar per department: a segment per escalation level, darker as the level rises."""
    top = max((row.total for row in matrix.rows), default=0) or 1
    result = []
    for i, row in enumerate(matrix.rows):
        x, segments = 0, []
        for level in matrix.levels:
            width = round(BAR_WIDTH * row.by_level.get(level, 0) / top)
            if width:
                colour = LEVEL_COLOURS[min(level, len(LEVEL_COLOURS) - 1)]
                segments.append({"x": x, "width": width, "colour": colour, "title": level_label(level)})
            x += width
        result.append({"label": row.department, "total": row.total, "y": i * ROW, "segments": segments})
    return result


def stage_bars(stages: list[StageTime]) -> list[dict]:
    """Average time as a share of the legal limit; the limit is the line at half the width (100%)."""
    rows = [s for s in stages if s.ratio is not None]
    return [{"stage": s, "y": i * ROW, "width": round(BAR_WIDTH * min(s.ratio, RATIO_CAP) / RATIO_CAP),
             "over": s.ratio > 1, "percent": round(s.ratio * 100)} for i, s in enumerate(rows)]


def budget_segments(view: Dashboard) -> list[dict]:
    """The year's budget as one bar: paid, committed, available (over-commitment shows as a full bar)."""
    budget = view.budget
    whole = max(budget.budgeted, budget.paid + budget.committed, Decimal(1))
    parts = (("已发放", budget.paid, "#0b5394"), ("已承诺未发放", budget.committed, "#6fa8dc"),
             ("可用", max(budget.available, Decimal(0)), "#d9e6f2"))
    x, segments = 0, []
    for label, amount, colour in parts:
        width = round(BAR_WIDTH * 1.5 * float(amount / whole))
        segments.append({"label": label, "amount": amount, "x": x, "width": width, "colour": colour})
        x += width
    return segments


@router.get("/dashboard")
def dashboard_page(request: Request, actor: Actor = Depends(leader_actor)) -> Response:
    """领导看板 (section chief, head, admin, auditor)."""
    with request.app.state.runtime.read(actor) as ctx:
        view, now = dashboard(ctx), ctx.now
    charts = [{"key": o.key, "title": o.title, "total": o.total,
               "bars": bars([(s.label, s.count) for s in o.stages])} for o in view.open_items]
    return render(request, "dashboard.html", {
        "view": view, "now": now, "charts": charts, "overdue_bars": overdue_bars(view.overdue),
        "stage_bars": stage_bars(view.stage_times), "budget_segments": budget_segments(view),
        "level_label": level_label, "level_colours": LEVEL_COLOURS, "bar_width": BAR_WIDTH, "row": ROW,
        "exports": EXPORTS, "stage_window_days": STAGE_WINDOW_DAYS,
    })
