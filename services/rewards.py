"""Reward use cases (举报奖励): propose (eligibility + formula), approve within the budget, notice, claim,
pay, waive, lapse, recover. One transaction each: role, version and state checked, audited, clocks moved."""
from datetime import datetime, time
from decimal import Decimal

from sqlmodel import select

from documents.render import document_number
from domain.calendar import SHANGHAI
from domain.enums import ROLE_LABELS, DeadlineStatus, Finding, Role
from domain.models import Deadline, ReporterIdentity, Tip
from domain.reward_models import ClaimantIdentity, Reward, RewardProposalIn, RewardTransitionIn
from domain.reward_policy import RewardSettings, Scheme, compute
from services import audit
from services import reward_queries as q
from services.authz import require_role
from services.context import Context
from services.deadlines import close_deadlines, start_deadline
from services.errors import Forbidden, InvalidInput, NotFound, TransitionRefused
from services.lifecycle import check_version, move, moving
from services.numbers import next_number
from services.receipts import receipt_matches
from services.subjects import SubjectInfo
from states.reward import EVENT_LABELS, EVENT_ROLES, FINAL_STATUSES, STATE_LABELS, RewardMachine

SUBJECT = q.SUBJECT
RAW_PLACES = Decimal("0.000001")
PROPOSE_ROLES = {Role.INVESTIGATOR, Role.SECTION_CHIEF}
CONCLUDED = {"concluded", "reporter_notified", "closed"}
SUBSTANTIATED = {Finding.SUBSTANTIATED.value, Finding.PARTLY_SUBSTANTIATED.value}
REQUIRED = {  # event -> (field, Chinese message)
    "reject": ("reason", "请填写不予批准的理由"), "waive": ("reason", "请填写举报人书面放弃声明的要点"),
    "claim": ("claimant", "请填写领奖人身份和收款账户"), "pay": ("bank_transfer_ref", "请填写银行转账流水号"),
    "order_recovery": ("reason", "请填写责令退回的事实和理由"), "recover": ("recovery_ref", "请填写追回款缴款凭证号"),
}
STAMPS = {"pay": "paid_at", "waive": "waived_at", "lapse": "lapsed_at", "order_recovery": "recovery_ordered_at",
          "recover": "recovered_at"}


class BudgetExceeded(TransitionRefused):
    """An approval would take the office over its year's reward budget."""

    code = "budget_exceeded"


def refusal_grounds(tip: Tip, data: RewardProposalIn, settings: RewardSettings, basis) -> list[str]:
    """Every eligibility condition the proposal fails, in the order they are checked."""
    scheme = settings.scheme
    checks = (
        ("not_substantiated", tip.finding not in SUBSTANTIATED), ("reward_declined", not data.wants_reward),
        ("office_staff", data.reporter_is_staff), ("offender_confessing", data.offender_confessing),
        ("facts_already_known", data.facts_already_known),
        ("reporter_kind", data.reporter_kind not in settings.eligible_reporters),
        ("not_first_reporter", tip.duplicate_of_id is not None and settings.duplicate_policy == "FIRST_ONLY"),
        ("no_loss", basis == 0 and scheme.loss_required and scheme.no_loss_fixed_amount is None),
    )
    return [ground for ground, failed in checks if failed]


def _option(scheme: Scheme, key: str | None, needed: bool) -> str | None:
    if key is None and scheme.choose_by == "none":
        return next(iter(scheme.options))
    if key in scheme.options or (key is None and not needed):
        return key
    names = "、".join(f"{k}（{o.label}）" for k, o in scheme.options.items())
    raise InvalidInput("option", f"请选择奖励档次：{names}")


def _basis(tip: Tip, data: RewardProposalIn):
    confirmed = tip.amount_confirmed or q.ZERO
    if data.basis is not None and data.basis > confirmed:
        raise InvalidInput("basis", f"案值不能大于查实金额 {confirmed} 元")
    return confirmed if data.basis is None else data.basis


def _proposable_tip(ctx: Context, tip_id: int) -> Tip:
    tip = ctx.session.get(Tip, tip_id)
    if tip is None:
        raise NotFound(f"举报 {tip_id} 不存在")
    if tip.status not in CONCLUDED:
        raise InvalidInput("tip_id", "举报办结后才能审查举报奖励")
    existing = ctx.session.exec(select(Reward.number).where(Reward.tip_id == tip.id)).first()
    if existing is not None:
        raise InvalidInput("tip_id", f"该举报已有奖励记录 {existing}")
    return tip


