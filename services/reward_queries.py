"""Read side of rewards and the budget: views, documents, the receipt-code look-up, the sealed claimant
identity (audited reads), and setting the year's budget."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from documents.render import render_document
from domain.calendar import SHANGHAI
from domain.enums import FINDING_LABELS, ROLE_LABELS, Finding, Role
from domain.models import AuditEntry, Department, Deadline, Institution, ReporterIdentity, Tip
from domain.reward_models import (
    BudgetIn, BudgetPublic, ClaimantIdentity, Reward, RewardBudget, RewardPage, RewardPublic, RewardStatusPublic,
)
from domain.reward_policy import CHOOSE_BY, RewardSettings, reward_settings
from domain.schemas import AuditPublic
from services import audit
from services.authz import require_role
from services.context import Actor, Context
from services.errors import Forbidden, InvalidInput, NotFound
from services.receipts import tip_by_receipt
from services.tip_queries import deadline_public
from states.binding import enabled_events
from states.reward import EVENT_ROLES, STATE_LABELS, RewardMachine

SUBJECT = "reward"
ZERO, CENTS = Decimal("0.00"), Decimal("0.01")
COMMITTED = ("approved", "claim_notice_issued", "claimed")   # approved, money not yet out
PAID = ("paid", "recovery_ordered")                          # money out (a recovered reward is returned)
VISIBLE_TO_CODE = ("claim_notice_issued", "claimed", "paid", "waived", "lapsed", "recovery_ordered", "recovered")
MANUAL_EVENTS = ("propose", "refuse")
BUDGET_ROLES = {Role.HEAD, Role.ADMIN}                        # sent only by the proposal use case
REFUSAL_LABELS = {
    "not_substantiated": "举报事项经查不属实", "reward_declined": "举报人不要求奖励",
    "office_staff": "举报人为医疗保障部门或受托监管机构工作人员",
    "offender_confessing": "违法行为人主动交代本人或同案人违法行为", "facts_already_known": "举报的主要事实、证据已被掌握",
    "reporter_kind": "举报人不属于本地奖励对象（按规定仅奖励自然人）", "not_first_reporter": "非同一事项的首位举报人",
    "no_loss": "未造成医保基金损失",
}
DOCUMENTS_NEEDED = ("领奖人本人有效身份证件原件", "收款银行账户（奖励以银行转账方式发放）",
                    "委托他人代领的：授权委托书及委托人、受托人有效身份证件")


def settings_of(ctx: Context) -> RewardSettings:
    """The policy's `[rewards]` section, validated."""
    return reward_settings(ctx.policy.raw, {role.value for role in Role}, {r.value for r in EVENT_ROLES["approve"]})


def _dec(value) -> Decimal:
    return ZERO if value is None else Decimal(str(value)).quantize(CENTS)


def office_id(ctx: Context) -> int:
    """The office whose budget pays: the actor's department, else the one office department."""
    if ctx.actor.department_id is not None:
        return ctx.actor.department_id
    found = ctx.session.exec(select(Department.id).where(Department.kind == "office")).first()
    if found is None:
        raise InvalidInput("department_id", "未登记本局（医疗保障局）部门，无法确定奖励预算")
    return found


def year_of(moment: datetime) -> int:
    """The budget year of a moment (Shanghai calendar year)."""
    return moment.astimezone(SHANGHAI).year


def budget_line(session: Session, department_id: int, year: int, default: Decimal) -> BudgetPublic:
    """Budgeted, committed and paid for one office and year."""
    row = session.exec(select(RewardBudget).where(RewardBudget.department_id == department_id,
                                                  RewardBudget.year == year)).first()
    query = (select(Reward.status, func.sum(Reward.amount))
             .where(Reward.department_id == department_id, Reward.budget_year == year,
                    Reward.status.in_(COMMITTED + PAID)).group_by(Reward.status))
    sums = {status: _dec(total) for status, total in session.exec(query).all()}
    committed = sum((sums.get(s, ZERO) for s in COMMITTED), ZERO)
    paid = sum((sums.get(s, ZERO) for s in PAID), ZERO)
    budgeted = _dec(row.budgeted if row else default)
    return BudgetPublic(year=year, department_id=department_id, budgeted=budgeted, committed=committed, paid=paid,
                        available=budgeted - committed - paid, set_by_policy=row is None or row.set_by_policy)


def lock_budget(ctx: Context, department_id: int, year: int, default: Decimal) -> RewardBudget:
    """The office's budget row for the year, created from the policy default, locked until commit."""
    query = select(RewardBudget).where(RewardBudget.department_id == department_id, RewardBudget.year == year)
    row = ctx.session.exec(query.with_for_update()).first()
    if row is not None:
        return row
    try:
        with ctx.session.begin_nested():
            ctx.session.add(RewardBudget(department_id=department_id, year=year, budgeted=default, updated_at=ctx.now))
    except IntegrityError:  # another transaction created it first (PostgreSQL)
        pass
    return ctx.session.exec(query.with_for_update()).one()


