"""After the convener approves the minutes: distribution to every member unit (the minutes-distribution
flow's steps), read receipts with their clock, and the decided matters (议定事项) the minutes assign."""
from sqlmodel import select

from domain.coordination_models import DecidedMatter, Meeting, MinutesReceipt
from domain.enums import DeadlineStatus, Role
from domain.meeting_schemas import MatterEventIn, MeetingEventIn
from domain.models import AuditEntry, Deadline, Department
from notifications.templates import MessageKind
from services import audit
from services.authz import require_role
from services.context import SYSTEM, Context
from services.deadlines import close_deadlines, pause_deadline, resume_deadline, start_deadline
from services.errors import InvalidInput, NotFound, TransitionRefused
from services.lifecycle import check_version, moving
from services.meetings import (
    MEETING, liaisons, load_meeting, member_units, today, transition_meeting, users_with,
)
from services.outbox import notify
from services.runtime import Runtime
from services.subjects import SubjectInfo
from states.meeting import EVENT_LABELS, MATTER_EVENT_ROLES, MATTER_STATE_LABELS, MatterMachine

RECEIPT, MATTER = "minutes_receipt", "decided_matter"
TEXT_REQUIRED = {"report_progress": "请填写办理进展", "send_back": "请写明退回继续办理的原因"}


def approved_meetings(runtime: Runtime) -> list[int]:
    """Meetings whose minutes the convener approved and that are not issued yet."""
    with runtime.read(SYSTEM) as ctx:
        return list(ctx.session.exec(select(Meeting.id).where(Meeting.status == "minutes_approved")))


def recipients_of(runtime: Runtime) -> list[int]:
    """The member units minutes go to."""
    with runtime.read(SYSTEM) as ctx:
        return [unit.id for unit in member_units(ctx)]


def send_to_unit(runtime: Runtime, meeting_id: int, department_id: int) -> bool:
    """Send the minutes to one unit (receipt, message, read clock) once; False when already sent."""
    with runtime.write(SYSTEM) as ctx:
        meeting = load_meeting(ctx, meeting_id, for_update=True)  # two runs take turns
        if meeting.status != "minutes_approved":
            return False
        if ctx.session.exec(select(MinutesReceipt.id).where(MinutesReceipt.meeting_id == meeting_id,
                                                            MinutesReceipt.department_id == department_id)).first():
            return False
        receipt = MinutesReceipt(meeting_id=meeting_id, department_id=department_id, sent_at=ctx.now)
        ctx.session.add(receipt)
        ctx.session.flush()
        deadline = start_deadline(ctx, subject_type=RECEIPT, subject_id=receipt.id, kind="minutes_read")
        unit = ctx.session.get(Department, department_id)
        notify(ctx, people=liaisons(ctx, [department_id]), kind=MessageKind.MEETING_MINUTES,
               context=_minutes_context(ctx, meeting, unit, deadline), key=f"meeting:{meeting_id}:minutes:d{unit.id}",
               subject_type=MEETING, subject_id=meeting_id)
        audit.record(ctx, subject_type=MEETING, subject_id=meeting_id, action="minutes_sent",
                     detail={"department": unit.name, "receipt_id": receipt.id})
        return True


def _minutes_context(ctx: Context, meeting: Meeting, unit: Department, deadline: Deadline) -> dict:
    rows = ctx.session.exec(select(DecidedMatter).where(DecidedMatter.meeting_id == meeting.id)
                            .order_by(DecidedMatter.id)).all()
    names = {d.id: d.name for d in ctx.session.exec(select(Department))}
    matters = [{"title": m.title[:120], "owner": names[m.owner_department_id], "due_date": m.due_date.isoformat()}
               for m in rows[:20]]
    return {"title": meeting.title, "department": unit.name, "read_by": deadline.last_day.isoformat(),
            "minutes_url": f"/api/v1/meetings/{meeting.id}/minutes", "matters": matters}


def request_distribution(ctx: Context, meeting_id: int) -> None:
    """The office asks for approved minutes to go out now (recorded as its act); refused before approval."""
    require_role(ctx, {Role.MEETING_OFFICE}, action="分发会议纪要")
    meeting = load_meeting(ctx, meeting_id)
    if meeting.status != "minutes_approved":
        raise TransitionRefused("distribute", meeting.status, [], "纪要须经召集人审定后才能分发（已印发的纪要不再分发）")
    audit.record(ctx, subject_type=MEETING, subject_id=meeting_id, action="distribution_requested")


