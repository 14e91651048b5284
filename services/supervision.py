"""Supervision use cases (督导整改): plan rounds, issue findings with rectification orders, the target
unit's acknowledgement, objection, report; verification; publication only after assessment and approval."""
from datetime import date

from sqlmodel import select

from documents.render import document_number
from domain.calendar import SHANGHAI
from domain.coordination_models import Finding, SupervisionRound, SupervisionTarget
from domain.coordination_schemas import EventIn, FindingCreate, RoundCreate
from domain.enums import DeadlineStatus, Role
from domain.models import Deadline, Department, Institution, User
from notifications.templates import MessageKind
from services import audit
from services.authz import require_role
from services.context import Context
from services.deadlines import pause_deadline, resume_deadline, start_deadline
from services.errors import InvalidInput, NotFound, TransitionRefused
from services.lifecycle import apply_clocks, check_version, move, moving
from services.numbers import next_number
from services.outbox import notify
from services.subjects import SubjectInfo
from states.supervision import (
    EVENT_LABELS, FINDING_EVENT_ROLES, FINDING_STATE_LABELS, ROUND_EVENT_ROLES, ROUND_STATE_LABELS,
    SUPERVISORS, FindingMachine, RoundMachine,
)

ROUND, FINDING = "supervision_round", "finding"
RECT_KINDS = {"immediate": "rect_immediate", "30d": "rect_30d", "2m": "rect_2m", "6m": "rect_6m", "date": "rect_date"}
FINDING_STARTS = {"object": ("objection_review",), "reopen": ("rect_30d",)}
FINDING_STOPS = {"acknowledge": {"objection_window"}, "object": {"objection_window"},
                 "uphold": {"objection_review"}, "withdraw": {"objection_review"}, "report": set(RECT_KINDS.values())}
TEXT_REQUIRED = {"object": "请填写复核理由", "report": "请填写整改情况", "reopen": "请写明核查不通过的原因",
                 "uphold": "请填写复核意见", "withdraw": "请填写复核意见"}


