"""The tip detail's referral section (移送情况) and its 提请移送 form (one referral per chosen department)."""
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import Session, select

from api.deps import actor_of
from api.errors import status_of
from api.pages.common import PageRoute, extends, office_actor, redirect
from api.pages.detail import render_detail
from api.pages.forms import translate
from api.pages.referral_views import referral_row
from domain.models import Department
from domain.referral_models import Referral
from domain.referral_schemas import ReferralCreate
from domain.schemas import TipPublic
from services.context import Actor
from services.errors import InvalidInput, NotFound, ServiceError
from services.referral_queries import list_referrals
from services.referrals import NOT_REFERABLE_KINDS, PROPOSE_ROLES, REFERABLE_TIP_STATES, propose_referrals

router = APIRouter(route_class=PageRoute, include_in_schema=False)
FORM_ID = "propose"
TEXT_FIELDS = ("summary", "suspected_offence", "amount")


def referable_departments(session: Session, tip_id: int) -> list[dict]:
    """Departments a matter may be referred to; those with an unfinished referral of this tip are marked busy."""
    query = select(Department).where(Department.kind.not_in(NOT_REFERABLE_KINDS)).order_by(Department.id)
    busy = set(session.exec(select(Referral.department_id).where(Referral.tip_id == tip_id,
                                                                 Referral.status != "closed")))
    return [{"id": d.id, "name": d.name, "busy": d.id in busy} for d in session.exec(query)]


@extends("tip_detail.html")
def referral_section(request: Request, context: dict) -> dict:
    """Every referral of the tip at a glance, and whether (and to whom) this user may propose one."""
    tip: TipPublic = context["tip"]
    user = getattr(request.state, "user", None)
    if user is None:
        return {"referrals": [], "can_propose": False, "departments": []}
    actor = actor_of(user)
    with request.app.state.runtime.read(actor) as ctx:
        rows = [referral_row(ctx, r) for r in list_referrals(ctx, tip_id=tip.id)]
        can_propose = actor.role in PROPOSE_ROLES and tip.status in REFERABLE_TIP_STATES
        departments = referable_departments(ctx.session, tip.id) if can_propose else []
    return {"referrals": rows, "can_propose": can_propose, "departments": departments}


async def proposal_form(request: Request) -> dict:
    """The posted proposal: the checked departments (a list) and the text fields."""
    form = await request.form()
    values: dict = {key: value for key in TEXT_FIELDS if isinstance(value := form.get(key), str)}
    values["department_ids"] = [v for v in form.getlist("department_ids") if isinstance(v, str)]
    return values


def proposal_input(values: dict) -> dict:
    """ReferralCreate's input: blank text fields left out, department ids as given."""
    data = {key: text for key in TEXT_FIELDS if (text := (values.get(key) or "").strip())}
    if values["department_ids"]:
        data["department_ids"] = values["department_ids"]
    return data


def refused(request: Request, actor: Actor, tip_id: int, values: dict, exc: ServiceError | ValidationError):
    """The tip detail again with the proposal's errors beside its fields and what was typed."""
    if isinstance(exc, (ValidationError, InvalidInput)):
        errors = translate(exc) if isinstance(exc, ValidationError) else {exc.field: exc.message}
        if "department_ids" in errors and not values["department_ids"]:
            errors["department_ids"] = "请至少选择一个移送部门"
        message = "“提请移送”未能提交：" + "；".join(errors.values())
        return render_detail(request, actor, tip_id, status=422, message=message,
                             errors={FORM_ID: errors}, values={FORM_ID: values})
    return render_detail(request, actor, tip_id, status=status_of(exc), message=exc.message,
                         values={FORM_ID: values})


@router.post("/tips/{tip_id}/referrals")
async def propose(request: Request, tip_id: int, actor: Actor = Depends(office_actor)) -> Response:
    """提请移送: one referral per checked department, each awaiting the head's approval."""
    values = await proposal_form(request)
    try:
        data = ReferralCreate.model_validate(proposal_input(values))
        with request.app.state.runtime.write(actor) as ctx:
            propose_referrals(ctx, tip_id, data)
    except NotFound:
        raise
    except (ValidationError, ServiceError) as exc:
        return refused(request, actor, tip_id, values, exc)
    return redirect(f"/tips/{tip_id}#referrals")