def distribute_now(runtime: Runtime, meeting_id: int) -> int:
    """The minutes-distribution flow's steps for one meeting, run at once (the office need not wait for the
    scheduled flow); each step is idempotent, so a concurrent flow run sends nothing twice. Units sent to."""
    sent = sum(send_to_unit(runtime, meeting_id, unit) for unit in recipients_of(runtime))
    issue(runtime, meeting_id)
    return sent


def issue(runtime: Runtime, meeting_id: int) -> bool:
    """Start each decided matter's clock, tell its owner, and mark the minutes issued; False if done before."""
    with runtime.write(SYSTEM) as ctx:
        meeting = load_meeting(ctx, meeting_id, for_update=True)  # two runs take turns
        if meeting.status != "minutes_approved":
            return False
        for matter in ctx.session.exec(select(DecidedMatter).where(DecidedMatter.meeting_id == meeting_id)):
            _assign(ctx, meeting, matter)
        transition_meeting(ctx, meeting_id, MeetingEventIn(event="issue_minutes", expected_version=meeting.version))
        meeting.issued_at = ctx.now
        return True


def _assign(ctx: Context, meeting: Meeting, matter: DecidedMatter) -> None:
    start_deadline(ctx, subject_type=MATTER, subject_id=matter.id, kind="decided_matter",
                   amount=max((matter.due_date - today(ctx)).days, 0))
    unit = ctx.session.get(Department, matter.owner_department_id)
    notify(ctx, people=liaisons(ctx, [unit.id]), kind=MessageKind.MATTER_ASSIGNED,
           context={"number": matter_number(meeting, matter), "title": meeting.title, "matter": matter.title,
                    "department": unit.name, "due_date": matter.due_date.isoformat()},
           key=f"matter:{matter.id}:assigned", subject_type=MATTER, subject_id=matter.id)
    audit.record(ctx, subject_type=MATTER, subject_id=matter.id, action="assign", to_state=matter.status,
                 detail={"department": unit.name, "due_date": matter.due_date.isoformat()})


def matter_number(meeting: Meeting, matter: DecidedMatter) -> str:
    return f"联议〔{meeting.seq}〕{matter.id}号"


def confirm_read(ctx: Context, meeting_id: int) -> MinutesReceipt:
    """A liaison confirms, for their unit, that the minutes were read: the unit's clock stops."""
    require_role(ctx, {Role.LIAISON}, action="确认阅知会议纪要")
    query = select(MinutesReceipt).where(MinutesReceipt.meeting_id == meeting_id,
                                         MinutesReceipt.department_id == ctx.actor.department_id)
    receipt = ctx.session.exec(query.with_for_update()).first()
    if receipt is None:
        raise NotFound("本单位没有待确认的会议纪要")
    if receipt.read_at is not None:
        raise TransitionRefused("confirm_read", "read", [], "本单位已确认阅知该会议纪要")
    receipt.read_at, receipt.read_by = ctx.now, ctx.actor.id
    close_deadlines(ctx, subject_type=RECEIPT, subject_id=receipt.id, kinds={"minutes_read"})
    audit.record(ctx, subject_type=RECEIPT, subject_id=receipt.id, action="minutes_read")
    return receipt


def load_matter(ctx: Context, matter_id: int, *, for_update: bool = False) -> DecidedMatter:
    """A decided matter, hidden (404) from member units other than its owner."""
    query = select(DecidedMatter).where(DecidedMatter.id == matter_id)
    matter = ctx.session.exec(query.with_for_update() if for_update else query).first()
    if matter is None or (ctx.actor.role == Role.LIAISON and ctx.actor.department_id != matter.owner_department_id):
        raise NotFound(f"议定事项 {matter_id} 不存在")
    if load_meeting(ctx, matter.meeting_id).status != "minutes_issued":
        raise NotFound(f"议定事项 {matter_id} 尚未随纪要印发")
    return matter


