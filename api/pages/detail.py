"""The tip detail page and its forms: lifecycle events, duplicate link, reading the sealed identity."""
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import select

from api.pages.common import ACTION_LABELS, PageRoute, form_data, office_actor, redirect, render
from api.pages.forms import duplicate_input, form_failure, transition_input
from api.pages.history import history_rows
from domain.enums import Role
from domain.models import User
from domain.schemas import DuplicateLinkIn, ReporterPublic, TransitionIn
from services import tip_queries as q
from services.context import Actor, Context
from services.errors import ServiceError
from services.identity import read_identity
from services.tips import DUPLICATE_ROLES, REASON_REQUIRED, link_duplicate, transition_tip
from states.tip import EVENT_LABELS, STATE_LABELS

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# What each event's form asks for (the services check it); every other event takes an optional reason.
EVENT_FIELDS = {
    "reject": ("ground", "reason"),
    "transfer": ("transferred_to", "reason"),
    "start_investigation": ("handler_id", "reason"),
    "conclude": ("finding", "amount_confirmed", "amount_recovered", "reason"),
}
FORM_TITLES = {**EVENT_LABELS, "duplicate": "关联重复举报", "reporter": "查看举报人身份"}


def event_forms(events: list[str], role: Role) -> list[dict]:
    """One small form per allowed event; an investigator starting an investigation handles it himself."""
    forms = []
    for event in events:
        fields = EVENT_FIELDS.get(event, ("reason",))
        if event == "start_investigation" and role == Role.INVESTIGATOR:
            fields = ("reason",)
        forms.append({"event": event, "label": EVENT_LABELS[event], "fields": fields,
                      "reason_required": event in REASON_REQUIRED})
    return forms


def _investigators(ctx: Context) -> list[User]:
    """Active investigators, whom a chief may name as handler."""
    query = select(User).where(User.role == Role.INVESTIGATOR.value, User.active.is_(True)).order_by(User.id)
    return list(ctx.session.exec(query))


def detail_view(ctx: Context, tip_id: int) -> dict:
    """Everything the detail page shows, read in one session (never the reporter's identity)."""
    tip, role = q.tip_view(ctx, tip_id), ctx.actor.role
    handler = ctx.session.get(User, tip.handler_id) if tip.handler_id else None
    forms = event_forms(tip.allowed_events, role)
    needs_handler = any("handler_id" in form["fields"] for form in forms)
    return {
        "tip": tip, "history": history_rows(ctx.session, "tip", tip_id, actions=ACTION_LABELS, states=STATE_LABELS),
        "forms": forms,
        "handler_name": handler.display_name if handler else None,
        "investigators": _investigators(ctx) if needs_handler else [],
        "can_link": role in DUPLICATE_ROLES,
        "can_reveal": role in ctx.policy.identity_readers and not tip.anonymous,
    }


def render_detail(request: Request, actor: Actor, tip_id: int, *, status: int = 200, **extra) -> Response:
    """The detail page; `extra` may carry a message, form errors and values, or the revealed identity."""
    with request.app.state.runtime.read(actor) as ctx:
        view = detail_view(ctx, tip_id)
    context = {"identity": None, "message": None, "errors": {}, "values": {}, **view, **extra}
    return render(request, "tip_detail.html", context, status=status)


def failed(request: Request, actor: Actor, tip_id: int, form_id: str, form: dict, exc: Exception) -> Response:
    """Re-render the detail after a refused form, keeping what was typed."""
    status, message, errors = form_failure(exc, FORM_TITLES.get(form_id, "操作"))
    return render_detail(request, actor, tip_id, status=status, message=message,
                         errors={form_id: errors} if errors else {}, values={form_id: form})


@router.get("/tips/{tip_id}")
def tip_detail(request: Request, tip_id: int, actor: Actor = Depends(office_actor)) -> Response:
    """举报详情."""
    return render_detail(request, actor, tip_id)


@router.post("/tips/{tip_id}/transition")
def transition(request: Request, tip_id: int, form: dict[str, str] = Depends(form_data),
               actor: Actor = Depends(office_actor)) -> Response:
    """Send one lifecycle event from its form; back to the detail on success."""
    form_id = form.get("event", "")
    try:
        data = TransitionIn.model_validate(transition_input(form))
        with request.app.state.runtime.write(actor) as ctx:
            transition_tip(ctx, tip_id, data)
    except (ValidationError, ServiceError) as exc:
        return failed(request, actor, tip_id, form_id, form, exc)
    return redirect(f"/tips/{tip_id}")


@router.post("/tips/{tip_id}/duplicate")
def duplicate(request: Request, tip_id: int, form: dict[str, str] = Depends(form_data),
              actor: Actor = Depends(office_actor)) -> Response:
    """关联重复举报: link this tip to an earlier one."""
    try:
        data = DuplicateLinkIn.model_validate(duplicate_input(form))
        with request.app.state.runtime.write(actor) as ctx:
            link_duplicate(ctx, tip_id, data)
    except (ValidationError, ServiceError) as exc:
        return failed(request, actor, tip_id, "duplicate", form, exc)
    return redirect(f"/tips/{tip_id}")


@router.post("/tips/{tip_id}/reporter")
def reveal_reporter(request: Request, tip_id: int, form: dict[str, str] = Depends(form_data),
                    actor: Actor = Depends(office_actor)) -> Response:
    """查看举报人身份: the service audits the read; the identity is on this response only."""
    try:
        with request.app.state.runtime.write(actor) as ctx:
            identity = read_identity(ctx, tip_id, reason=form.get("reason"))
            shown = ReporterPublic.model_validate(identity, from_attributes=True)
    except ServiceError as exc:
        return failed(request, actor, tip_id, "reporter", form, exc)
    return render_detail(request, actor, tip_id, identity=shown)
