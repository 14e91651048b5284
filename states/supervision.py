"""Supervision (督导) lifecycles: a quarterly round and each finding's rectification order. Pure."""
from statemachine import State, StateMachine

from domain.enums import Role


class RoundMachine(StateMachine):
    """A supervision round: planned, carried out, findings issued, reported to the city government."""

    GUARD_FIELDS = ()  # no guards

    planned = State("已计划", initial=True, value="planned")
    in_progress = State("督导中", value="in_progress")
    findings_issued = State("已反馈督导意见", value="findings_issued")
    reported_to_gov = State("已书面报告市政府", value="reported_to_gov")
    closed = State("已结束", final=True, value="closed")

    start = planned.to(in_progress)
    issue_findings = in_progress.to(findings_issued)
    report_to_gov = findings_issued.to(reported_to_gov)
    close = reported_to_gov.to(closed)


class FindingMachine(StateMachine):
    """A finding's rectification order (整改通知): acknowledged or objected to, rectified, verified."""

    GUARD_FIELDS = ("objection_allowed",)  # what the guards read

    open = State("待整改", initial=True, value="open")
    rectifying = State("整改中", value="rectifying")
    objection = State("申请复核", value="objection")
    rectification_reported = State("已报送整改情况", value="rectification_reported")
    closed = State("已销号", final=True, value="closed")

    acknowledge = open.to(rectifying)
    object = open.to(objection, cond="objection_allowed")
    uphold = objection.to(rectifying)          # review keeps the finding: rectify
    withdraw = objection.to(closed)            # review drops the finding
    report = rectifying.to(rectification_reported)
    verify = rectification_reported.to(closed)
    reopen = rectification_reported.to(rectifying)

    def objection_allowed(self) -> bool:
        """Review (复核) applies only where the round is government supervision (政府督查)."""
        return bool(self.model.objection_allowed)


SUPERVISORS = frozenset({Role.SUPERVISOR, Role.SECTION_CHIEF, Role.HEAD})
TARGET = frozenset({Role.LIAISON})
ROUND_EVENT_ROLES = {"start": SUPERVISORS, "issue_findings": SUPERVISORS, "report_to_gov": SUPERVISORS,
                     "close": SUPERVISORS}
FINDING_EVENT_ROLES = {"acknowledge": TARGET, "object": TARGET, "report": TARGET,
                       "uphold": frozenset({Role.HEAD}), "withdraw": frozenset({Role.HEAD}),
                       "verify": SUPERVISORS, "reopen": SUPERVISORS}
EVENT_LABELS = {"start": "开始督导", "issue_findings": "反馈督导意见", "report_to_gov": "书面报告市政府",
                "close": "结束", "acknowledge": "确认整改", "object": "申请复核", "uphold": "复核维持",
                "withdraw": "复核撤销", "report": "报送整改情况", "verify": "核查通过销号", "reopen": "核查不通过"}
ROUND_STATE_LABELS = {s.value: s.name for s in RoundMachine.states}
FINDING_STATE_LABELS = {s.value: s.name for s in FindingMachine.states}
