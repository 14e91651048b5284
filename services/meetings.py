"""Joint meeting use cases (联席会议): the meeting falls due, member units submit topics before the cut-off,
the convener approves the agenda with time and place, the notice goes out, the meeting is held, the office
drafts the minutes and the convener approves them (the minutes-distribution flow then issues them)."""
from calendar import monthrange
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import select

from documents.render import document_number
from domain.calendar import SHANGHAI
from domain.coordination_models import DecidedMatter, Meeting, MeetingTopic
from domain.enums import Role
from domain.meeting_schemas import MatterIn, MeetingEventIn, TopicIn
from domain.models import Department, User
from notifications.templates import MessageKind
from services import audit
from services.authz import require_role
from services.context import SYSTEM, Context
from services.deadlines import start_deadline
from services.errors import Forbidden, InvalidInput, NotFound, TransitionRefused
from services.lifecycle import apply_clocks, check_version, moving
from services.numbers import next_number
from services.outbox import notify
from services.runtime import Runtime
from services.subjects import SubjectInfo
from states.meeting import EVENT_LABELS, MEETING_EVENT_ROLES, MEETING_STATE_LABELS, MeetingMachine

MEETING = "meeting"
STARTS = {"hold": ("minutes_issue",)}
STOPS = {"propose_agenda": {"topic_submission"}, "hold": {"meeting_due"}, "approve_minutes": {"minutes_issue"}}
REASON_REQUIRED = {"return_agenda": "请写明退回议题的理由", "return_minutes": "请写明退回纪要的理由"}


def settings(ctx: Context) -> dict:
    return ctx.policy.raw.get("joint_meeting", {})


def today(ctx: Context) -> date:
    return ctx.now.astimezone(SHANGHAI).date()


