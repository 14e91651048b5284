"""states.binding: one machine per thread and class, pointed at a row's state and guard fields each time."""
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from statemachine.exceptions import TransitionNotAllowed

from states import binding
from states.binding import bound, enabled_events
from states.meeting import InfoReportMachine, MatterMachine, MeetingMachine
from states.referral import DepartmentReferralMachine, PoliceReferralMachine
from states.reward import RewardMachine
from states.supervision import FindingMachine, RoundMachine
from states.tip import STATE_LABELS, TipMachine


@dataclass
class Row:
    status: str
    anonymous: bool = False
    decision_notified_at: object = None
    extension_count: int = 0


def guard_fields_only(row: Row) -> SimpleNamespace:
    """The row cut down to its state and what the machine says its guards read."""
    return SimpleNamespace(status=row.status, **{name: getattr(row, name) for name in TipMachine.GUARD_FIELDS})


CONTEXTS = [Row("x"), Row("x", anonymous=True), Row("x", decision_notified_at="today"), Row("x", extension_count=1)]


@pytest.mark.parametrize("state", list(STATE_LABELS))
@pytest.mark.parametrize("context", range(len(CONTEXTS)))
def test_guard_fields_are_all_the_guards_read(state, context):
    """A bound machine sees only GUARD_FIELDS; it must enable what a machine on the whole row enables."""
    row = Row(state, **{k: v for k, v in vars(CONTEXTS[context]).items() if k != "status"})
    expected = TipMachine(Row(**vars(row)), max_extensions=1).enabled_event_ids()
    with bound(TipMachine, guard_fields_only(row), max_extensions=1) as machine:
        assert machine.enabled_event_ids() == expected


def test_one_machine_serves_row_after_row_and_sends_change_the_copy_only():
    first, second = Row("registered"), Row("investigating", extension_count=1)
    with bound(TipMachine, first, max_extensions=1) as machine:
        machine.send("accept")
        assert (machine.current_state_value, first.status) == ("accepted", "registered")
        used = machine
    with bound(TipMachine, second, max_extensions=1) as machine:
        assert machine is used
        assert machine.enabled_event_ids() == ["conclude", "notify_decision"]  # the extension is used up
    with bound(TipMachine, second, max_extensions=2) as machine:  # other options: another machine
        assert machine is not used and "request_extension" in machine.enabled_event_ids()


def test_a_nested_use_gets_its_own_machine():
    with bound(TipMachine, Row("registered"), max_extensions=1) as outer:
        with bound(TipMachine, Row("concluded"), max_extensions=1) as inner:
            assert inner is not outer
            assert outer.current_state_value == "registered"


def test_a_machine_that_reached_a_final_state_is_not_handed_out_again():
    with bound(TipMachine, Row("reporter_notified", anonymous=True), max_extensions=1) as machine:
        machine.send("close")
        finished = machine
    with bound(TipMachine, Row("registered"), max_extensions=1) as machine:
        assert machine is not finished
        machine.send("accept")
        assert machine.current_state_value == "accepted"


def test_a_machine_left_by_an_error_is_not_handed_out_again():
    with pytest.raises(RuntimeError):
        with bound(TipMachine, Row("registered"), max_extensions=1) as machine:
            failed = machine
            raise RuntimeError("the use case failed half-way")
    with bound(TipMachine, Row("registered"), max_extensions=1) as machine:
        assert machine is not failed


# Values the guards may meet (each field: a "no" and a "yes" case).
SAMPLES = {"refusal_ground": (None, "anonymous_unverifiable"), "approvals": ([], ["chief"]),
           "approval_chain": (["chief"], ["chief", "head"]), "objection_allowed": (False, True),
           "anonymous": (False, True), "decision_notified_at": (None, "2026-11-23"), "extension_count": (0, 1)}
OPTIONS = {TipMachine: {"max_extensions": 1}}


@pytest.mark.parametrize("machine_class",
                         [TipMachine, RewardMachine, FindingMachine, RoundMachine, MeetingMachine, MatterMachine,
                          PoliceReferralMachine, DepartmentReferralMachine, InfoReportMachine])
@pytest.mark.parametrize("case", [0, 1])
def test_every_bound_machine_declares_what_its_guards_read(machine_class, case):
    """Every event in every state, on a machine that sees only its GUARD_FIELDS: a guard reading another
    field raises here. (Sending, not listing: the library treats a guard that raises as enabled.)"""
    for state in machine_class.states:
        for event in machine_class.events:
            row = SimpleNamespace(status=state.value, **{f: SAMPLES[f][case] for f in machine_class.GUARD_FIELDS})
            with bound(machine_class, row, **OPTIONS.get(machine_class, {})) as machine:
                try:
                    machine.send(event.id)
                except TransitionNotAllowed:
                    pass


@pytest.mark.parametrize("max_extensions", [1, 2])
def test_remembered_enabled_events_equal_a_fresh_machines_in_every_state_and_guard_context(max_extensions):
    """enabled_events remembers answers by state, options and guard fields; each must be the machine's own,
    asked in any order (a remembered answer for one context must not leak into another)."""
    for _ in range(2):  # the second pass is answered from memory
        for state in STATE_LABELS:
            for context in CONTEXTS:
                row = Row(state, **{k: v for k, v in vars(context).items() if k != "status"})
                expected = TipMachine(Row(**vars(row)), max_extensions=max_extensions).enabled_event_ids()
                assert enabled_events(TipMachine, row, max_extensions=max_extensions) == expected


def test_enabled_events_with_unhashable_guard_fields_asks_the_machine_each_time():
    """A reward's approvals are a list: its answer is not remembered, and follows the list as it grows."""
    reward = SimpleNamespace(status="proposed", refusal_ground=None, approvals=[], approval_chain=["chief", "head"])
    assert enabled_events(RewardMachine, reward) == RewardMachine(SimpleNamespace(**vars(reward))).enabled_event_ids()
    reward.approvals.append("chief")
    assert enabled_events(RewardMachine, reward) == RewardMachine(SimpleNamespace(**vars(reward))).enabled_event_ids()


def test_remembered_answers_are_bounded(monkeypatch):
    monkeypatch.setattr(binding, "REMEMBERED", 3)
    monkeypatch.setattr(binding, "_enabled", {})
    for count in range(10):
        enabled_events(TipMachine, Row("investigating", extension_count=count), max_extensions=1)
        assert len(binding._enabled) <= 3
