"""The referral pages (移送): the office's list, the detail with its event forms, attachments and clocks."""
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from api.pages.common import OFFICE_ROLES, PageRoute, form_data, office_actor, redirect, render, roles_actor
from api.pages.forms import form_failure
from api.pages.referral_views import (
    COPY_MARK, copy_only, deadline_view, event_forms, referral_history, referral_row, transition_input,
)
from domain.enums import Role
from domain.referral_schemas import ReferralTransitionIn
from services.attachments import MAX_BYTES, add_attachment
from services.clock_control import CLOCK_ROLES
from services.context import Actor, Context
from services.errors import InvalidInput, ServiceError
from services.referral_queries import list_referrals, referral_public
from services.referrals import load_visible, transition_referral
from states.referral import EVENT_LABELS, STATE_LABELS

router = APIRouter(route_class=PageRoute, include_in_schema=False)
# The office and the departments' liaisons; load_visible then limits a liaison to their department's referrals.
referral_actor = roles_actor(*OFFICE_ROLES, Role.LIAISON)
FORM_TITLES = {**EVENT_LABELS, "upload": "上传附件"}


@router.get("/referrals")
def referral_list(request: Request, status: str = "", actor: Actor = Depends(office_actor)) -> Response:
    """移送列表 (office): every referral, newest first; an unknown status filter is ignored."""
    status = status if status in STATE_LABELS else ""
    with request.app.state.runtime.read(actor) as ctx:
        rows = [referral_row(ctx, r) for r in list_referrals(ctx, status=status or None)]
    return render(request, "referral_list.html", {"rows": rows, "status": status,
                                                  "REFERRAL_STATES": STATE_LABELS})


def detail_view(ctx: Context, referral_id: int) -> dict:
    """Everything the detail page shows (404 for a referral the actor may not see)."""
    view = referral_public(ctx, load_visible(ctx, referral_id))
    copy = copy_only(ctx, view)
    return {
        "r": view, "copy": copy, "copy_mark": COPY_MARK, "forms": event_forms(view.allowed_events),
        "deadlines": [deadline_view(d, ctx.now) for d in view.deadlines],
        "history": referral_history(ctx.session, referral_id), "REFERRAL_STATES": STATE_LABELS,
        "can_upload": not copy and ctx.actor.role != Role.AUDITOR,
        "can_clock": ctx.actor.role in CLOCK_ROLES, "tip_link": ctx.actor.role in OFFICE_ROLES,
    }


def render_detail(request: Request, actor: Actor, referral_id: int, *, status: int = 200, **extra) -> Response:
    """The detail page; `extra` may carry a message and a form's errors and typed values."""
    with request.app.state.runtime.read(actor) as ctx:
        view = detail_view(ctx, referral_id)
    context = {"message": None, "errors": {}, "values": {}, **view, **extra}
    return render(request, "referral_detail.html", context, status=status)


def failed(request: Request, actor: Actor, referral_id: int, form_id: str, form: dict, exc: Exception) -> Response:
    """Re-render the detail after a refused form, keeping what was typed."""
    status, message, errors = form_failure(exc, FORM_TITLES.get(form_id, "操作"))
    return render_detail(request, actor, referral_id, status=status, message=message,
                         errors={form_id: errors} if errors else {}, values={form_id: form})


@router.get("/referrals/{referral_id}")
def referral_detail(request: Request, referral_id: int, actor: Actor = Depends(referral_actor)) -> Response:
    """移送详情, for anyone who may see the referral."""
    return render_detail(request, actor, referral_id)


@router.post("/referrals/{referral_id}/transition")
def transition(request: Request, referral_id: int, form: dict[str, str] = Depends(form_data),
               actor: Actor = Depends(referral_actor)) -> Response:
    """Send one event from its form (sign, decide, reply ...); back to the detail on success."""
    form_id = form.get("event", "")
    try:
        data = ReferralTransitionIn.model_validate(transition_input(form))
        with request.app.state.runtime.write(actor) as ctx:
            transition_referral(ctx, referral_id, data)
    except (ValidationError, ServiceError) as exc:
        return failed(request, actor, referral_id, form_id, form, exc)
    return redirect(f"/referrals/{referral_id}")


async def uploaded_file(request: Request) -> tuple[str, bytes]:
    """The posted file's name and content (one byte over the limit at most)."""
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("file", "请选择要上传的文件")
    return upload.filename, await upload.read(MAX_BYTES + 1)


@router.post("/referrals/{referral_id}/attachments")
async def attach(request: Request, referral_id: int, actor: Actor = Depends(referral_actor)) -> Response:
    """上传附件 (multipart); the service checks type, size and content."""
    try:
        filename, content = await uploaded_file(request)
        with request.app.state.runtime.write(actor) as ctx:
            add_attachment(ctx, referral_id, filename=filename, content=content)
    except InvalidInput as exc:
        return failed(request, actor, referral_id, "upload", {}, exc)
    return redirect(f"/referrals/{referral_id}")
