"""Joint meeting (联席会议) lifecycles: the meeting itself and each decided matter (议定事项). Pure."""
from statemachine import State, StateMachine

from domain.enums import Role


class MeetingMachine(StateMachine):
    """Due every six months; topics, agenda approved by the convener, notice, minutes, distribution."""

    GUARD_FIELDS = ()  # no guards

    due = State("待召开", initial=True, value="due")
    collecting_topics = State("征集议题", value="collecting_topics")
    agenda_proposed = State("议题待审定", value="agenda_proposed")
    agenda_approved = State("议题已审定", value="agenda_approved")
    notice_sent = State("已发会议通知", value="notice_sent")
    held = State("已召开", value="held")
    minutes_drafted = State("纪要待审定", value="minutes_drafted")
    minutes_approved = State("纪要已审定", value="minutes_approved")
    minutes_issued = State("纪要已印发", final=True, value="minutes_issued")

    open_topics = due.to(collecting_topics)
    propose_agenda = collecting_topics.to(agenda_proposed)
    approve_agenda = agenda_proposed.to(agenda_approved)
    return_agenda = agenda_proposed.to(collecting_topics)
    send_notice = agenda_approved.to(notice_sent)
    hold = notice_sent.to(held)
    draft_minutes = held.to(minutes_drafted) | minutes_drafted.to.itself(internal=True)
    approve_minutes = minutes_drafted.to(minutes_approved)
    return_minutes = minutes_drafted.to(held)
    issue_minutes = minutes_approved.to(minutes_issued)


class MatterMachine(StateMachine):
    """A decided matter assigned to an owner unit, reported on, verified by the office."""

    GUARD_FIELDS = ()  # no guards

    assigned = State("已交办", initial=True, value="assigned")
    in_progress = State("办理中", value="in_progress")
    progress_reported = State("已报进展", value="progress_reported")
    done_verified = State("已办结", final=True, value="done_verified")

    start = assigned.to(in_progress)
    report_progress = in_progress.to(progress_reported) | assigned.to(progress_reported) \
        | progress_reported.to.itself(internal=True)
    verify = progress_reported.to(done_verified)
    send_back = progress_reported.to(in_progress)


OFFICE = frozenset({Role.MEETING_OFFICE})
CONVENER = frozenset({Role.CONVENER})
SYSTEM_ONLY = frozenset()  # issue_minutes: only the minutes-distribution flow, after it has sent them
MEETING_EVENT_ROLES = {"open_topics": OFFICE, "propose_agenda": OFFICE, "approve_agenda": CONVENER,
                       "return_agenda": CONVENER, "send_notice": OFFICE, "hold": OFFICE, "draft_minutes": OFFICE,
                       "approve_minutes": CONVENER, "return_minutes": CONVENER, "issue_minutes": SYSTEM_ONLY}
MATTER_EVENT_ROLES = {"start": frozenset({Role.LIAISON}), "report_progress": frozenset({Role.LIAISON}),
                      "verify": OFFICE, "send_back": OFFICE}
EVENT_LABELS = {"open_topics": "征集议题", "propose_agenda": "报请审定议题", "approve_agenda": "审定议题",
                "return_agenda": "退回议题", "send_notice": "发送会议通知", "hold": "记录召开", "draft_minutes": "起草纪要",
                "approve_minutes": "审定纪要", "return_minutes": "退回纪要", "issue_minutes": "印发纪要", "start": "开始办理",
                "report_progress": "报送进展", "verify": "核实办结", "send_back": "退回继续办理"}
MEETING_STATE_LABELS = {s.value: s.name for s in MeetingMachine.states}
MATTER_STATE_LABELS = {s.value: s.name for s in MatterMachine.states}


class InfoReportMachine(StateMachine):
    """信息报告: due, submitted (paper, network or phone), then accepted or returned for correction (补正)."""

    GUARD_FIELDS = ()  # no guards

    due = State("待报送", initial=True, value="due")
    submitted = State("已报送", value="submitted")
    accepted = State("已接收", final=True, value="accepted")
    returned = State("退回补正", value="returned")

    submit = due.to(submitted) | returned.to(submitted)
    accept = submitted.to(accepted)
    return_report = submitted.to(returned)


REPORTERS = frozenset({Role.GRID_INSPECTOR, Role.TOWNSHIP_ADMIN})
INFO_EVENT_ROLES = {"submit": REPORTERS, "accept": frozenset({Role.TOWNSHIP_ADMIN, Role.MEETING_OFFICE}),
                    "return_report": frozenset({Role.TOWNSHIP_ADMIN, Role.MEETING_OFFICE})}
INFO_EVENT_LABELS = {"submit": "报送", "accept": "接收", "return_report": "退回补正"}
INFO_STATE_LABELS = {s.value: s.name for s in InfoReportMachine.states}
