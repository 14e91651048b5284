"""Read views of the joint meeting: meetings, topics, the agenda with carried-over matters, read receipts and
who has not confirmed, decided matters, the documents (notice, minutes, 督办单) and the .ics invitation."""
from datetime import timedelta, timezone

from sqlmodel import func, select

from documents.render import render_document
from domain.calendar import SHANGHAI
from domain.coordination_models import DecidedMatter, Meeting, MeetingTopic, MinutesReceipt
from domain.enums import DeadlineStatus, Role
from domain.meeting_schemas import AgendaView, MatterPublic, MeetingPublic, ReceiptPublic, TopicPublic
from domain.models import AuditEntry, Deadline, DeadlineStep, Department, User
from services.context import Context
from services.errors import NotFound, TransitionRefused
from services.meetings import MEETING, load_meeting, member_units
from services.minutes import MATTER, RECEIPT, load_matter, matter_number
from services.tip_queries import deadline_public
from states.binding import enabled_events
from states.meeting import (
    MATTER_EVENT_ROLES, MATTER_STATE_LABELS, MEETING_EVENT_ROLES, MEETING_STATE_LABELS, MatterMachine,
    MeetingMachine,
)

SCHEDULED = ("agenda_approved", "notice_sent", "held", "minutes_drafted", "minutes_approved", "minutes_issued")


def _deadlines(ctx: Context, subject_type: str, subject_id: int) -> list[Deadline]:
    query = select(Deadline).where(Deadline.subject_type == subject_type, Deadline.subject_id == subject_id)
    return list(ctx.session.exec(query.order_by(Deadline.id)))


def _public_deadlines(ctx: Context, rows: list[Deadline]) -> list:
    return [deadline_public(d, policy=ctx.policy, calendar=ctx.calendar, now=ctx.now) for d in rows]


def meeting_public(ctx: Context, meeting: Meeting) -> MeetingPublic:
    enabled = enabled_events(MeetingMachine, meeting)
    visible = ctx.actor.role != Role.LIAISON or meeting.status == "minutes_issued"
    return MeetingPublic(**meeting.model_dump(exclude={"minutes"}), minutes=meeting.minutes if visible else None,
                         status_label=MEETING_STATE_LABELS[meeting.status],
                         deadlines=_public_deadlines(ctx, _deadlines(ctx, MEETING, meeting.id)),
                         allowed_events=[e for e in enabled if ctx.actor.role in MEETING_EVENT_ROLES[e]])


def list_meetings(ctx: Context) -> list[MeetingPublic]:
    return [meeting_public(ctx, m) for m in ctx.session.exec(select(Meeting).order_by(Meeting.seq.desc()))]


def ad_hoc_ids(ctx: Context) -> set[int]:
    """Meetings the office opened by hand (临时会议); the others fell due by the six-monthly rhythm."""
    return set(ctx.session.exec(select(AuditEntry.subject_id).where(
        AuditEntry.subject_type == MEETING, AuditEntry.action == "open", AuditEntry.actor_id.is_not(None))))


def _names(ctx: Context) -> dict[int, str]:
    return {d.id: d.name for d in ctx.session.exec(select(Department))}


def list_topics(ctx: Context, meeting_id: int) -> list[TopicPublic]:
    """A liaison sees its own unit's topics; the office and the convener see all."""
    load_meeting(ctx, meeting_id)
    query = select(MeetingTopic).where(MeetingTopic.meeting_id == meeting_id).order_by(MeetingTopic.id)
    if ctx.actor.role == Role.LIAISON:
        query = query.where(MeetingTopic.department_id == ctx.actor.department_id)
    names = _names(ctx)
    return [TopicPublic(**t.model_dump(), department_name=names[t.department_id]) for t in ctx.session.exec(query)]


