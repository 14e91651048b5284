"""states.tip.TipMachine: every state x every event, with the guards, against an explicit table (no DB)."""
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
from statemachine.exceptions import TransitionNotAllowed

from domain.enums import Role
from states.tip import EVENT_LABELS, EVENT_ROLES, STATE_LABELS, TipMachine

STATES = ["registered", "accepted", "not_accepted", "transferred", "investigating", "extension_requested",
          "concluded", "reporter_notified", "closed"]
EVENTS = ["accept", "reject", "transfer", "start_investigation", "request_extension", "approve_extension",
          "deny_extension", "conclude", "notify_decision", "notify_reporter", "close"]

# (state, event) -> (target state, guard that must hold). Every pair not listed here must be refused.
#   notice_pending: a real-name reporter has not been told the filing decision yet
#   notice_settled: the opposite (notice sent, or the tip is anonymous)
#   extension_left: extension_count < max_extensions
TABLE = {
    ("registered", "accept"): ("accepted", None),
    ("registered", "reject"): ("not_accepted", None),
    ("registered", "transfer"): ("transferred", None),
    ("accepted", "start_investigation"): ("investigating", None),
    ("accepted", "notify_decision"): ("accepted", "notice_pending"),
    ("not_accepted", "notify_decision"): ("not_accepted", "notice_pending"),
    ("not_accepted", "close"): ("closed", "notice_settled"),
    ("transferred", "notify_decision"): ("transferred", "notice_pending"),
    ("transferred", "close"): ("closed", "notice_settled"),
    ("investigating", "request_extension"): ("extension_requested", "extension_left"),
    ("investigating", "conclude"): ("concluded", None),
    ("investigating", "notify_decision"): ("investigating", "notice_pending"),
    ("extension_requested", "approve_extension"): ("investigating", None),
    ("extension_requested", "deny_extension"): ("investigating", None),
    ("extension_requested", "notify_decision"): ("extension_requested", "notice_pending"),
    ("concluded", "notify_reporter"): ("reporter_notified", None),
    ("concluded", "notify_decision"): ("concluded", "notice_pending"),
    ("reporter_notified", "notify_decision"): ("reporter_notified", "notice_pending"),
    ("reporter_notified", "close"): ("closed", "notice_settled"),
}

NOTIFIED = datetime(2026, 9, 22, 2, 0, tzinfo=timezone.utc)
# name -> (row attributes, which guards hold), with max_extensions = 1 as in policy/default.toml.
CONTEXTS = {
    "real_name_notice_pending": (dict(anonymous=False, decision_notified_at=None, extension_count=0),
                                 {"notice_pending": True, "notice_settled": False, "extension_left": True}),
    "real_name_notified": (dict(anonymous=False, decision_notified_at=NOTIFIED, extension_count=0),
                           {"notice_pending": False, "notice_settled": True, "extension_left": True}),
    "anonymous": (dict(anonymous=True, decision_notified_at=None, extension_count=0),
                  {"notice_pending": False, "notice_settled": True, "extension_left": True}),
    "extensions_used_up": (dict(anonymous=False, decision_notified_at=NOTIFIED, extension_count=1),
                           {"notice_pending": False, "notice_settled": True, "extension_left": False}),
    "pending_and_used_up": (dict(anonymous=False, decision_notified_at=None, extension_count=1),
                            {"notice_pending": True, "notice_settled": False, "extension_left": False}),
}


@dataclass
class Row:
    """A stand-in for the Tip row: only what the machine reads and writes."""

    status: str
    anonymous: bool
    decision_notified_at: datetime | None
    extension_count: int


def expected_target(state: str, event: str, context: str) -> str | None:
    """The table's answer: the target state, or None when the pair must be refused."""
    entry = TABLE.get((state, event))
    if entry is None:
        return None
    target, guard = entry
    return target if guard is None or CONTEXTS[context][1][guard] else None


def bind(state: str, context: str, *, max_extensions: int = 1) -> tuple[Row, TipMachine]:
    row = Row(status=state, **CONTEXTS[context][0])
    return row, TipMachine(row, max_extensions=max_extensions)