def propose_reward(ctx: Context, tip_id: int, data: RewardProposalIn) -> Reward:
    """资格审查并拟定奖励: the eligibility outcome (with its ground) or the formula's amount, awaiting approval."""
    require_role(ctx, PROPOSE_ROLES, action="拟定举报奖励")
    settings, tip = q.settings_of(ctx), _proposable_tip(ctx, tip_id)
    basis = _basis(tip, data)
    grounds = refusal_grounds(tip, data, settings, basis)
    option = _option(settings.scheme, data.option, needed=not grounds)
    discretionary = not grounds and tip.duplicate_of_id is not None
    if discretionary and not data.reason:
        raise InvalidInput("reason", "奖励非首位举报人须说明理由（由审批人酌定）")
    reward = _new_reward(ctx, tip, data, settings, basis, option)
    reward.refusal_ground, reward.discretionary = (grounds[0] if grounds else None), discretionary
    if not grounds:
        _apply_quote(reward, settings.scheme, option, basis, data.insider)
    move(reward, RewardMachine, "refuse" if grounds else "propose", state_labels=STATE_LABELS,
         event_labels=EVENT_LABELS)
    ctx.session.add(reward)
    ctx.session.flush()
    audit.record(ctx, subject_type=SUBJECT, subject_id=reward.id, action="refuse" if grounds else "propose",
                 from_state="eligibility_review", to_state=reward.status, reason=data.reason,
                 detail={"tip": tip.number, "grounds": grounds, "amount": str(reward.amount), "basis": str(basis)})
    audit.record(ctx, subject_type="tip", subject_id=tip.id, action="reward_reviewed",
                 detail={"reward": reward.number, "eligible": not grounds})
    close_deadlines(ctx, subject_type="tip", subject_id=tip.id, kinds={"reward_decision"})
    return reward


def _new_reward(ctx: Context, tip: Tip, data: RewardProposalIn, settings: RewardSettings, basis, option) -> Reward:
    year, scheme = q.year_of(ctx.now), settings.scheme
    serial = next_number(ctx.session, key="reward", year=year)
    return Reward(
        tip_id=tip.id, department_id=q.office_id(ctx), status="eligibility_review",
        number=document_number(ctx.policy.document_prefix, "奖", year, serial),
        reporter_kind=data.reporter_kind, reporter_is_staff=data.reporter_is_staff,
        offender_confessing=data.offender_confessing, facts_already_known=data.facts_already_known,
        wants_reward=data.wants_reward, first_reporter=tip.duplicate_of_id is None, scheme_name=scheme.name,
        scheme_label=scheme.label, option_key=option, insider=data.insider, basis=basis, raw_amount=q.ZERO,
        option_label=scheme.options[option].label if option else None, floor=q.ZERO, cap=q.ZERO, amount=q.ZERO,
        approval_chain=list(settings.approval_chain), approvals=[], proposed_by=ctx.actor.id, proposed_at=ctx.now,
    )


def _apply_quote(reward: Reward, scheme: Scheme, option: str, basis, insider: bool) -> None:
    quote = compute(scheme, option, basis, insider=insider)
    reward.amount, reward.floor, reward.cap = quote.amount, quote.floor, quote.cap
    reward.raw_amount, reward.breakdown = quote.raw.quantize(RAW_PLACES), list(quote.lines)


def transition_reward(ctx: Context, reward_id: int, data: RewardTransitionIn) -> Reward:
    """Send one lifecycle event: role, version, state, turn and budget checked; audit and clocks in one commit."""
    if data.event not in EVENT_ROLES or data.event in q.MANUAL_EVENTS:
        names = ", ".join(e for e in EVENT_ROLES if e not in q.MANUAL_EVENTS)
        raise InvalidInput("event", f"未知的操作“{data.event}”，可用操作：{names}")
    require_role(ctx, EVENT_ROLES[data.event], action=EVENT_LABELS[data.event])
    reward = _load_for_update(ctx, reward_id)
    if reward is None:
        raise NotFound(f"奖励 {reward_id} 不存在")
    check_version(reward, data.expected_version)
    return _advance(ctx, reward, data)


