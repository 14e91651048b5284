"""The findings pages (整改事项): the list (a target unit's liaison sees and answers only its own findings there)
and a finding's detail with its allowed transitions and the 整改通知书."""
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.pages.common import PageRoute, form_data, redirect, render, roles_actor
from api.pages.supervision_views import (
    event_forms, event_input, failure, finding_rows, history, rectification_clock,
)
from api.routes.supervision import STAFF
from domain.coordination_schemas import EventIn
from domain.enums import Role
from services import supervision as sv
from services.context import Actor
from services.errors import ServiceError
from services.supervision_reports import finding_public
from states.supervision import EVENT_LABELS

router = APIRouter(route_class=PageRoute, include_in_schema=False)
finding_actor = roles_actor(*STAFF, Role.LIAISON)  # load_finding hides other units' findings from a liaison
LIST, DETAIL = "list", "detail"


def _form_key(finding_id: int, event: str) -> str:
    """Errors and typed values belong to one event form of one finding."""
    return f"{finding_id}-{event}"


def render_list(request: Request, actor: Actor, *, status: int = 200, **extra) -> Response:
    with request.app.state.runtime.read(actor) as ctx:
        rows = finding_rows(ctx)
    context = {"message": None, "errors": {}, "values": {}, "rows": rows, "form_key": _form_key, **extra}
    return render(request, "supervision_findings.html", context, status=status)


def render_detail(request: Request, actor: Actor, finding_id: int, *, status: int = 200, **extra) -> Response:
    with request.app.state.runtime.read(actor) as ctx:
        view = finding_public(ctx, sv.load_finding(ctx, finding_id))
        context = {"f": view, "clock": rectification_clock(view), "history": history(ctx, sv.FINDING, view.id),
                   "forms": event_forms(view.allowed_events)}
    context = {"message": None, "errors": {}, "values": {}, "form_key": _form_key, **context, **extra}
    return render(request, "supervision_finding.html", context, status=status)


@router.get("/supervision/findings")
def finding_list(request: Request, actor: Actor = Depends(finding_actor)) -> Response:
    """整改事项: a liaison's own unit's findings (to acknowledge and report on), or all of them for the staff."""
    return render_list(request, actor)


@router.get("/supervision/findings/{finding_id}")
def finding_detail(request: Request, finding_id: int, actor: Actor = Depends(finding_actor)) -> Response:
    return render_detail(request, actor, finding_id)


@router.post("/supervision/findings/{finding_id}/transition")
def transition(request: Request, finding_id: int, form: dict[str, str] = Depends(form_data),
               actor: Actor = Depends(finding_actor)) -> Response:
    """确认整改、报送整改情况、核查、复核 ...; from the list the answer goes back to the list."""
    back = LIST if form.get("back") == LIST else DETAIL
    try:
        data = EventIn.model_validate(event_input(form))
        with request.app.state.runtime.write(actor) as ctx:
            sv.transition_finding(ctx, finding_id, data)
    except (ValidationError, ServiceError) as exc:
        status, message, errors = failure(exc, EVENT_LABELS.get(form.get("event", ""), "操作"))
        key = _form_key(finding_id, form.get("event", ""))
        extra = {"message": message, "errors": {key: errors} if errors else {}, "values": {key: form}}
        if back == LIST:
            return render_list(request, actor, status=status, **extra)
        return render_detail(request, actor, finding_id, status=status, **extra)
    return redirect("/supervision/findings" if back == LIST else f"/supervision/findings/{finding_id}")