def next_approver(reward: Reward) -> str | None:
    """The role whose approval is awaited, or None."""
    done = len(reward.approvals)
    return reward.approval_chain[done] if reward.status == "proposed" and done < len(reward.approval_chain) else None


def allowed_events_for(reward: Reward, actor: Actor) -> list[str]:
    """Events this actor may send now: enabled, permitted to the role, and approving only in turn."""
    enabled = enabled_events(RewardMachine, reward)
    allowed = [e for e in enabled if e not in MANUAL_EVENTS and actor.role in EVENT_ROLES[e]]
    return [e for e in allowed if e not in ("approve", "reject") or actor.role == next_approver(reward)]


def reward_public(ctx: Context, reward: Reward) -> RewardPublic:
    """The reward as the API shows it (never with a reporter's or claimant's identity)."""
    tip = ctx.session.get(Tip, reward.tip_id)
    deadlines = ctx.session.exec(select(Deadline).where(Deadline.subject_type == SUBJECT,
                                                        Deadline.subject_id == reward.id).order_by(Deadline.id))
    return RewardPublic(
        **reward.model_dump(), tip_number=tip.number, status_label=STATE_LABELS[reward.status],
        refusal_label=REFUSAL_LABELS.get(reward.refusal_ground or ""), next_approver=next_approver(reward),
        deadlines=[deadline_public(d, policy=ctx.policy, calendar=ctx.calendar, now=ctx.now) for d in deadlines],
        allowed_events=allowed_events_for(reward, ctx.actor),
    )


def get_reward(session: Session, reward_id: int) -> Reward:
    """The reward, or NotFound."""
    reward = session.get(Reward, reward_id)
    if reward is None:
        raise NotFound(f"奖励 {reward_id} 不存在")
    return reward


def list_rewards(ctx: Context, *, status: str | None, tip_id: int | None, offset: int, limit: int) -> RewardPage:
    """Rewards matching the filters, newest first."""
    query = select(Reward)
    for column, value in ((Reward.status, status), (Reward.tip_id, tip_id)):
        if value is not None:
            query = query.where(column == value)
    total = ctx.session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = ctx.session.exec(query.order_by(Reward.id.desc()).offset(offset).limit(limit))
    return RewardPage(items=[reward_public(ctx, r) for r in rows], total=total, offset=offset, limit=limit)


def reward_history(session: Session, reward_id: int) -> list[AuditPublic]:
    """The reward's audit trail, oldest first (claimant-identity reads included, for auditors)."""
    query = select(AuditEntry).where(AuditEntry.subject_type == SUBJECT, AuditEntry.subject_id == reward_id)
    entries = session.exec(query.order_by(AuditEntry.id))
    return [AuditPublic.model_validate(row, from_attributes=True) for row in entries]


def _office_name(session: Session) -> str:
    return session.exec(select(Department.name).where(Department.kind == "office")).first() or "医疗保障局"


def approval_form_html(ctx: Context, reward: Reward) -> str:
    """举报奖励审批表: the matter, the formula, the first-reporter check, the budget line, approvals."""
    tip = ctx.session.get(Tip, reward.tip_id)
    settings = settings_of(ctx)
    year = reward.budget_year or year_of(ctx.now)
    later = ctx.session.exec(select(func.count()).select_from(Tip).where(Tip.duplicate_of_id == tip.id)).one()
    approvals = [{**a, "role_label": ROLE_LABELS[Role(a["role"])]} for a in reward.approvals]
    return render_document(
        "reward_approval_form.html.j2", reward=reward, tip=tip, office=_office_name(ctx.session),
        institution=ctx.session.get(Institution, tip.institution_id).name, status_label=STATE_LABELS[reward.status],
        finding_label=FINDING_LABELS[Finding(tip.finding)] if tip.finding else "—",
        refusal_label=REFUSAL_LABELS.get(reward.refusal_ground or ""), choose_by=CHOOSE_BY[settings.scheme.choose_by],
        later_reports=later, duplicate_policy=settings.duplicate_policy, approvals=approvals,
        pending=[ROLE_LABELS[Role(r)] for r in reward.approval_chain[len(reward.approvals):]],
        budget=budget_line(ctx.session, reward.department_id, year, settings.annual_budget),
    )


