"""The information report pages (信息报送): the list with late and missing reports marked and the major-report
form (重大信息快报), and one report with its submission form (the reporter) and review forms (the receiver)."""
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.pages.common import PageRoute, form_data, redirect, render, roles_actor
from api.pages.meeting_views import INFO_ROLES, aware, failure
from domain.meeting_schemas import InfoEventIn, InfoSubmitIn, MajorReportIn
from services import info_reports as info
from services.context import Actor
from services.errors import ServiceError
from states.meeting import INFO_EVENT_LABELS, REPORTERS

router = APIRouter(route_class=PageRoute, include_in_schema=False)
reader_actor = roles_actor(*INFO_ROLES)
reporter_actor = roles_actor(*REPORTERS)
KINDS = {"weekly", "monthly", "major"}
CHOICE_LABELS = {"CHANNELS": info.CHANNEL_LABELS, "CATEGORIES": info.CATEGORY_LABELS, "KINDS": info.KIND_LABELS}


def report_input(form: dict[str, str], keys: tuple[str, ...]) -> dict:
    """A report form's input: blank fields left out, the checkbox as a bool, local time made aware."""
    data = {key: value for key in keys if (value := (form.get(key) or "").strip())}
    data["classified"] = form.get("classified") == "yes"
    if "found_at" in data:
        data["found_at"] = aware(data["found_at"])
    return data


def _list(request: Request, actor: Actor, kind: str = "", *, status: int = 200, **extra) -> Response:
    with request.app.state.runtime.read(actor) as ctx:
        rows = [info.info_public(ctx, r) for r in info.list_reports(ctx, kind=kind or None)]
    context = {"rows": rows, "kind": kind, "can_report": actor.role in REPORTERS, "values": {}, "errors": {},
               "message": None, **CHOICE_LABELS, **extra}
    return render(request, "info_report_list.html", context, status=status)


@router.get("/info-reports")
def report_list(request: Request, kind: str = "", actor: Actor = Depends(reader_actor)) -> Response:
    """信息报告列表, within the caller's scope; late (迟报) and missing (未报) ones marked."""
    return _list(request, actor, kind if kind in KINDS else "")


@router.post("/info-reports/major")
def report_major(request: Request, form: dict[str, str] = Depends(form_data),
                 actor: Actor = Depends(reporter_actor)) -> Response:
    """重大信息快报 (as POST /api/v1/info-reports/major)."""
    try:
        data = MajorReportIn.model_validate(report_input(form, ("found_at", "category", "channel", "content")))
        with request.app.state.runtime.write(actor) as ctx:
            report_id = info.report_major(ctx, data).id
    except (ValidationError, ServiceError) as exc:
        status, message, errors = failure(exc, "报告重大信息")
        return _list(request, actor, status=status, values=form, errors=errors, message=message)
    return redirect(f"/info-reports/{report_id}")


def render_detail(request: Request, actor: Actor, report_id: int, *, status: int = 200, **extra) -> Response:
    with request.app.state.runtime.read(actor) as ctx:
        report = info.info_public(ctx, info.load_report(ctx, report_id))
    context = {"r": report, "message": None, "errors": {}, "values": {}, "EVENT_NAMES": INFO_EVENT_LABELS,
               **CHOICE_LABELS, **extra}
    return render(request, "info_report_detail.html", context, status=status)


@router.get("/info-reports/{report_id}")
def report_detail(request: Request, report_id: int, actor: Actor = Depends(reader_actor)) -> Response:
    return render_detail(request, actor, report_id)


def _refused(request: Request, actor: Actor, report_id: int, form_id: str, form: dict, exc: Exception) -> Response:
    status, message, errors = failure(exc, INFO_EVENT_LABELS.get(form_id, "操作"))
    return render_detail(request, actor, report_id, status=status, message=message, errors={form_id: errors},
                         values={form_id: form})


@router.post("/info-reports/{report_id}/submission")
def submit(request: Request, report_id: int, form: dict[str, str] = Depends(form_data),
           actor: Actor = Depends(reporter_actor)) -> Response:
    """报送: paper, network or phone; classified information never over the network."""
    try:
        data = InfoSubmitIn.model_validate(report_input(form, ("expected_version", "channel", "content")))
        with request.app.state.runtime.write(actor) as ctx:
            info.submit(ctx, report_id, data)
    except (ValidationError, ServiceError) as exc:
        return _refused(request, actor, report_id, "submit", form, exc)
    return redirect(f"/info-reports/{report_id}")


@router.post("/info-reports/{report_id}/transition")
def review(request: Request, report_id: int, form: dict[str, str] = Depends(form_data),
           actor: Actor = Depends(reader_actor)) -> Response:
    """接收, or 退回补正 with a reason (the service admits the report's receiver only)."""
    event = form.get("event", "")
    data = {key: value for key in ("event", "expected_version", "text") if (value := (form.get(key) or "").strip())}
    try:
        body = InfoEventIn.model_validate(data)
        with request.app.state.runtime.write(actor) as ctx:
            info.review(ctx, report_id, body)
    except (ValidationError, ServiceError) as exc:
        return _refused(request, actor, report_id, event, form, exc)
    return redirect(f"/info-reports/{report_id}")