def plan_round(ctx: Context, data: RoundCreate) -> SupervisionRound:
    """督导计划: a round in a quarter with its targets."""
    require_role(ctx, SUPERVISORS, action="制定督导计划")
    if (data.planned_start.year, (data.planned_start.month - 1) // 3 + 1) != (data.year, data.quarter):
        raise InvalidInput("planned_start", "计划开始日期须在所选季度内")
    rnd = SupervisionRound(year=data.year, quarter=data.quarter, title=data.title, planned_start=data.planned_start,
                           lead_id=ctx.actor.id, government_review=data.government_review, created_at=ctx.now)
    ctx.session.add(rnd)
    ctx.session.flush()
    for target in data.targets:
        ctx.session.add(SupervisionTarget(round_id=rnd.id, department_id=target.department_id,
                                          institution_id=target.institution_id, name=_target_name(ctx, target)))
    audit.record(ctx, subject_type=ROUND, subject_id=rnd.id, action="plan", to_state=rnd.status)
    return rnd


def _target_name(ctx: Context, target) -> str:
    row = (ctx.session.get(Department, target.department_id) if target.department_id
           else ctx.session.get(Institution, target.institution_id))
    if row is None:
        raise InvalidInput("targets", "督导对象不存在")
    return row.name


def transition_round(ctx: Context, round_id: int, data: EventIn) -> SupervisionRound:
    rnd = load_round(ctx, round_id)
    if data.event not in ROUND_EVENT_ROLES:
        raise InvalidInput("event", f"未知的操作“{data.event}”")
    require_role(ctx, ROUND_EVENT_ROLES[data.event], action=EVENT_LABELS[data.event])
    check_version(rnd, data.expected_version)
    from_state = rnd.status
    move(rnd, RoundMachine, data.event, state_labels=ROUND_STATE_LABELS, event_labels=EVENT_LABELS)
    rnd.version += 1
    _give_report_number(ctx, rnd)
    audit.record(ctx, subject_type=ROUND, subject_id=rnd.id, action=data.event, from_state=from_state,
                 to_state=rnd.status, reason=data.text)
    return rnd


def issue_finding(ctx: Context, round_id: int, data: FindingCreate) -> Finding:
    """督导意见: a finding on one target with its rectification deadline; the target unit is told."""
    require_role(ctx, SUPERVISORS, action="下达整改通知")
    rnd = load_round(ctx, round_id)
    if rnd.status not in ("in_progress", "findings_issued"):
        raise TransitionRefused("issue_finding", rnd.status, [], "督导开始后才能下达整改通知")
    target = ctx.session.get(SupervisionTarget, data.target_id)
    if target is None or target.round_id != rnd.id:
        raise InvalidInput("target_id", "督导对象不属于本轮督导")
    year = ctx.now.astimezone(SHANGHAI).year
    finding = Finding(round_id=rnd.id, target_id=target.id, department_id=target.department_id,
                      number=document_number(ctx.policy.document_prefix, "督改", year,
                                             next_number(ctx.session, key="finding", year=year)),
                      description=data.description, requirement=data.requirement,
                      deadline_option=data.deadline_option, objection_allowed=rnd.government_review, issued_at=ctx.now)
    ctx.session.add(finding)
    ctx.session.flush()
    _start_rectification(ctx, finding, data.deadline_option, data.due_date)
    audit.record(ctx, subject_type=FINDING, subject_id=finding.id, action="issue", to_state=finding.status)
    _tell_target(ctx, finding, target)
    return finding


def _start_rectification(ctx: Context, finding: Finding, option: str, due_date: date | None) -> None:
    amount = None
    if option == "date":
        amount = (due_date - ctx.now.astimezone(SHANGHAI).date()).days
        if amount <= 0:
            raise InvalidInput("due_date", "整改期限须晚于今天")
    start_deadline(ctx, subject_type=FINDING, subject_id=finding.id, kind=RECT_KINDS[option], amount=amount)
    if finding.objection_allowed:
        start_deadline(ctx, subject_type=FINDING, subject_id=finding.id, kind="objection_window")


def _tell_target(ctx: Context, finding: Finding, target: SupervisionTarget) -> None:
    if target.department_id is None:
        return  # an institution has no login: the office serves the notice on paper
    people = list(ctx.session.exec(select(User).where(User.role == Role.LIAISON, User.active.is_(True),
                                                      User.department_id == target.department_id)))
    notify(ctx, people=people, kind=MessageKind.FINDING_ISSUED,
           context={"number": finding.number, "target": target.name, "requirement": finding.requirement},
           key=f"finding:{finding.id}:issued", subject_type=FINDING, subject_id=finding.id)


def load_finding(ctx: Context, finding_id: int) -> Finding:
    """A finding, hidden (404) from target units other than its own."""
    finding = ctx.session.get(Finding, finding_id)
    if finding is None or (ctx.actor.role == Role.LIAISON and ctx.actor.department_id != finding.department_id):
        raise NotFound(f"整改事项 {finding_id} 不存在")
    return finding


def transition_finding(ctx: Context, finding_id: int, data: EventIn) -> Finding:
    if data.event not in FINDING_EVENT_ROLES:
        raise InvalidInput("event", f"未知的操作“{data.event}”")
    finding = load_finding(ctx, finding_id)
    require_role(ctx, FINDING_EVENT_ROLES[data.event], action=EVENT_LABELS[data.event])
    check_version(finding, data.expected_version)
    from_state = finding.status
    with moving(finding, FindingMachine, data.event, state_labels=FINDING_STATE_LABELS, event_labels=EVENT_LABELS):
        if data.event in TEXT_REQUIRED and not data.text:
            raise InvalidInput("text", TEXT_REQUIRED[data.event])
    _record_text(finding, data)
    finding.version += 1
    _rectification_clock(ctx, finding, data.event)
    apply_clocks(ctx, subject_type=FINDING, subject_id=finding.id, event=data.event, starts=FINDING_STARTS,
                 stops=FINDING_STOPS, final=finding.status == "closed")
    finding.closed_at = ctx.now if finding.status == "closed" else None
    audit.record(ctx, subject_type=FINDING, subject_id=finding.id, action=data.event, from_state=from_state,
                 to_state=finding.status, reason=data.text)
    return finding


def _record_text(finding: Finding, data: EventIn) -> None:
    field = {"object": "objection", "uphold": "review_note", "withdraw": "review_note", "report": "report",
             "verify": "verification_note", "reopen": "verification_note"}.get(data.event)
    if field and data.text:
        setattr(finding, field, data.text)


def _rectification_clock(ctx: Context, finding: Finding, event: str) -> None:
    """The rectification clock stands while a review is pending, and runs on when the finding is upheld."""
    clocks = [d for d in _rect_deadlines(ctx, finding) if d.kind.startswith("rect_")]
    for deadline in clocks:
        if event == "object" and deadline.status == DeadlineStatus.OPEN:
            pause_deadline(ctx, deadline)
        elif event == "uphold" and deadline.status == DeadlineStatus.PAUSED:
            resume_deadline(ctx, deadline)


def _rect_deadlines(ctx: Context, finding: Finding) -> list[Deadline]:
    query = select(Deadline).where(Deadline.subject_type == FINDING, Deadline.subject_id == finding.id,
                                   Deadline.status.in_([DeadlineStatus.OPEN, DeadlineStatus.PAUSED]))
    return list(ctx.session.exec(query))


def load_round(ctx: Context, round_id: int) -> SupervisionRound:
    """A supervision round, or NotFound (404)."""
    rnd = ctx.session.get(SupervisionRound, round_id)
    if rnd is None:
        raise NotFound(f"督导 {round_id} 不存在")
    return rnd


def _give_report_number(ctx: Context, rnd: SupervisionRound) -> None:
    """The 督导情况报告's 文号, taken once when the round starts (the report exists from then on) and kept."""
    if rnd.report_number is None and rnd.status != "planned":
        year = ctx.now.astimezone(SHANGHAI).year
        rnd.report_number = document_number(ctx.policy.document_prefix, "督报", year,
                                             next_number(ctx.session, key="supervision_report", year=year))


def describe_finding(session, subject_id: int) -> SubjectInfo | None:
    finding = session.get(Finding, subject_id)
    if finding is None:
        return None
    rnd = session.get(SupervisionRound, finding.round_id)
    return SubjectInfo(finding.number, FINDING_STATE_LABELS[finding.status], rnd.lead_id, finding.department_id,
                       closed=finding.status == "closed")