def _load_for_update(ctx: Context, reward_id: int, *, skip_locked: bool = False) -> Reward | None:
    query = select(Reward).where(Reward.id == reward_id).with_for_update(skip_locked=skip_locked)
    return ctx.session.exec(query).first()


def _advance(ctx: Context, reward: Reward, data: RewardTransitionIn) -> Reward:
    from_state = reward.status
    with moving(reward, RewardMachine, data.event, state_labels=STATE_LABELS, event_labels=EVENT_LABELS) as machine:
        _check(ctx, reward, data, machine)
    detail = _apply(ctx, reward, data)
    reward.version += 1
    audit.record(ctx, subject_type=SUBJECT, subject_id=reward.id, action=data.event, from_state=from_state,
                 to_state=reward.status, reason=data.reason, detail=detail)
    _clocks(ctx, reward, data.event)
    return reward


def _refuse(machine: RewardMachine, reward: Reward, event: str, message: str, kind=TransitionRefused):
    allowed = [e for e in machine.enabled_event_ids() if e != event]
    return kind(event, reward.status, allowed, message)


def _check(ctx: Context, reward: Reward, data: RewardTransitionIn, machine: RewardMachine) -> None:
    """What the event needs besides its state: filled fields, the approver's turn, budget, the window."""
    if data.event in REQUIRED and not getattr(data, REQUIRED[data.event][0]):
        raise InvalidInput(*REQUIRED[data.event])
    if data.event in ("approve", "reject"):
        _check_turn(ctx, reward)
    if data.event == "approve":
        _check_budget(ctx, reward, machine)
    window_open = reward.claim_due_at is None or ctx.now < reward.claim_due_at
    if data.event == "claim" and not window_open:
        raise _refuse(machine, reward, "claim", f"领取期限已于 {reward.claim_last_day} 届满，视为放弃奖励")
    if data.event == "lapse" and window_open:
        raise _refuse(machine, reward, "lapse", f"领取期限至 {reward.claim_last_day} 尚未届满")


def _check_turn(ctx: Context, reward: Reward) -> None:
    turn = q.next_approver(reward)
    if ctx.actor.role != turn:
        raise Forbidden(f"当前应由{ROLE_LABELS[Role(turn)]}审批")
    if any(a["user_id"] == ctx.actor.id for a in reward.approvals):
        raise Forbidden("同一人不能在审批链中重复审批")


def _check_budget(ctx: Context, reward: Reward, machine: RewardMachine) -> None:
    """Refuse an approval that would take the office over the year's budget (the row is locked)."""
    settings, year = q.settings_of(ctx), q.year_of(ctx.now)
    q.lock_budget(ctx, reward.department_id, year, settings.annual_budget)
    line = q.budget_line(ctx.session, reward.department_id, year, settings.annual_budget)
    if reward.amount > line.available:
        raise _refuse(machine, reward, "approve", (
            f"超出{year}年度举报奖励预算，不能审批：预算 {line.budgeted} 元，已承诺 {line.committed} 元，"
            f"已发放 {line.paid} 元，可用 {line.available} 元，本笔奖励 {reward.amount} 元"), BudgetExceeded)


def _apply(ctx: Context, reward: Reward, data: RewardTransitionIn) -> dict:
    """Store what the event carries; returns the audit detail (never an identity)."""
    event = data.event
    if event in STAMPS:
        setattr(reward, STAMPS[event], ctx.now)
    if event in ("approve", "reject"):
        reward.approvals = [*reward.approvals, {"role": ctx.actor.role.value, "user_id": ctx.actor.id,
                                                "name": ctx.actor.name, "at": ctx.now.isoformat(),
                                                "decision": event, "opinion": data.reason}]
        if reward.status == "approved":
            reward.approved_at, reward.budget_year = ctx.now, q.year_of(ctx.now)
    elif event == "issue_notice":
        _issue_notice(ctx, reward, data)
    elif event == "claim":
        _record_claim(ctx, reward, data)
    elif event == "pay":
        reward.bank_transfer_ref, reward.paid_by = data.bank_transfer_ref, ctx.actor.id
    elif event == "recover":
        reward.recovery_ref = data.recovery_ref
    fields = ("amount", "budget_year", "notice_number", "claim_last_day", "bank_transfer_ref", "recovery_ref")
    return {k: str(v) for k in fields if (v := getattr(reward, k)) is not None}