def months_after(day: date, months: int) -> date:
    """The same day `months` later (or that month's last day)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month0 + 1, min(day.day, monthrange(year, month0 + 1)[1]))


def open_meeting(ctx: Context, *, due_by: date, title: str | None = None) -> Meeting:
    """A new meeting (status due), unless one is still open: there is never more than one."""
    current = ctx.session.exec(select(Meeting).where(Meeting.status != "minutes_issued")).first()
    if current is not None:
        raise TransitionRefused("open_meeting", current.status, [], f"{current.title}尚未结束，不能再发起会议")
    seq = (ctx.session.exec(select(func.max(Meeting.seq))).one() or 0) + 1
    meeting = Meeting(seq=seq, title=title or f"第{seq}次医疗保障基金监管工作联席会议", due_by=due_by,
                      created_at=ctx.now)
    ctx.session.add(meeting)
    ctx.session.flush()
    start_deadline(ctx, subject_type=MEETING, subject_id=meeting.id, kind="meeting_due",
                   amount=max((due_by - today(ctx)).days, 0))
    audit.record(ctx, subject_type=MEETING, subject_id=meeting.id, action="open", to_state=meeting.status,
                 detail={"due_by": due_by.isoformat()})
    return meeting


def open_ad_hoc(ctx: Context, *, due_by: date, title: str | None) -> Meeting:
    """临时会议: the office opens a meeting outside the six-monthly rhythm."""
    require_role(ctx, {Role.MEETING_OFFICE}, action="发起联席会议")
    if due_by < today(ctx):
        raise InvalidInput("due_by", "会议召开期限不能早于今天")
    meeting = open_meeting(ctx, due_by=due_by, title=title)
    _tell_office(ctx, meeting, last_held=None)
    return meeting


def open_due_meeting(runtime: Runtime) -> int | None:
    """Open the next meeting when it falls due (interval after the last one held); its id, or None."""
    with runtime.write(SYSTEM) as ctx:
        section = settings(ctx)
        if ctx.session.exec(select(Meeting.id).where(Meeting.status != "minutes_issued")).first() is not None:
            return None
        last = ctx.session.exec(select(func.max(Meeting.held_at))).one()
        lead = timedelta(days=int(section.get("open_days_before", 30)))
        last_day = last.astimezone(SHANGHAI).date() if last else None
        due_by = months_after(last_day, int(section.get("interval_months", 6))) if last_day else today(ctx) + lead
        if today(ctx) < due_by - lead:
            return None
        meeting = open_meeting(ctx, due_by=due_by)
        _tell_office(ctx, meeting, last_held=last_day)
        return meeting.id


def _tell_office(ctx: Context, meeting: Meeting, *, last_held: date | None) -> None:
    notify(ctx, people=users_with(ctx, Role.MEETING_OFFICE), kind=MessageKind.MEETING_DUE,
           context={"title": meeting.title, "due_by": meeting.due_by.isoformat(),
                    "interval": settings(ctx).get("interval_months", 6),
                    "last_held": last_held.isoformat() if last_held else None},
           key=f"meeting:{meeting.id}:due", subject_type=MEETING, subject_id=meeting.id)


def users_with(ctx: Context, role: Role) -> list[User]:
    return list(ctx.session.exec(select(User).where(User.role == role, User.active.is_(True)).order_by(User.id)))


def member_units(ctx: Context) -> list[Department]:
    """The joint meeting's member units, without the office's own department (it runs the meeting)."""
    query = select(Department).where(Department.member.is_(True), Department.kind != "office")
    return list(ctx.session.exec(query.order_by(Department.id)))


def liaisons(ctx: Context, department_ids: list[int]) -> list[User]:
    query = select(User).where(User.role == Role.LIAISON, User.active.is_(True), User.department_id.in_(department_ids))
    return list(ctx.session.exec(query.order_by(User.id)))


def load_meeting(ctx: Context, meeting_id: int, *, for_update: bool = False) -> Meeting:
    """The meeting; `for_update` row-locks it (PostgreSQL) so that concurrent changes take turns."""
    query = select(Meeting).where(Meeting.id == meeting_id)
    meeting = ctx.session.exec(query.with_for_update() if for_update else query).first()
    if meeting is None:
        raise NotFound(f"联席会议 {meeting_id} 不存在")
    return meeting


def transition_meeting(ctx: Context, meeting_id: int, data: MeetingEventIn) -> Meeting:
    """One step of the meeting: role, version, allowed-now, the event's own checks, clocks, audit."""
    meeting = load_meeting(ctx, meeting_id, for_update=True)
    if data.event not in MEETING_EVENT_ROLES:
        raise InvalidInput("event", f"未知的操作“{data.event}”")
    if not ctx.actor.is_system and not MEETING_EVENT_ROLES[data.event]:
        raise Forbidden("纪要由系统分发流程印发，不能手工操作")
    require_role(ctx, MEETING_EVENT_ROLES[data.event], action=EVENT_LABELS[data.event])
    check_version(meeting, data.expected_version)
    from_state = meeting.status
    with moving(meeting, MeetingMachine, data.event, state_labels=MEETING_STATE_LABELS, event_labels=EVENT_LABELS):
        if data.event in REASON_REQUIRED and not data.text:
            raise InvalidInput("text", REASON_REQUIRED[data.event])
        before = PREPARE.get(data.event)
        if before is not None:
            before(ctx, meeting, data)
    meeting.version += 1
    apply_clocks(ctx, subject_type=MEETING, subject_id=meeting.id, event=data.event, starts=STARTS, stops=STOPS)
    after = AFTER.get(data.event)
    if after is not None:
        after(ctx, meeting)
    audit.record(ctx, subject_type=MEETING, subject_id=meeting.id, action=data.event, from_state=from_state,
                 to_state=meeting.status, reason=data.text)
    return meeting


