"""Reporter rewards (举报奖励): propose, list, read, transitions, budget, documents, the receipt-code view."""
import logging
from collections.abc import Callable

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import OFFICE_ROLES, allow, get_runtime
from api.guards import client_key
from domain.reward_models import (
    BudgetIn, BudgetPublic, ClaimantPublic, RewardPage, RewardProposalIn, RewardPublic, RewardStatusPublic,
    RewardTransitionIn,
)
from domain.schemas import AuditPublic
from services import reward_queries as q
from services.context import SYSTEM, Actor
from services.errors import NotFound
from services.rewards import propose_reward, transition_reward
from services.runtime import Runtime
from states.reward import STATE_LABELS

router = APIRouter(tags=["rewards"])
office = allow(*OFFICE_ROLES)
Year = Path(ge=2000, le=2100)
RECEIPT = Header(min_length=16, max_length=40, description="the receipt code given at registration")
log = logging.getLogger("fundwatch.public")


@router.post("/tips/{tip_id}/reward-proposal", response_model=RewardPublic, status_code=201)
def propose(tip_id: int, body: RewardProposalIn, actor: Actor = Depends(office),
            runtime: Runtime = Depends(get_runtime)):
    """资格审查并拟定奖励: 201 with the proposal, or with status not_eligible and its ground."""
    with runtime.write(actor) as ctx:
        return q.reward_public(ctx, propose_reward(ctx, tip_id, body))


@router.get("/rewards", response_model=RewardPage)
def list_rewards(
    status: str | None = Query(default=None, description=f"one of {list(STATE_LABELS)}"),
    tip_id: int | None = Query(default=None, gt=0),
    offset: int = Query(default=0, ge=0), limit: int = Query(default=50, ge=1, le=200),
    actor: Actor = Depends(office), runtime: Runtime = Depends(get_runtime),
):
    """Rewards, newest first, filtered by status or tip."""
    if status is not None and status not in STATE_LABELS:
        message = f"status must be one of {list(STATE_LABELS)}"
        raise HTTPException(422, detail=[{"loc": ["query", "status"], "msg": message, "type": "value_error"}])
    with runtime.read(actor) as ctx:
        return q.list_rewards(ctx, status=status, tip_id=tip_id, offset=offset, limit=limit)


@router.get("/rewards/budget", response_model=BudgetPublic)
def budget(year: int | None = Query(default=None, ge=2000, le=2100), actor: Actor = Depends(office),
           runtime: Runtime = Depends(get_runtime)):
    """The office's reward budget for a year (default: this year): budgeted, committed, paid, available."""
    with runtime.read(actor) as ctx:
        settings = q.settings_of(ctx)
        return q.budget_line(ctx.session, q.office_id(ctx), year or q.year_of(ctx.now), settings.annual_budget)


@router.put("/rewards/budget/{year}", response_model=BudgetPublic)
def set_budget(body: BudgetIn, year: int = Year, actor: Actor = Depends(office),
               runtime: Runtime = Depends(get_runtime)):
    """Set the office's reward budget for the year (head or admin); never below committed + paid."""
    with runtime.write(actor) as ctx:
        return q.set_budget(ctx, year, body)


@router.get("/rewards/{reward_id}", response_model=RewardPublic)
def get_reward(reward_id: int, actor: Actor = Depends(office), runtime: Runtime = Depends(get_runtime)):
    """One reward with its clocks and the events the caller may send now."""
    with runtime.read(actor) as ctx:
        return q.reward_public(ctx, q.get_reward(ctx.session, reward_id))


@router.get("/rewards/{reward_id}/history", response_model=list[AuditPublic])
def history(reward_id: int, actor: Actor = Depends(office), runtime: Runtime = Depends(get_runtime)):
    """The reward's audit trail."""
    with runtime.read(actor) as ctx:
        q.get_reward(ctx.session, reward_id)
        return q.reward_history(ctx.session, reward_id)


@router.post("/rewards/{reward_id}/transitions", response_model=RewardPublic)
def transition(reward_id: int, body: RewardTransitionIn, actor: Actor = Depends(office),
               runtime: Runtime = Depends(get_runtime)):
    """Send a lifecycle event; 409 lists the events allowed now, gives the current version, or the budget."""
    with runtime.write(actor) as ctx:
        return q.reward_public(ctx, transition_reward(ctx, reward_id, body))


@router.post("/rewards/{reward_id}/claimant", response_model=ClaimantPublic)
def claimant(reward_id: int, reason: str = Body(embed=True, max_length=1000), actor: Actor = Depends(office),
             runtime: Runtime = Depends(get_runtime)):
    """The sealed claimant identity and account, for the policy's readers; the read is audited."""
    with runtime.write(actor) as ctx:
        return ClaimantPublic.model_validate(q.read_claimant(ctx, reward_id, reason=reason), from_attributes=True)


@router.get("/rewards/{reward_id}/approval-form", response_class=HTMLResponse)
def approval_form(reward_id: int, actor: Actor = Depends(office), runtime: Runtime = Depends(get_runtime)):
    """举报奖励审批表 (never the reporter's identity)."""
    with runtime.read(actor) as ctx:
        return HTMLResponse(q.approval_form_html(ctx, q.get_reward(ctx.session, reward_id)))


@router.get("/rewards/{reward_id}/claim-notice", response_class=HTMLResponse)
def claim_notice(reward_id: int, actor: Actor = Depends(office), runtime: Runtime = Depends(get_runtime)):
    """举报奖励领取通知书; naming a real-name reporter is an identity read, so it is audited."""
    with runtime.write(actor) as ctx:
        return HTMLResponse(q.claim_notice_html(ctx, q.get_reward(ctx.session, reward_id)))


def _by_receipt(request: Request, runtime: Runtime, answer: Callable):
    """Receipt-code look-ups share the tips' rate limits; a failure is logged without the code."""
    if not request.app.state.limits.allow_receipt_lookup(request):
        raise HTTPException(status_code=429, detail="查询过于频繁，请稍后再试")
    try:
        with runtime.read(SYSTEM) as ctx:
            return answer(ctx)
    except NotFound:
        log.warning("reward receipt-code look-up failed from %s", client_key(request))
        raise


@router.get("/public/rewards/status", response_model=RewardStatusPublic)
def public_status(request: Request, x_receipt_code: str = RECEIPT, runtime: Runtime = Depends(get_runtime)):
    """For an anonymous reporter: the claim notice, once issued (the code travels in a header, not the URL)."""
    return _by_receipt(request, runtime, lambda ctx: q.status_by_receipt(ctx, x_receipt_code))


@router.get("/public/rewards/claim-notice", response_class=HTMLResponse)
def public_claim_notice(request: Request, x_receipt_code: str = RECEIPT, runtime: Runtime = Depends(get_runtime)):
    """The printable claim notice for the holder of the receipt code."""
    return HTMLResponse(_by_receipt(request, runtime, lambda ctx: q.notice_by_receipt(ctx, x_receipt_code)))