def _issue_notice(ctx: Context, reward: Reward, data: RewardTransitionIn) -> None:
    today = ctx.now.astimezone(SHANGHAI).date()
    received = data.notice_received_on or today
    if not reward.approved_at.astimezone(SHANGHAI).date() <= received <= today:
        raise InvalidInput("notice_received_on", "送达日期须在批准之后、且不晚于今天")
    year = q.year_of(ctx.now)
    reward.notice_number = document_number(ctx.policy.document_prefix, "奖领", year,
                                           next_number(ctx.session, key="reward_notice", year=year))
    reward.notice_issued_at, reward.notice_received_on = ctx.now, received


def _record_claim(ctx: Context, reward: Reward, data: RewardTransitionIn) -> None:
    """Identity verified at the desk; the claimant's identity and account are sealed."""
    claimant, tip = data.claimant, ctx.session.get(Tip, reward.tip_id)
    if not claimant.identity_verified:
        raise InvalidInput("claimant.identity_verified", "须当场核验领奖人有效身份证件")
    if tip.anonymous:
        if not claimant.receipt_code or not receipt_matches(tip, claimant.receipt_code):
            raise InvalidInput("claimant.receipt_code", "查询码与该举报不符，不能确认领奖人为举报人")
    else:
        _match_reporter(ctx.session.get(ReporterIdentity, tip.id), claimant)
    sealed = claimant.model_dump(exclude={"identity_verified", "receipt_code", "power_of_attorney"})
    ctx.session.add(ClaimantIdentity.sealing(reward_id=reward.id, verified_by=ctx.actor.id, verified_at=ctx.now,
                                             **sealed))
    reward.claimed_at, reward.claim_verified_by = ctx.now, ctx.actor.id
    reward.by_proxy = claimant.proxy_name is not None


def _match_reporter(identity: ReporterIdentity | None, claimant) -> None:
    """A real-name reward goes to the registered reporter: ID number (or name, if none was given) must match."""
    if identity is None:
        raise InvalidInput("claimant", "未找到举报人登记身份，不能核验")
    if identity.id_number and identity.id_number.upper() != claimant.id_number.upper():
        raise InvalidInput("claimant.id_number", "领奖人身份证号与举报登记信息不一致")
    if not identity.id_number and identity.name != claimant.name:
        raise InvalidInput("claimant.name", "领奖人姓名与举报人登记姓名不一致")


def _clocks(ctx: Context, reward: Reward, event: str) -> None:
    """Stop and start the reward's clocks; a final state cancels whatever is still open."""
    where = {"subject_type": SUBJECT, "subject_id": reward.id}
    claim_kind = q.settings_of(ctx).claim_deadline
    if reward.status in FINAL_STATUSES:
        close_deadlines(ctx, **where, status=DeadlineStatus.CANCELLED)
        return
    stops = {"issue_notice": {"reward_notice"}, "claim": {claim_kind}, "pay": {"reward_payment"}}
    close_deadlines(ctx, **where, kinds=stops.get(event, set()))
    if event == "approve" and reward.status == "approved":
        start_deadline(ctx, **where, kind="reward_notice")
    elif event == "issue_notice":
        start = datetime.combine(reward.notice_received_on, time(), tzinfo=SHANGHAI)
        window = start_deadline(ctx, **where, kind=claim_kind, start=start)
        reward.claim_last_day, reward.claim_due_at = window.last_day, window.due_at
    elif event == "claim":
        start_deadline(ctx, **where, kind="reward_payment")


def lapse_on_expiry(ctx: Context, deadline: Deadline) -> None:
    """The sweep's action when the claim window has passed: the reward lapses (deemed waived)."""
    reward = _load_for_update(ctx, deadline.subject_id, skip_locked=True)
    if reward is None or reward.status != "claim_notice_issued":
        return  # claimed, waived, or being changed right now (a chief may lapse it by hand later)
    _advance(ctx, reward, RewardTransitionIn(event="lapse", expected_version=reward.version,
                                             reason="领取期限届满未领取，视为放弃"))


def describe_reward(session, subject_id: int) -> SubjectInfo | None:
    """For the sweep: the reward's number and stage; 'handler' is whoever proposed it."""
    reward = session.get(Reward, subject_id)
    if reward is None:
        return None
    return SubjectInfo(reward.number, STATE_LABELS[reward.status], reward.proposed_by, None,
                       closed=reward.status in FINAL_STATUSES)