def matter_public(ctx: Context, matter: DecidedMatter) -> MatterPublic:
    meeting = ctx.session.get(Meeting, matter.meeting_id)
    rows = _deadlines(ctx, MATTER, matter.id)
    level = max((d.escalation_level for d in rows), default=0)
    ladder = ctx.policy.escalation("decided_matter").ladder
    enabled = enabled_events(MatterMachine, matter)
    return MatterPublic(
        **matter.model_dump(), meeting_seq=meeting.seq, number=matter_number(meeting, matter),
        owner_name=ctx.session.get(Department, matter.owner_department_id).name,
        status_label=MATTER_STATE_LABELS[matter.status], escalation_level=level,
        escalation_label=ladder[level - 1].label if 0 < level <= len(ladder) else "",
        deadlines=_public_deadlines(ctx, rows),
        allowed_events=[e for e in enabled if ctx.actor.role in MATTER_EVENT_ROLES[e]],
    )


def list_matters(ctx: Context, *, open_only: bool = False, before_seq: int | None = None) -> list[MatterPublic]:
    """Decided matters of issued minutes; a liaison sees only its own unit's."""
    query = (select(DecidedMatter).join(Meeting, Meeting.id == DecidedMatter.meeting_id)
             .where(Meeting.status == "minutes_issued").order_by(DecidedMatter.id))
    if ctx.actor.role == Role.LIAISON:
        query = query.where(DecidedMatter.owner_department_id == ctx.actor.department_id)
    if open_only:
        query = query.where(DecidedMatter.status != "done_verified")
    if before_seq is not None:
        query = query.where(Meeting.seq < before_seq)
    return [matter_public(ctx, m) for m in ctx.session.exec(query)]


def agenda_view(ctx: Context, meeting_id: int) -> AgendaView:
    """The meeting's topics, and the still open decided matters of earlier meetings (reported on at it)."""
    meeting = load_meeting(ctx, meeting_id)
    return AgendaView(meeting=meeting_public(ctx, meeting), topics=list_topics(ctx, meeting_id),
                      carried_matters=list_matters(ctx, open_only=True, before_seq=meeting.seq))


def receipts(ctx: Context, meeting_id: int, *, unconfirmed: bool = False) -> list[ReceiptPublic]:
    """Who has the minutes and who confirmed reading them; a liaison sees only its own unit."""
    load_meeting(ctx, meeting_id)
    query = select(MinutesReceipt).where(MinutesReceipt.meeting_id == meeting_id).order_by(MinutesReceipt.id)
    if ctx.actor.role == Role.LIAISON:
        query = query.where(MinutesReceipt.department_id == ctx.actor.department_id)
    if unconfirmed:
        query = query.where(MinutesReceipt.read_at.is_(None))
    names = _names(ctx)
    return [_receipt_public(ctx, r, names) for r in ctx.session.exec(query)]


def _receipt_public(ctx: Context, receipt: MinutesReceipt, names: dict[int, str]) -> ReceiptPublic:
    clock = next(iter(_deadlines(ctx, RECEIPT, receipt.id)), None)
    sent = 0 if clock is None else ctx.session.exec(select(func.count()).select_from(DeadlineStep).where(
        DeadlineStep.deadline_id == clock.id, DeadlineStep.skipped.is_(False))).one()
    reader = ctx.session.get(User, receipt.read_by) if receipt.read_by else None
    return ReceiptPublic(
        department_id=receipt.department_id, department_name=names[receipt.department_id], sent_at=receipt.sent_at,
        read_at=receipt.read_at, read_by=reader.display_name if reader else None,
        read_due=clock.last_day if clock else None, reminders_sent=sent,
        overdue=clock is not None and clock.status == DeadlineStatus.OPEN and clock.due_at <= ctx.now,
    )


def _scheduled(ctx: Context, meeting_id: int) -> Meeting:
    meeting = load_meeting(ctx, meeting_id)
    if meeting.status not in SCHEDULED:
        raise TransitionRefused("notice", meeting.status, [], "会议议题、时间和地点尚未经召集人审定")
    return meeting