def documents_needed(anonymous: bool) -> list[str]:
    """What the claimant brings to the desk; an anonymous reporter also the receipt code."""
    return [DOCUMENTS_NEEDED[0], *(["举报时取得的查询码"] if anonymous else []), *DOCUMENTS_NEEDED[1:]]


def _notice(session: Session, reward: Reward, settings: RewardSettings, addressee: str, anonymous: bool) -> str:
    tip = session.get(Tip, reward.tip_id)
    return render_document(
        "reward_claim_notice.html.j2", reward=reward, tip=tip, addressee=addressee, anonymous=anonymous,
        office=_office_name(session), documents_needed=documents_needed(anonymous), claim_place=settings.claim_place,
        payment_method=settings.payment_method,
        issued_on=reward.notice_issued_at.astimezone(SHANGHAI).date(),
    )


def claim_notice_html(ctx: Context, reward: Reward) -> str:
    """举报奖励领取通知书, addressed to the real-name reporter (an audited identity read) or the code holder."""
    if reward.notice_number is None:
        raise NotFound("该奖励尚未发出领取通知")
    tip = ctx.session.get(Tip, reward.tip_id)
    identity = None if tip.anonymous else ctx.session.get(ReporterIdentity, tip.id)
    if identity is None:
        return _notice(ctx.session, reward, settings_of(ctx), "查询码持有人（匿名举报人）", True)
    if ctx.actor.role not in ctx.policy.identity_readers:
        raise Forbidden("无权出具写明举报人姓名的领取通知书")
    audit.record(ctx, subject_type="tip", subject_id=tip.id, action="identity_read",
                 reason=f"出具举报奖励领取通知书 {reward.notice_number}")
    return _notice(ctx.session, reward, settings_of(ctx), identity.name, False)


def _by_receipt(session: Session, code: str) -> Reward:
    tip = tip_by_receipt(session, code)
    reward = session.exec(select(Reward).where(Reward.tip_id == tip.id)).first() if tip else None
    if reward is None or reward.status not in VISIBLE_TO_CODE:
        raise NotFound("查询码无效或暂无举报奖励领取通知")
    return reward


def status_by_receipt(ctx: Context, code: str) -> RewardStatusPublic:
    """What the holder of a receipt code may know about a reward: the claim notice, once issued."""
    reward = _by_receipt(ctx.session, code)
    settings = settings_of(ctx)
    return RewardStatusPublic(
        tip_number=ctx.session.get(Tip, reward.tip_id).number, notice_number=reward.notice_number,
        status_label=STATE_LABELS[reward.status], amount=reward.amount, claim_last_day=reward.claim_last_day,
        claim_place=settings.claim_place, payment_method=settings.payment_method,
        documents_needed=documents_needed(anonymous=True),
    )


def notice_by_receipt(ctx: Context, code: str) -> str:
    """The claim notice as a printable page for the holder of the receipt code."""
    return _notice(ctx.session, _by_receipt(ctx.session, code), settings_of(ctx), "查询码持有人（匿名举报人）", True)


def read_claimant(ctx: Context, reward_id: int, *, reason: str | None) -> ClaimantIdentity:
    """The sealed claimant identity, for the policy's readers, with a reason; the read is audited."""
    require_role(ctx, {Role(r) for r in settings_of(ctx).identity_readers}, action="查看领奖人身份")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise InvalidInput("reason", "查看领奖人身份须说明理由")
    get_reward(ctx.session, reward_id)
    identity = ctx.session.get(ClaimantIdentity, reward_id)
    if identity is None:
        raise NotFound("该奖励尚无领奖登记")
    audit.record(ctx, subject_type=SUBJECT, subject_id=reward_id, action="claimant_identity_read", reason=reason[:1000])
    return identity


def set_budget(ctx: Context, year: int, data: BudgetIn) -> BudgetPublic:
    """Set the office's reward budget for a year; never below what is already committed and paid."""
    require_role(ctx, BUDGET_ROLES, action="设定举报奖励预算")
    settings, office = settings_of(ctx), office_id(ctx)
    row = lock_budget(ctx, office, year, settings.annual_budget)
    used = budget_line(ctx.session, office, year, settings.annual_budget)
    if data.budgeted < used.committed + used.paid:
        raise InvalidInput("budgeted", f"预算不能低于已承诺与已发放之和 {used.committed + used.paid} 元")
    before = row.budgeted
    row.budgeted, row.set_by_policy, row.updated_at, row.updated_by = data.budgeted, False, ctx.now, ctx.actor.id
    audit.record(ctx, subject_type="reward_budget", subject_id=row.id, action="set_budget", reason=data.reason,
                 detail={"year": year, "from": str(before), "to": str(data.budgeted)})
    ctx.session.flush()
    return budget_line(ctx.session, office, year, settings.annual_budget)
