"""The decided matters pages (议定事项): the list with days left, and one matter with its event forms (the
responsible unit's liaison starts and reports progress, the office verifies or sends back) and its 督办单."""
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.pages.common import PageRoute, form_data, redirect, render, roles_actor
from api.pages.meeting_views import MEMBERS, event_forms, failure, matter_history
from api.pages.referral_views import deadline_view, nearest_open
from domain.meeting_schemas import MatterEventIn
from services import meeting_queries as queries
from services.context import Actor
from services.errors import ServiceError
from services.minutes import load_matter, transition_matter
from states.meeting import EVENT_LABELS

router = APIRouter(route_class=PageRoute, include_in_schema=False)
member_actor = roles_actor(*MEMBERS)


@router.get("/matters")
def matter_list(request: Request, open_only: str = "", actor: Actor = Depends(member_actor)) -> Response:
    """议定事项: responsible unit, deadline and working days left, status; a liaison sees its own unit's."""
    with request.app.state.runtime.read(actor) as ctx:
        rows = []
        for matter in queries.list_matters(ctx, open_only=open_only == "yes"):
            nearest = nearest_open(matter.deadlines)
            rows.append({"x": matter, "left": deadline_view(nearest, ctx.now) if nearest else None})
    return render(request, "matter_list.html", {"rows": rows, "open_only": open_only == "yes"})


def render_detail(request: Request, actor: Actor, matter_id: int, *, status: int = 200, **extra) -> Response:
    with request.app.state.runtime.read(actor) as ctx:
        matter = queries.matter_public(ctx, load_matter(ctx, matter_id))
        view = {"x": matter, "forms": event_forms(matter.allowed_events),
                "deadlines": [deadline_view(d, ctx.now) for d in matter.deadlines],
                "history": matter_history(ctx.session, matter_id)}
    context = {"message": None, "errors": {}, "values": {}, **view, **extra}
    return render(request, "matter_detail.html", context, status=status)


@router.get("/matters/{matter_id}")
def matter_detail(request: Request, matter_id: int, actor: Actor = Depends(member_actor)) -> Response:
    return render_detail(request, actor, matter_id)


@router.post("/matters/{matter_id}/transition")
def transition(request: Request, matter_id: int, form: dict[str, str] = Depends(form_data),
               actor: Actor = Depends(member_actor)) -> Response:
    """One matter event from its form; back to the matter on success."""
    event = form.get("event", "")
    data = {key: value for key in ("event", "expected_version", "text") if (value := (form.get(key) or "").strip())}
    try:
        body = MatterEventIn.model_validate(data)
        with request.app.state.runtime.write(actor) as ctx:
            transition_matter(ctx, matter_id, body)
    except (ValidationError, ServiceError) as exc:
        status, message, errors = failure(exc, EVENT_LABELS.get(event, "操作"))
        return render_detail(request, actor, matter_id, status=status, message=message,
                             errors={event: errors}, values={event: form})
    return redirect(f"/matters/{matter_id}")