def render_notice(ctx: Context, meeting_id: int) -> str:
    """会议通知: approved topics, time, place, attendees, and the open matters to be reported on."""
    meeting = _scheduled(ctx, meeting_id)
    return render_document("meeting_notice.html.j2", meeting=meeting, office=office_name(ctx),
                           topics=[t for t in list_topics(ctx, meeting_id) if t.included],
                           units=member_units(ctx), carried=list_matters(ctx, open_only=True, before_seq=meeting.seq),
                           when=meeting.scheduled_at.astimezone(SHANGHAI))


def render_minutes(ctx: Context, meeting_id: int) -> str:
    """会议纪要: member units read it once issued; the office and the convener from the draft on."""
    meeting = load_meeting(ctx, meeting_id)
    ready = ("minutes_issued",) if ctx.actor.role == Role.LIAISON else ("minutes_drafted", "minutes_approved",
                                                                       "minutes_issued")
    if meeting.status not in ready:
        raise NotFound(f"{meeting.title}的会议纪要尚未印发")
    matters = meeting_matters(ctx, meeting)
    convener = ctx.session.exec(select(User).where(User.role == Role.CONVENER, User.active.is_(True))).first()
    return render_document("meeting_minutes.html.j2", meeting=meeting, matters=matters, units=member_units(ctx),
                           office=office_name(ctx), chair=convener.display_name if convener else "召集人",
                           held=(meeting.held_at or ctx.now).astimezone(SHANGHAI))


def meeting_matters(ctx: Context, meeting: Meeting) -> list[dict]:
    """The decided matters the meeting's minutes (draft or issued) assign, in order."""
    rows = ctx.session.exec(select(DecidedMatter).where(DecidedMatter.meeting_id == meeting.id)
                            .order_by(DecidedMatter.id)).all()
    names = _names(ctx)
    return [{"id": m.id, "number": matter_number(meeting, m), "title": m.title, "owner": names[m.owner_department_id],
             "owner_department_id": m.owner_department_id, "due_date": m.due_date, "status_label":
             MATTER_STATE_LABELS[m.status]} for m in rows]


def render_matter_sheet(ctx: Context, matter_id: int) -> str:
    """议定事项督办单."""
    matter = matter_public(ctx, load_matter(ctx, matter_id))
    named = ctx.session.exec(select(AuditEntry.id).where(AuditEntry.subject_type == MATTER,
                                                         AuditEntry.subject_id == matter_id,
                                                         AuditEntry.action == "named")).first() is not None
    return render_document("matter_sheet.html.j2", matter=matter, office=office_name(ctx), named=named,
                           today=ctx.now.astimezone(SHANGHAI).date())


def office_name(ctx: Context) -> str:
    return ctx.session.exec(select(Department.name).where(Department.kind == "office")).first() or "联席会议办公室"


def invite_ics(ctx: Context, meeting_id: int) -> str:
    """The meeting as an iCalendar invitation (RFC 5545), times in UTC."""
    meeting = _scheduled(ctx, meeting_id)
    hours = int(ctx.policy.raw.get("joint_meeting", {}).get("duration_hours", 2))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//FundWatch//Joint Meeting//ZH", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", "BEGIN:VEVENT", f"UID:fundwatch-meeting-{meeting.id}-{meeting.seq}@fundwatch",
             f"DTSTAMP:{stamp(ctx.now)}", f"DTSTART:{stamp(meeting.scheduled_at)}",
             f"DTEND:{stamp(meeting.scheduled_at + timedelta(hours=hours))}", f"SUMMARY:{ics_text(meeting.title)}",
             f"LOCATION:{ics_text(meeting.location or '')}", f"DESCRIPTION:{ics_text(meeting.agenda or '')}",
             f"SEQUENCE:{meeting.version}", "END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)


def stamp(moment) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def ics_text(value: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma and line breaks."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n")


def fold(line: str, limit: int = 75) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character."""
    parts, current = [], ""
    for char in line:
        if len((current + char).encode()) > limit:
            parts.append(current)
            current = " " + char
        else:
            current += char
    return "\r\n".join(parts + [current])
