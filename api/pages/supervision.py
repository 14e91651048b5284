"""The supervision pages (督导整改) for the supervision staff: the rounds, planning one, and a round's detail
with its transitions, findings, the 舆情评估, publication and the 督导情况报告."""
from collections.abc import Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import select

from api.pages.common import PageRoute, form_data, redirect, render, roles_actor, templates
from api.pages.supervision_views import (
    DEADLINE_CHOICES, event_forms, event_input, failure, finding_input, finding_rows, history, round_input,
    round_rows, target_choices,
)
from api.routes.supervision import STAFF
from domain.calendar import SHANGHAI
from domain.coordination_models import SupervisionRound
from domain.coordination_schemas import EventIn, FindingCreate, RoundCreate, TextIn
from domain.enums import Role
from services import supervision as sv
from services import supervision_reports as reports
from services.context import Actor, Context
from services.errors import ServiceError
from states.supervision import EVENT_LABELS, SUPERVISORS

router = APIRouter(route_class=PageRoute, include_in_schema=False)
staff_actor = roles_actor(*STAFF)
# The header's 督导整改 link (base.html) is shown to these roles; liaisons get their findings list instead.
templates.env.globals["SUPERVISION_STAFF"] = frozenset(STAFF)
ISSUABLE = ("in_progress", "findings_issued")  # a round takes findings while it is carried out
FORM_TITLES = {**EVENT_LABELS, "plan": "制定督导计划", "issue": "下达整改通知", "assess": "记录舆情评估",
               "approve": "审批公开", "publish": "公开督导结果"}


def _list_page(request: Request, actor: Actor, *, values: dict | None = None, targets: list[str] | None = None,
               errors: dict | None = None, status: int = 200) -> Response:
    """The rounds (newest first) and the plan form, with what was typed and the errors beside the fields."""
    with request.app.state.runtime.read(actor) as ctx:
        rounds = list(ctx.session.exec(select(SupervisionRound).order_by(SupervisionRound.id.desc())))
        context = {"rows": round_rows(ctx, rounds), "choices": target_choices(ctx)}
        year = ctx.now.astimezone(SHANGHAI).year
    return render(request, "supervision_list.html", {
        **context, "can_plan": actor.role in SUPERVISORS, "values": values or {"year": str(year)},
        "chosen": targets or [], "errors": errors or {}, "years": range(year - 1, year + 2),
    }, status=status)


@router.get("/supervision")
def round_list(request: Request, actor: Actor = Depends(staff_actor)) -> Response:
    """督导整改: the rounds with their open and overdue findings, and the plan form."""
    return _list_page(request, actor)


@router.post("/supervision/rounds")
async def plan(request: Request, actor: Actor = Depends(staff_actor)) -> Response:
    """制定督导计划; a refused plan comes back with the Chinese errors and nothing written."""
    posted = await request.form()
    form = {key: value for key, value in posted.items() if isinstance(value, str)}
    chosen = [value for value in posted.getlist("targets") if isinstance(value, str)]
    try:
        data = RoundCreate.model_validate(round_input(form, chosen))
        with request.app.state.runtime.write(actor) as ctx:
            rnd = sv.plan_round(ctx, data)
    except (ValidationError, ServiceError) as exc:
        status, message, errors = failure(exc, FORM_TITLES["plan"])
        return _list_page(request, actor, values=form, targets=chosen, errors=errors or {"_form": message},
                          status=status)
    return redirect(f"/supervision/rounds/{rnd.id}")


def detail_view(ctx: Context, round_id: int) -> dict:
    """Everything the round's page shows; which forms depend on the role and the round's state."""
    rnd = sv.load_round(ctx, round_id)
    view = reports.round_public(ctx, rnd)
    supervises = ctx.actor.role in SUPERVISORS
    return {
        "rnd": view, "report_number": rnd.report_number, "findings": finding_rows(ctx, round_id=rnd.id),
        "forms": event_forms(view.allowed_events), "history": history(ctx, sv.ROUND, rnd.id),
        "can_issue": supervises and rnd.status in ISSUABLE, "can_assess": supervises,
        "can_approve": ctx.actor.role == Role.HEAD and not view.publish_approved,
        "can_publish": supervises and view.published_at is None, "has_report": rnd.status != "planned",
        "deadline_choices": DEADLINE_CHOICES,
    }


def render_detail(request: Request, actor: Actor, round_id: int, *, status: int = 200, **extra) -> Response:
    """The round's page; `extra` may carry a message and one form's errors and typed values."""
    with request.app.state.runtime.read(actor) as ctx:
        view = detail_view(ctx, round_id)
    context = {"message": None, "errors": {}, "values": {}, **view, **extra}
    return render(request, "supervision_round.html", context, status=status)


@router.get("/supervision/rounds/{round_id}")
def round_detail(request: Request, round_id: int, actor: Actor = Depends(staff_actor)) -> Response:
    return render_detail(request, actor, round_id)


def _act(request: Request, actor: Actor, round_id: int, form_id: str, form: dict,
         action: Callable[[Context], object]) -> Response:
    """Run one form's use case; back to the round on success, else the page again with the reason."""
    try:
        with request.app.state.runtime.write(actor) as ctx:
            action(ctx)
    except (ValidationError, ServiceError) as exc:
        status, message, errors = failure(exc, FORM_TITLES.get(form_id, "操作"))
        return render_detail(request, actor, round_id, status=status, message=message,
                             errors={form_id: errors} if errors else {}, values={form_id: form})
    return redirect(f"/supervision/rounds/{round_id}")


@router.post("/supervision/rounds/{round_id}/transition")
def transition(request: Request, round_id: int, form: dict[str, str] = Depends(form_data),
               actor: Actor = Depends(staff_actor)) -> Response:
    """开始督导、反馈督导意见、书面报告市政府、结束; a refused one names what is allowed now."""
    return _act(request, actor, round_id, form.get("event", ""), form, lambda ctx: sv.transition_round(
        ctx, round_id, EventIn.model_validate(event_input(form))))


@router.post("/supervision/rounds/{round_id}/findings")
def issue(request: Request, round_id: int, form: dict[str, str] = Depends(form_data),
          actor: Actor = Depends(staff_actor)) -> Response:
    """下达整改通知: a finding on one target with its rectification deadline."""
    return _act(request, actor, round_id, "issue", form, lambda ctx: sv.issue_finding(
        ctx, round_id, FindingCreate.model_validate(finding_input(form))))


@router.post("/supervision/rounds/{round_id}/assessment")
def assess(request: Request, round_id: int, form: dict[str, str] = Depends(form_data),
           actor: Actor = Depends(staff_actor)) -> Response:
    """记录舆情评估 (a new one needs approving again)."""
    return _act(request, actor, round_id, "assess", form, lambda ctx: reports.record_assessment(
        ctx, round_id, TextIn.model_validate({"text": form.get("text", "")}).text))


@router.post("/supervision/rounds/{round_id}/approval")
def approve(request: Request, round_id: int, actor: Actor = Depends(staff_actor)) -> Response:
    """审批公开 (the head, after the assessment)."""
    return _act(request, actor, round_id, "approve", {}, lambda ctx: reports.approve_publication(ctx, round_id))


@router.post("/supervision/rounds/{round_id}/publish")
def publish(request: Request, round_id: int, actor: Actor = Depends(staff_actor)) -> Response:
    """公开督导结果: refused, with the reason, without the assessment and the approval."""
    return _act(request, actor, round_id, "publish", {}, lambda ctx: reports.publish(ctx, round_id))
