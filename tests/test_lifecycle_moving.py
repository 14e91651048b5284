"""services.lifecycle.moving: the allowed-now check, the event's own checks, then the move, for every service."""
from types import SimpleNamespace

import pytest

from services.errors import InvalidInput, TransitionRefused
from services.lifecycle import move, moving
from states.reward import EVENT_LABELS, STATE_LABELS, RewardMachine

LABELS = {"state_labels": STATE_LABELS, "event_labels": EVENT_LABELS}


def reward(status: str, approvals: list[str], chain: list[str]) -> SimpleNamespace:
    return SimpleNamespace(status=status, refusal_ground=None, approvals=approvals, approval_chain=chain, amount=500)


def test_the_row_takes_the_state_the_guards_choose_and_nothing_else_changes():
    last, not_last = reward("proposed", ["section_chief"], ["section_chief", "head"]), \
        reward("proposed", [], ["section_chief", "head"])
    move(last, RewardMachine, "approve", **LABELS)
    move(not_last, RewardMachine, "approve", **LABELS)  # an approval with more to come: stays proposed
    assert (last.status, not_last.status) == ("approved", "proposed")
    assert (last.approvals, last.amount) == (["section_chief"], 500)


def test_an_event_not_allowed_now_is_refused_naming_the_allowed_ones_before_the_block_runs():
    row, ran = reward("approved", [], ["head"]), []
    with pytest.raises(TransitionRefused) as refused:
        with moving(row, RewardMachine, "pay", **LABELS):
            ran.append(True)
    assert refused.value.allowed == ["issue_notice", "waive"]
    assert "可执行：发出领取通知、登记放弃" in str(refused.value)
    assert (ran, row.status) == ([], "approved")


def test_a_refusal_from_the_block_leaves_the_row_where_it_was():
    row = reward("approved", [], ["head"])
    with pytest.raises(InvalidInput):
        with moving(row, RewardMachine, "issue_notice", **LABELS) as machine:
            assert machine.current_state_value == "approved"
            raise InvalidInput("amount", "预算不足")
    assert row.status == "approved"
    move(row, RewardMachine, "issue_notice", **LABELS)  # and the thread's machines still serve the next row
    assert row.status == "claim_notice_issued"