def transition_matter(ctx: Context, matter_id: int, data: MatterEventIn) -> DecidedMatter:
    """The owner starts and reports; the office verifies or sends back. A report stops the clock meanwhile."""
    if data.event not in MATTER_EVENT_ROLES:
        raise InvalidInput("event", f"未知的操作“{data.event}”")
    matter = load_matter(ctx, matter_id, for_update=True)
    require_role(ctx, MATTER_EVENT_ROLES[data.event], action=EVENT_LABELS[data.event])
    check_version(matter, data.expected_version)
    from_state = matter.status
    with moving(matter, MatterMachine, data.event, state_labels=MATTER_STATE_LABELS, event_labels=EVENT_LABELS):
        if data.event in TEXT_REQUIRED and not data.text:
            raise InvalidInput("text", TEXT_REQUIRED[data.event])
    matter.version += 1
    if data.event == "report_progress":
        matter.progress = data.text
    _matter_clock(ctx, matter, data.event)
    audit.record(ctx, subject_type=MATTER, subject_id=matter.id, action=data.event, from_state=from_state,
                 to_state=matter.status, reason=data.text)
    return matter


def _matter_clock(ctx: Context, matter: DecidedMatter, event: str) -> None:
    """Paused while the office checks a report, running again when sent back, met when verified."""
    if event == "verify":
        matter.verified_at = ctx.now
        for deadline in _clocks(ctx, matter, DeadlineStatus.PAUSED):
            deadline.status, deadline.closed_at = DeadlineStatus.MET, ctx.now
        close_deadlines(ctx, subject_type=MATTER, subject_id=matter.id)
    elif event == "report_progress":
        for deadline in _clocks(ctx, matter, DeadlineStatus.OPEN):
            pause_deadline(ctx, deadline)
    elif event == "send_back":
        for deadline in _clocks(ctx, matter, DeadlineStatus.PAUSED):
            resume_deadline(ctx, deadline)


def _clocks(ctx: Context, matter: DecidedMatter, status: DeadlineStatus) -> list[Deadline]:
    query = select(Deadline).where(Deadline.subject_type == MATTER, Deadline.subject_id == matter.id,
                                   Deadline.status == status)
    return list(ctx.session.exec(query))


def circulate_overdue(runtime: Runtime) -> list[int]:
    """通报: a decided matter overdue up to the policy's level is circulated once to every member unit."""
    with runtime.write(SYSTEM) as ctx:
        level = int(ctx.policy.raw.get("joint_meeting", {}).get("circulate_at_level", 2))
        reached = set(ctx.session.exec(select(Deadline.subject_id).where(
            Deadline.subject_type == MATTER, Deadline.kind == "decided_matter", Deadline.escalation_level >= level)))
        named = set(ctx.session.exec(select(AuditEntry.subject_id).where(
            AuditEntry.subject_type == MATTER, AuditEntry.action == "named")))
        circulated = []
        for matter_id in sorted(reached - named):
            matter = ctx.session.get(DecidedMatter, matter_id)
            if matter.status != "done_verified":
                _circulate(ctx, matter)
                circulated.append(matter_id)
        return circulated


def _circulate(ctx: Context, matter: DecidedMatter) -> None:
    meeting = ctx.session.get(Meeting, matter.meeting_id)
    unit = ctx.session.get(Department, matter.owner_department_id)
    people = liaisons(ctx, [u.id for u in member_units(ctx)]) + users_with(ctx, Role.MEETING_OFFICE)
    notify(ctx, people=people, kind=MessageKind.MATTER_NAMED,
           context={"number": matter_number(meeting, matter), "title": meeting.title, "matter": matter.title,
                    "department": unit.name, "due_date": matter.due_date.isoformat()},
           key=f"matter:{matter.id}:named", subject_type=MATTER, subject_id=matter.id)
    audit.record(ctx, subject_type=MATTER, subject_id=matter.id, action="named", to_state=matter.status,
                 detail={"department": unit.name})


def describe_receipt(session, subject_id: int) -> SubjectInfo | None:
    receipt = session.get(MinutesReceipt, subject_id)
    if receipt is None:
        return None
    meeting = session.get(Meeting, receipt.meeting_id)
    unit = session.get(Department, receipt.department_id)
    stage = "已确认阅知" if receipt.read_at else "待确认阅知"
    return SubjectInfo(f"{meeting.title}纪要（{unit.name}）", stage, None, receipt.department_id,
                       closed=receipt.read_at is not None)


def describe_matter(session, subject_id: int) -> SubjectInfo | None:
    matter = session.get(DecidedMatter, subject_id)
    if matter is None:
        return None
    meeting = session.get(Meeting, matter.meeting_id)
    return SubjectInfo(matter_number(meeting, matter), MATTER_STATE_LABELS[matter.status], None,
                       matter.owner_department_id, closed=matter.status == "done_verified")
