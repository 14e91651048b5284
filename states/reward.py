"""Reward lifecycle (举报奖励): eligibility, approval chain, claim notice, claim, payment. Pure.

Guards read only the bound row: `approvals` (recorded so far) against `approval_chain` (the policy's chain,
copied onto the row when proposed), and `refusal_ground` (set by the eligibility check).
"""
from statemachine import State, StateMachine

from domain.enums import Role


class RewardMachine(StateMachine):
    """One reward decision on one tip, bound to its row's `status` column."""

    eligibility_review = State("资格审查", initial=True, value="eligibility_review")
    not_eligible = State("不予奖励", final=True, value="not_eligible")
    proposed = State("待审批", value="proposed")
    rejected = State("不予批准", final=True, value="rejected")
    approved = State("已批准", value="approved")
    claim_notice_issued = State("已通知领取", value="claim_notice_issued")
    claimed = State("已核验领取", value="claimed")
    paid = State("已发放", value="paid")
    waived = State("已放弃", final=True, value="waived")
    lapsed = State("逾期未领", final=True, value="lapsed")
    recovery_ordered = State("追缴中", value="recovery_ordered")
    recovered = State("已追回", final=True, value="recovered")

    propose = eligibility_review.to(proposed, unless="has_refusal_ground")
    refuse = eligibility_review.to(not_eligible, cond="has_refusal_ground")
    # Each approval is recorded; all but the last keep the reward in `proposed`, the last approves it.
    approve = (proposed.to.itself(internal=True, cond="more_approvals_needed")
               | proposed.to(approved, unless="more_approvals_needed"))
    reject = proposed.to(rejected)
    issue_notice = approved.to(claim_notice_issued)
    claim = claim_notice_issued.to(claimed)
    pay = claimed.to(paid)
    waive = approved.to(waived) | claim_notice_issued.to(waived) | claimed.to(waived)
    lapse = claim_notice_issued.to(lapsed)
    order_recovery = paid.to(recovery_ordered)
    recover = recovery_ordered.to(recovered)

    GUARD_FIELDS = ("refusal_ground", "approvals", "approval_chain")  # what the guards read

    def __init__(self, reward, state_field: str = "status") -> None:
        super().__init__(reward, state_field=state_field)

    def has_refusal_ground(self) -> bool:
        """The eligibility check found a ground to refuse."""
        return bool(self.model.refusal_ground)

    def more_approvals_needed(self) -> bool:
        """After the approval being given now, the chain still has someone to approve."""
        return len(self.model.approvals) + 1 < len(self.model.approval_chain)

    def enabled_event_ids(self) -> list[str]:
        """Events that can be sent now (guards evaluated)."""
        return [event.id for event in self.enabled_events()]


OFFICE = frozenset({Role.INVESTIGATOR, Role.SECTION_CHIEF})
DESK = frozenset({Role.DESK_CLERK, Role.SECTION_CHIEF})
LEADERS = frozenset({Role.SECTION_CHIEF, Role.HEAD})
# `approve` is open to every role that may sit in a policy's approval chain; the service then admits
# only the role whose turn it is. `lapse` is the sweep's (a chief may lapse by hand once the window passed).
EVENT_ROLES: dict[str, frozenset[Role]] = {
    "propose": OFFICE, "refuse": OFFICE, "approve": LEADERS, "reject": LEADERS,
    "issue_notice": DESK, "claim": DESK, "pay": DESK, "waive": DESK,
    "lapse": frozenset({Role.SECTION_CHIEF}), "order_recovery": frozenset({Role.HEAD}), "recover": LEADERS,
}

EVENT_LABELS: dict[str, str] = {
    "propose": "拟定奖励", "refuse": "不予奖励", "approve": "审批同意", "reject": "不予批准",
    "issue_notice": "发出领取通知", "claim": "核验身份并登记领取", "pay": "登记发放（银行转账）",
    "waive": "登记放弃", "lapse": "逾期未领", "order_recovery": "责令退回奖励", "recover": "登记追回",
}

STATE_LABELS: dict[str, str] = {state.value: state.name for state in RewardMachine.states}
REWARD_STATUSES = tuple(STATE_LABELS)
FINAL_STATUSES = frozenset(state.value for state in RewardMachine.states if state.final)
