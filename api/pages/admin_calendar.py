"""/admin/calendar: the holiday schedule of each year known, and loading a year (as `calendar load-year`)."""
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.pages.admin import admin_actor, can_change, reader_actor
from api.pages.common import PageRoute, form_data, redirect, render
from domain.calendar import LIBRARY_YEARS, SHANGHAI
from services import calendar as calendar_service
from services.context import Actor

router = APIRouter(route_class=PageRoute, include_in_schema=False)
SOURCE_LABELS = {"loaded": "管理员载入", "library": "系统内置", "missing": "未载入"}
WEEKDAYS = "一二三四五六日"


def _page(request: Request, actor: Actor, chosen: str = "", values: dict | None = None,
          errors: dict[str, str] | None = None) -> Response:
    """Every year known (and the next ones not known), one year's detail, the form."""
    with request.app.state.runtime.read(actor) as ctx:
        this_year = ctx.now.astimezone(SHANGHAI).year
        years = calendar_service.calendar_years(ctx.session, this_year)
    by_year = {view.year: view for view in years}
    shown = by_year.get(int(chosen)) if chosen.isdigit() else None
    return render(request, "admin_calendar.html", {
        "years": years, "shown": shown or by_year[this_year], "this_year": this_year,
        "library_years": LIBRARY_YEARS, "sources": SOURCE_LABELS, "weekdays": WEEKDAYS,
        "values": values or {}, "errors": errors or {}, "can_change": can_change(actor),
    }, status=422 if errors else 200)


@router.get("/admin/calendar")
def calendar_page(request: Request, year: str = "", actor: Actor = Depends(reader_actor)) -> Response:
    """节假日安排: which years are known; the breaks and make-up working days of one."""
    return _page(request, actor, year)


@router.post("/admin/calendar")
def load_year(request: Request, form: dict[str, str] = Depends(form_data),
              actor: Actor = Depends(admin_actor)) -> Response:
    """载入一年的放假安排; refused dates come back beside their field, nothing is stored."""
    data = calendar_service.schedule_data(form.get("year", ""), form.get("holidays", ""), form.get("workdays", ""))
    errors = calendar_service.schedule_errors(data)
    if errors:
        return _page(request, actor, form.get("year", "").strip(), form, errors)
    with request.app.state.runtime.write(actor) as ctx:
        schedule, _moved = calendar_service.load_year_schedule(ctx, data)
    return redirect(f"/admin/calendar?year={schedule.year}")