def _open_topics(ctx: Context, meeting: Meeting, data: MeetingEventIn) -> None:
    cutoff = data.topic_cutoff or today(ctx) + timedelta(days=int(settings(ctx).get("topic_cutoff_days", 10)))
    if cutoff <= today(ctx):
        raise InvalidInput("topic_cutoff", "议题征集截止日期须晚于今天")
    meeting.topic_cutoff = cutoff
    start_deadline(ctx, subject_type=MEETING, subject_id=meeting.id, kind="topic_submission",
                   amount=(cutoff - today(ctx)).days)


def _propose_agenda(ctx: Context, meeting: Meeting, data: MeetingEventIn) -> None:
    if not data.agenda:
        raise InvalidInput("agenda", "请填写拟提请审定的会议议题")
    topics = {t.id: t for t in ctx.session.exec(select(MeetingTopic).where(MeetingTopic.meeting_id == meeting.id))}
    chosen = set(data.topic_ids or [])
    if not chosen <= set(topics):
        raise InvalidInput("topic_ids", "所选议题不属于本次会议")
    for topic_id, topic in topics.items():
        topic.included = topic_id in chosen
    meeting.agenda = data.agenda


def _approve_agenda(ctx: Context, meeting: Meeting, data: MeetingEventIn) -> None:
    if data.scheduled_at is None or data.scheduled_at.tzinfo is None:
        raise InvalidInput("scheduled_at", "请确定会议时间（含时区，如 2026-10-15T09:00:00+08:00）")
    if data.scheduled_at <= ctx.now:
        raise InvalidInput("scheduled_at", "会议时间须晚于当前时间")
    if not data.location:
        raise InvalidInput("location", "请确定会议地点")
    meeting.scheduled_at, meeting.location = data.scheduled_at, data.location


def _number_notice(ctx: Context, meeting: Meeting, data: MeetingEventIn) -> None:
    """会议通知文号, taken once when the notice goes out (a meeting's notice is sent only once)."""
    if meeting.notice_number is None:
        year = today(ctx).year
        meeting.notice_number = document_number(ctx.policy.document_prefix, "联", year,
                                                next_number(ctx.session, key="meeting_notice", year=year))


def _hold(ctx: Context, meeting: Meeting, data: MeetingEventIn) -> None:
    held_at = data.held_at or ctx.now
    if held_at.tzinfo is None or held_at > ctx.now:
        raise InvalidInput("held_at", "召开时间须为已过去的时间（含时区）")
    meeting.held_at = held_at


def _draft_minutes(ctx: Context, meeting: Meeting, data: MeetingEventIn) -> None:
    if not data.minutes:
        raise InvalidInput("minutes", "请填写会议纪要正文")
    _replace_matters(ctx, meeting, data.matters or [])
    meeting.minutes = data.minutes


def _replace_matters(ctx: Context, meeting: Meeting, matters: list[MatterIn]) -> None:
    """The decided matters of a (re)drafted minutes: owners must be member units, due dates in the future."""
    members = {u.id for u in member_units(ctx)}
    for i, item in enumerate(matters):
        if item.owner_department_id not in members:
            raise InvalidInput(f"matters[{i}].owner_department_id", "责任单位须为联席会议成员单位")
        if item.due_date <= today(ctx):
            raise InvalidInput(f"matters[{i}].due_date", "议定事项完成时限须晚于今天")
    for old in ctx.session.exec(select(DecidedMatter).where(DecidedMatter.meeting_id == meeting.id)):
        ctx.session.delete(old)
    ctx.session.flush()
    for item in matters:
        ctx.session.add(DecidedMatter(meeting_id=meeting.id, title=item.title, due_date=item.due_date,
                                      owner_department_id=item.owner_department_id))


def _ask_convener(what: str):
    def tell(ctx: Context, meeting: Meeting) -> None:
        notify(ctx, people=users_with(ctx, Role.CONVENER), kind=MessageKind.MEETING_APPROVAL,
               context={"title": meeting.title, "what": what},
               key=f"meeting:{meeting.id}:approve:v{meeting.version}", subject_type=MEETING, subject_id=meeting.id)
    return tell


