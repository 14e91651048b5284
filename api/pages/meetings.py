"""The joint meeting pages (联席会议): the list with the office's planning form, and the meeting's page with its
topics, agenda, event forms, minutes, read receipts and documents."""
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.pages.common import PageRoute, form_data, redirect, render, roles_actor
from api.pages.forms import form_failure
from api.pages.meeting_views import MEMBERS, detail_view, event_input, failure, typed
from domain.enums import Role
from domain.meeting_schemas import MeetingCreate, MeetingEventIn, TopicIn
from services import meeting_queries as queries
from services import meetings, minutes
from services.context import Actor
from services.errors import ServiceError
from states.meeting import EVENT_LABELS

router = APIRouter(route_class=PageRoute, include_in_schema=False)
member_actor = roles_actor(*MEMBERS)
office_actor = roles_actor(Role.MEETING_OFFICE)
liaison_actor = roles_actor(Role.LIAISON)
FORM_TITLES = {"plan": "发起联席会议", "topic": "提交议题", "receipt": "确认阅知", "distribute": "分发纪要"}


def _list(request: Request, actor: Actor, *, status: int = 200, values: dict | None = None,
          errors: dict | None = None, message: str | None = None) -> Response:
    with request.app.state.runtime.read(actor) as ctx:
        rows, ad_hoc = queries.list_meetings(ctx), queries.ad_hoc_ids(ctx)
    return render(request, "meeting_list.html", {
        "rows": rows, "ad_hoc": ad_hoc, "can_plan": actor.role == Role.MEETING_OFFICE, "values": values or {},
        "errors": errors or {}, "message": message}, status=status)


@router.get("/meetings")
def meeting_list(request: Request, actor: Actor = Depends(member_actor)) -> Response:
    """联席会议列表: number, planned date, status; the office plans an ad hoc meeting here."""
    return _list(request, actor)


@router.post("/meetings")
def plan(request: Request, form: dict[str, str] = Depends(form_data),
         actor: Actor = Depends(office_actor)) -> Response:
    """临时会议: the office opens a meeting (refused while another is open)."""
    data = {key: value for key in ("due_by", "title") if (value := (form.get(key) or "").strip())}
    try:
        body = MeetingCreate.model_validate(data)
        with request.app.state.runtime.write(actor) as ctx:
            meeting_id = meetings.open_ad_hoc(ctx, due_by=body.due_by, title=body.title).id
    except (ValidationError, ServiceError) as exc:
        status, message, errors = failure(exc, FORM_TITLES["plan"])
        return _list(request, actor, status=status, values=form, errors=errors, message=message)
    return redirect(f"/meetings/{meeting_id}")


def render_detail(request: Request, actor: Actor, meeting_id: int, *, status: int = 200, **extra) -> Response:
    """The meeting page; `extra` may carry a message and one form's errors and typed values."""
    with request.app.state.runtime.read(actor) as ctx:
        view = detail_view(ctx, meeting_id)
    context = {"message": None, "errors": {}, "values": {}, **view, **extra}
    return render(request, "meeting_detail.html", context, status=status)


def refused(request: Request, actor: Actor, meeting_id: int, form_id: str, form, exc: Exception) -> Response:
    """The meeting page again after a refused form, the message on top and the errors beside the fields."""
    status, message, errors = failure(exc, FORM_TITLES.get(form_id) or EVENT_LABELS.get(form_id, "操作"))
    return render_detail(request, actor, meeting_id, status=status, message=message,
                         errors={form_id: errors}, values={form_id: typed(form)})


@router.get("/meetings/{meeting_id}")
def meeting_detail(request: Request, meeting_id: int, actor: Actor = Depends(member_actor)) -> Response:
    return render_detail(request, actor, meeting_id)


@router.post("/meetings/{meeting_id}/transition")
async def transition(request: Request, meeting_id: int, actor: Actor = Depends(member_actor)) -> Response:
    """One meeting event from its form; back to the meeting page on success."""
    form = await request.form()
    event = form.get("event") or ""
    try:
        data = MeetingEventIn.model_validate(event_input(form))
        with request.app.state.runtime.write(actor) as ctx:
            meetings.transition_meeting(ctx, meeting_id, data)
    except (ValidationError, ServiceError) as exc:
        return refused(request, actor, meeting_id, event, form, exc)
    return redirect(f"/meetings/{meeting_id}")


@router.post("/meetings/{meeting_id}/topics")
async def submit_topic(request: Request, meeting_id: int, actor: Actor = Depends(member_actor)) -> Response:
    """A member unit's topic (the service admits member units only, before the cut-off)."""
    form = await request.form()
    data = {key: value for key in ("title", "detail") if (value := (form.get(key) or "").strip())}
    try:
        body = TopicIn.model_validate(data)
        with request.app.state.runtime.write(actor) as ctx:
            meetings.submit_topic(ctx, meeting_id, body)
    except (ValidationError, ServiceError) as exc:
        return refused(request, actor, meeting_id, "topic", form, exc)
    return redirect(f"/meetings/{meeting_id}")


@router.post("/meetings/{meeting_id}/receipt")
def confirm_read(request: Request, meeting_id: int, actor: Actor = Depends(liaison_actor)) -> Response:
    """The liaison confirms, for its unit, that the minutes were read."""
    try:
        with request.app.state.runtime.write(actor) as ctx:
            minutes.confirm_read(ctx, meeting_id)
    except ServiceError as exc:
        status, message, _ = form_failure(exc, FORM_TITLES["receipt"])
        return render_detail(request, actor, meeting_id, status=status, message=message)
    return redirect(f"/meetings/{meeting_id}")


@router.post("/meetings/{meeting_id}/distribute")
def distribute(request: Request, meeting_id: int, actor: Actor = Depends(office_actor)) -> Response:
    """The office sends approved minutes to every member unit now, instead of waiting for the scheduled flow."""
    try:
        with request.app.state.runtime.write(actor) as ctx:
            minutes.request_distribution(ctx, meeting_id)
    except ServiceError as exc:
        status, message, _ = form_failure(exc, FORM_TITLES["distribute"])
        return render_detail(request, actor, meeting_id, status=status, message=message)
    minutes.distribute_now(request.app.state.runtime, meeting_id)
    return redirect(f"/meetings/{meeting_id}")
