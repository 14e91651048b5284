"""Referral lifecycles (移送): the police track (行刑衔接) and the discipline/department track. Pure."""
from enum import StrEnum

from statemachine import State, StateMachine

from domain.enums import Role


class Track(StrEnum):
    POLICE = "police"            # 公安机关, copy to the procuratorate
    DISCIPLINE = "discipline"    # 纪检监察机关
    DEPARTMENT = "department"    # 卫健、市场监管 ...


class PoliceReferralMachine(StateMachine):
    """国务院令第310号 steps: approval, sending, receipt, filing decision, reconsideration, supervision."""

    GUARD_FIELDS = ()  # no guards

    proposed = State("待审批", initial=True, value="proposed")
    approved = State("已批准", value="approved")
    sent = State("已移送", value="sent")
    signed = State("已签收", value="signed")
    supplement_requested = State("补充材料", value="supplement_requested")
    forwarded = State("已转交", value="forwarded")
    filed = State("已立案", value="filed")
    not_filed = State("不予立案", value="not_filed")
    reconsideration_requested = State("已提请复议", value="reconsideration_requested")
    reconsideration_decided = State("复议维持", value="reconsideration_decided")
    supervision_proposed = State("已建议立案监督", value="supervision_proposed")
    exhibits_handed_over = State("已移交涉案物品", value="exhibits_handed_over")
    outcome_tracking = State("跟踪处理结果", value="outcome_tracking")
    returned_for_admin = State("退回行政处理", value="returned_for_admin")
    closed = State("已办结", final=True, value="closed")

    approve = proposed.to(approved)
    refuse = proposed.to(returned_for_admin)
    send_letter = approved.to(sent)
    sign = sent.to(signed)
    request_supplement = signed.to(supplement_requested)
    supply = supplement_requested.to(signed)
    forward = signed.to(forwarded)
    file = signed.to(filed) | reconsideration_requested.to(filed) | supervision_proposed.to(filed)
    decline = signed.to(not_filed)
    request_reconsideration = not_filed.to(reconsideration_requested)
    uphold = reconsideration_requested.to(reconsideration_decided)
    propose_supervision = reconsideration_decided.to(supervision_proposed)
    return_to_admin = (not_filed.to(returned_for_admin) | reconsideration_decided.to(returned_for_admin)
                       | supervision_proposed.to(returned_for_admin))
    hand_over = filed.to(exhibits_handed_over)
    track = exhibits_handed_over.to(outcome_tracking)
    check_progress = outcome_tracking.to.itself()  # asked the police how the case stands: the check recurs
    close = outcome_tracking.to(closed) | forwarded.to(closed) | returned_for_admin.to(closed)


class DepartmentReferralMachine(StateMachine):
    """Clue transfer to a discipline body or another department: acknowledged, handled, replied."""

    GUARD_FIELDS = ()  # no guards

    proposed = State("待审批", initial=True, value="proposed")
    approved = State("已批准", value="approved")
    sent = State("已移送", value="sent")
    acknowledged = State("已签收", value="acknowledged")
    in_handling = State("办理中", value="in_handling")
    replied = State("已反馈", value="replied")
    returned_for_admin = State("退回行政处理", value="returned_for_admin")
    closed = State("已办结", final=True, value="closed")

    approve = proposed.to(approved)
    refuse = proposed.to(returned_for_admin)
    send_letter = approved.to(sent)
    acknowledge = sent.to(acknowledged)
    start_handling = acknowledged.to(in_handling)
    reply = acknowledged.to(replied) | in_handling.to(replied)
    close = replied.to(closed) | returned_for_admin.to(closed)


def machine_for(track: str):
    return PoliceReferralMachine if track == Track.POLICE else DepartmentReferralMachine


OFFICE_HANDLERS = frozenset({Role.INVESTIGATOR, Role.SECTION_CHIEF})
HEAD = frozenset({Role.HEAD})
LIAISON = frozenset({Role.LIAISON})
EVENT_ROLES: dict[str, frozenset[Role]] = {
    "approve": HEAD, "refuse": HEAD, "send_letter": OFFICE_HANDLERS, "sign": LIAISON, "request_supplement": LIAISON,
    "supply": OFFICE_HANDLERS, "forward": LIAISON, "file": LIAISON, "decline": LIAISON,
    "request_reconsideration": HEAD, "uphold": LIAISON, "propose_supervision": HEAD,
    "return_to_admin": frozenset({Role.SECTION_CHIEF, Role.HEAD}), "hand_over": OFFICE_HANDLERS,
    "track": OFFICE_HANDLERS, "check_progress": OFFICE_HANDLERS, "close": OFFICE_HANDLERS, "acknowledge": LIAISON,
    "start_handling": LIAISON, "reply": LIAISON,
}
EVENT_LABELS: dict[str, str] = {
    "approve": "批准移送", "refuse": "不予移送", "send_letter": "发送移送函", "sign": "签收", "request_supplement": "要求补充材料",
    "supply": "补充材料", "forward": "转交有管辖权机关", "file": "立案", "decline": "不予立案",
    "request_reconsideration": "提请复议", "uphold": "复议维持不立案", "propose_supervision": "建议检察院立案监督",
    "return_to_admin": "退回行政处理", "hand_over": "移交涉案物品", "track": "跟踪处理结果", "check_progress": "记录办理进展",
    "close": "办结", "acknowledge": "签收", "start_handling": "开始办理", "reply": "反馈处理结果",
}
STATE_LABELS: dict[str, str] = {
    s.value: s.name for machine in (PoliceReferralMachine, DepartmentReferralMachine) for s in machine.states
}
REFERRAL_STATUSES = tuple(STATE_LABELS)
TRACK_LABELS = {Track.POLICE: "移送公安", Track.DISCIPLINE: "移送纪检监察", Track.DEPARTMENT: "部门移送"}