PREPARE = {"open_topics": _open_topics, "propose_agenda": _propose_agenda, "approve_agenda": _approve_agenda,
           "send_notice": _number_notice, "hold": _hold, "draft_minutes": _draft_minutes}


def _call_for_topics(ctx: Context, meeting: Meeting) -> None:
    people = liaisons(ctx, [u.id for u in member_units(ctx)])
    notify(ctx, people=people, kind=MessageKind.MEETING_TOPICS,
           context={"title": meeting.title, "cutoff": meeting.topic_cutoff.isoformat()},
           key=f"meeting:{meeting.id}:topics:{meeting.topic_cutoff.isoformat()}", subject_type=MEETING,
           subject_id=meeting.id)


def _send_notice(ctx: Context, meeting: Meeting) -> None:
    """会议通知 to every member unit's liaison and the convener, with the notice and the .ics invitation."""
    people = liaisons(ctx, [u.id for u in member_units(ctx)]) + users_with(ctx, Role.CONVENER)
    when = meeting.scheduled_at.astimezone(SHANGHAI).strftime("%Y年%m月%d日 %H:%M")
    carried = ctx.session.exec(select(func.count()).select_from(DecidedMatter).where(
        DecidedMatter.meeting_id != meeting.id, DecidedMatter.status != "done_verified")).one()
    url = f"/api/v1/meetings/{meeting.id}"
    notify(ctx, people=people, kind=MessageKind.MEETING_NOTICE,
           context={"title": meeting.title, "when": when, "location": meeting.location, "carried": carried,
                    "agenda": clip(meeting.agenda, 1500), "notice_url": f"{url}/notice",
                    "ics_url": f"{url}/invite.ics"},
           key=f"meeting:{meeting.id}:notice", subject_type=MEETING, subject_id=meeting.id)


def clip(text: str | None, limit: int) -> str:
    """Text cut to fit a message body."""
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


AFTER = {"open_topics": _call_for_topics, "send_notice": _send_notice, "propose_agenda": _ask_convener("会议议题"),
         "draft_minutes": _ask_convener("会议纪要")}


def submit_topic(ctx: Context, meeting_id: int, data: TopicIn) -> MeetingTopic:
    """A member unit's topic, accepted only while collection is open and up to the cut-off day."""
    require_role(ctx, {Role.LIAISON, Role.MEETING_OFFICE}, action="提交议题")
    meeting = load_meeting(ctx, meeting_id)
    unit = ctx.session.get(Department, ctx.actor.department_id) if ctx.actor.department_id else None
    if unit is None or not unit.member:
        raise Forbidden("只有联席会议成员单位可以提交议题")
    if meeting.status != "collecting_topics":
        raise TransitionRefused("submit_topic", meeting.status, [], f"{meeting.title}当前不在议题征集阶段")
    if today(ctx) > meeting.topic_cutoff:
        raise TransitionRefused("submit_topic", meeting.status, [],
                                f"议题征集已于 {meeting.topic_cutoff.isoformat()} 截止，不能再提交议题，请联系联席会议办公室")
    topic = MeetingTopic(meeting_id=meeting.id, department_id=unit.id, title=data.title, detail=data.detail,
                         submitted_by=ctx.actor.id, submitted_at=ctx.now)
    ctx.session.add(topic)
    ctx.session.flush()
    audit.record(ctx, subject_type=MEETING, subject_id=meeting.id, action="topic_submitted",
                 detail={"topic_id": topic.id, "department": unit.name})
    return topic


def describe_meeting(session, subject_id: int) -> SubjectInfo | None:
    meeting = session.get(Meeting, subject_id)
    if meeting is None:
        return None
    return SubjectInfo(meeting.title, MEETING_STATE_LABELS[meeting.status], None, None,
                       closed=meeting.status == "minutes_issued")
