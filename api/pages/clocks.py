"""中止 / 恢复 a legal clock from the deadlines table of a tip or a referral (section chief, head)."""
from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.errors import status_of
from api.pages import detail, referrals
from api.pages.common import PageRoute, form_data, office_actor, redirect
from domain.models import Deadline
from services import clock_control
from services.context import Actor, Context
from services.errors import Forbidden, InvalidInput, NotFound, TransitionRefused
from services.referrals import load_visible

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Action = Literal["pause", "resume"]
PAGES = {"tip": ("/tips/{}", detail.render_detail), "referral": ("/referrals/{}", referrals.render_detail)}
TITLES = {"pause": "中止期限", "resume": "恢复期限"}


def _check_subject(ctx: Context, subject_type: str, subject_id: int, deadline_id: int) -> None:
    """The deadline must belong to the page's subject (and a referral be visible), else 404."""
    if subject_type == "referral":
        load_visible(ctx, subject_id)
    deadline = ctx.session.get(Deadline, deadline_id)
    if deadline is None or (deadline.subject_type, deadline.subject_id) != (subject_type, subject_id):
        raise NotFound(f"期限 {deadline_id} 不存在")


def switch_clock(request: Request, actor: Actor, subject: tuple[str, int], deadline_id: int, action: Action,
                 form: dict[str, str]) -> Response:
    """Pause or resume; back to the subject's page, or the page again with the refusal beside the form."""
    (subject_type, subject_id), (url, render_page) = subject, PAGES[subject[0]]
    try:
        with request.app.state.runtime.write(actor) as ctx:
            _check_subject(ctx, subject_type, subject_id, deadline_id)
            getattr(clock_control, action)(ctx, deadline_id, reason=form.get("reason"))
    except (InvalidInput, TransitionRefused, Forbidden) as exc:
        form_id = f"clock-{deadline_id}"
        errors = {form_id: {exc.field: exc.message}} if isinstance(exc, InvalidInput) else {}
        return render_page(request, actor, subject_id, status=status_of(exc), errors=errors,
                           message=f"“{TITLES[action]}”未能提交：{exc.message}", values={form_id: form})
    return redirect(url.format(subject_id))


@router.post("/tips/{tip_id}/deadlines/{deadline_id}/{action}")
def tip_clock(request: Request, tip_id: int, deadline_id: int, action: Action,
              form: dict[str, str] = Depends(form_data), actor: Actor = Depends(office_actor)) -> Response:
    """中止 or 恢复 one of the tip's deadlines."""
    return switch_clock(request, actor, ("tip", tip_id), deadline_id, action, form)


@router.post("/referrals/{referral_id}/deadlines/{deadline_id}/{action}")
def referral_clock(request: Request, referral_id: int, deadline_id: int, action: Action,
                   form: dict[str, str] = Depends(form_data), actor: Actor = Depends(office_actor)) -> Response:
    """中止 or 恢复 one of the referral's deadlines."""
    return switch_clock(request, actor, ("referral", referral_id), deadline_id, action, form)