def test_state_and_event_lists_are_complete():
    assert [s.value for s in TipMachine.states] == STATES
    assert [e.id for e in TipMachine.events] == EVENTS
    assert {state for state, _ in TABLE} <= set(STATES) and {event for _, event in TABLE} == set(EVENTS)
    assert TipMachine.closed.final and TipMachine.registered.initial


@pytest.mark.parametrize("context", sorted(CONTEXTS))
@pytest.mark.parametrize("event", EVENTS)
@pytest.mark.parametrize("state", STATES)
def test_every_state_and_event(state, event, context):
    row, machine = bind(state, context)
    target = expected_target(state, event, context)
    if target is None:
        with pytest.raises(TransitionNotAllowed):
            machine.send(event)
        assert row.status == state
    else:
        machine.send(event)
        assert row.status == target
    # The machine never touches the guard inputs itself (services do, after the send).
    assert (row.anonymous, row.decision_notified_at, row.extension_count) == tuple(
        CONTEXTS[context][0][k] for k in ("anonymous", "decision_notified_at", "extension_count"))


@pytest.mark.parametrize("context", sorted(CONTEXTS))
@pytest.mark.parametrize("state", STATES)
def test_enabled_events_match_the_table(state, context):
    _, machine = bind(state, context)
    expected = [e for e in EVENTS if expected_target(state, e, context) is not None]
    assert machine.enabled_event_ids() == expected


def test_closed_is_final_for_every_context():
    for context in CONTEXTS:
        _, machine = bind("closed", context)
        assert machine.enabled_event_ids() == []


def test_notify_decision_only_while_pending():
    row, machine = bind("accepted", "real_name_notice_pending")
    machine.send("notify_decision")
    row.decision_notified_at = NOTIFIED  # what services.tips does after the send
    with pytest.raises(TransitionNotAllowed):
        machine.send("notify_decision")
    row, machine = bind("accepted", "anonymous")
    with pytest.raises(TransitionNotAllowed):
        machine.send("notify_decision")


def test_close_from_not_accepted_waits_for_the_notice():
    row, machine = bind("not_accepted", "real_name_notice_pending")
    with pytest.raises(TransitionNotAllowed):
        machine.send("close")
    machine.send("notify_decision")
    row.decision_notified_at = NOTIFIED
    machine.send("close")
    assert row.status == "closed"


def test_max_extensions_comes_from_the_policy():
    row, machine = bind("investigating", "extensions_used_up", max_extensions=2)
    machine.send("request_extension")
    assert row.status == "extension_requested"
    row.status, row.extension_count = "investigating", 2
    with pytest.raises(TransitionNotAllowed):
        TipMachine(row, max_extensions=2).send("request_extension")
    row.extension_count = 0
    with pytest.raises(TransitionNotAllowed):
        TipMachine(row, max_extensions=0).send("request_extension")


def test_event_roles_and_labels_cover_every_event():
    assert set(EVENT_ROLES) == set(EVENTS)
    assert set(EVENT_LABELS) == set(EVENTS)
    assert all(label.strip() for label in EVENT_LABELS.values())
    assert set(STATE_LABELS) == set(STATES)
    for event, roles in EVENT_ROLES.items():
        assert roles, event
        assert roles <= set(Role) - {Role.LIAISON, Role.ADMIN, Role.AUDITOR, Role.MEETING_OFFICE}, event


def test_event_roles_spot_checks():
    # Hard-coded expectations so that a wrong table fails here, not only in the API tests.
    assert EVENT_ROLES["approve_extension"] == {Role.HEAD} == EVENT_ROLES["deny_extension"]
    assert Role.DESK_CLERK not in EVENT_ROLES["accept"] and Role.HEAD in EVENT_ROLES["accept"]
    assert Role.INVESTIGATOR not in EVENT_ROLES["accept"] | EVENT_ROLES["reject"] | EVENT_ROLES["transfer"]
    assert Role.INVESTIGATOR in EVENT_ROLES["conclude"] and Role.INVESTIGATOR in EVENT_ROLES["request_extension"]
    assert Role.DESK_CLERK in EVENT_ROLES["notify_decision"] and Role.DESK_CLERK in EVENT_ROLES["close"]
