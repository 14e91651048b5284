"""Tip lifecycle (举报线索): registration to closure. Pure: guards read only the bound row."""
from statemachine import State, StateMachine

from domain.enums import Role


class TipMachine(StateMachine):
    """The legal lifecycle of one tip, bound to its row's `status` column."""

    registered = State("已登记", initial=True, value="registered")
    accepted = State("已立案", value="accepted")
    not_accepted = State("不予受理", value="not_accepted")
    transferred = State("已移交", value="transferred")
    investigating = State("调查中", value="investigating")
    extension_requested = State("延期待批", value="extension_requested")
    concluded = State("已办结", value="concluded")
    reporter_notified = State("已告知结果", value="reporter_notified")
    closed = State("已结案", final=True, value="closed")

    accept = registered.to(accepted)
    reject = registered.to(not_accepted)
    transfer = registered.to(transferred)
    start_investigation = accepted.to(investigating)
    request_extension = investigating.to(extension_requested, unless="extensions_exhausted")
    approve_extension = extension_requested.to(investigating)
    deny_extension = extension_requested.to(investigating)
    conclude = investigating.to(concluded)
    # 告知举报人受理/立案结果: a recorded act that changes no stage, so modelled as internal self-loops.
    notify_decision = (
        accepted.to.itself(internal=True, cond="decision_notice_pending")
        | not_accepted.to.itself(internal=True, cond="decision_notice_pending")
        | transferred.to.itself(internal=True, cond="decision_notice_pending")
        | investigating.to.itself(internal=True, cond="decision_notice_pending")
        | extension_requested.to.itself(internal=True, cond="decision_notice_pending")
        | concluded.to.itself(internal=True, cond="decision_notice_pending")
        | reporter_notified.to.itself(internal=True, cond="decision_notice_pending")
    )
    notify_reporter = concluded.to(reporter_notified)
    # A real-name reporter must have had the filing-decision notice before the case is closed.
    close = (
        reporter_notified.to(closed, unless="decision_notice_pending")
        | not_accepted.to(closed, unless="decision_notice_pending")
        | transferred.to(closed, unless="decision_notice_pending")
    )

    GUARD_FIELDS = ("anonymous", "decision_notified_at", "extension_count")  # what the guards read

    def __init__(self, tip, *, max_extensions: int = 1, state_field: str = "status") -> None:
        self.max_extensions = max_extensions
        super().__init__(tip, state_field=state_field)

    def decision_notice_pending(self) -> bool:
        """A real-name reporter has not yet been told the filing decision."""
        return not self.model.anonymous and self.model.decision_notified_at is None

    def extensions_exhausted(self) -> bool:
        """The policy's number of extensions has been used."""
        return self.model.extension_count >= self.max_extensions

    def enabled_event_ids(self) -> list[str]:
        """Events that can be sent now (guards evaluated)."""
        return [event.id for event in self.enabled_events()]


EVENT_ROLES: dict[str, frozenset[Role]] = {
    "accept": frozenset({Role.SECTION_CHIEF, Role.HEAD}),
    "reject": frozenset({Role.SECTION_CHIEF, Role.HEAD}),
    "transfer": frozenset({Role.SECTION_CHIEF, Role.HEAD}),
    "start_investigation": frozenset({Role.SECTION_CHIEF, Role.INVESTIGATOR}),
    "request_extension": frozenset({Role.INVESTIGATOR, Role.SECTION_CHIEF}),
    "approve_extension": frozenset({Role.HEAD}),
    "deny_extension": frozenset({Role.HEAD}),
    "conclude": frozenset({Role.INVESTIGATOR, Role.SECTION_CHIEF}),
    "notify_decision": frozenset({Role.DESK_CLERK, Role.SECTION_CHIEF}),
    "notify_reporter": frozenset({Role.DESK_CLERK, Role.SECTION_CHIEF}),
    "close": frozenset({Role.DESK_CLERK, Role.SECTION_CHIEF}),
}

EVENT_LABELS: dict[str, str] = {
    "accept": "立案", "reject": "不予受理", "transfer": "移交", "start_investigation": "开始调查",
    "request_extension": "申请延期", "approve_extension": "批准延期", "deny_extension": "不批准延期",
    "conclude": "办结", "notify_decision": "告知受理结果", "notify_reporter": "告知办理结果",
    "close": "结案",
}

STATE_LABELS: dict[str, str] = {state.value: state.name for state in TipMachine.states}
