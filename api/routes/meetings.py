"""The joint meeting (联席会议) and its decided matters (议定事项) under /api/v1/meetings and /api/v1/matters."""
from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

from api.deps import allow, get_runtime
from domain.enums import Role
from domain.meeting_schemas import (
    AgendaView, MatterEventIn, MatterPublic, MeetingCreate, MeetingEventIn, MeetingPublic, ReceiptPublic, TopicIn,
    TopicPublic,
)
from services import meeting_queries as queries
from services import meetings, minutes
from services.context import Actor
from services.runtime import Runtime

router = APIRouter(tags=["meetings"])
LEADERS = (Role.MEETING_OFFICE, Role.CONVENER, Role.HEAD, Role.AUDITOR, Role.ADMIN)
leaders = allow(*LEADERS)
members = allow(*LEADERS, Role.LIAISON)
office = allow(Role.MEETING_OFFICE)


@router.post("/meetings", response_model=MeetingPublic, status_code=201)
def open_ad_hoc(body: MeetingCreate, actor: Actor = Depends(office), runtime: Runtime = Depends(get_runtime)):
    """临时会议: refused (409) while another meeting is open."""
    with runtime.write(actor) as ctx:
        return queries.meeting_public(ctx, meetings.open_ad_hoc(ctx, due_by=body.due_by, title=body.title))


@router.get("/meetings", response_model=list[MeetingPublic])
def list_meetings(actor: Actor = Depends(members), runtime: Runtime = Depends(get_runtime)):
    with runtime.read(actor) as ctx:
        return queries.list_meetings(ctx)


@router.get("/meetings/{meeting_id}", response_model=MeetingPublic)
def meeting(meeting_id: int, actor: Actor = Depends(members), runtime: Runtime = Depends(get_runtime)):
    with runtime.read(actor) as ctx:
        return queries.meeting_public(ctx, meetings.load_meeting(ctx, meeting_id))


@router.post("/meetings/{meeting_id}/transitions", response_model=MeetingPublic)
def move(meeting_id: int, body: MeetingEventIn, actor: Actor = Depends(members),
         runtime: Runtime = Depends(get_runtime)):
    """Office: open_topics, propose_agenda, send_notice, hold, draft_minutes; convener: approve/return."""
    with runtime.write(actor) as ctx:
        return queries.meeting_public(ctx, meetings.transition_meeting(ctx, meeting_id, body))


@router.post("/meetings/{meeting_id}/topics", response_model=TopicPublic, status_code=201)
def submit_topic(meeting_id: int, body: TopicIn, actor: Actor = Depends(members),
                 runtime: Runtime = Depends(get_runtime)):
    """A member unit's topic, before the cut-off (409 after it)."""
    with runtime.write(actor) as ctx:
        topic = meetings.submit_topic(ctx, meeting_id, body)
        return next(t for t in queries.list_topics(ctx, meeting_id) if t.id == topic.id)


@router.get("/meetings/{meeting_id}/topics", response_model=list[TopicPublic])
def topics(meeting_id: int, actor: Actor = Depends(members), runtime: Runtime = Depends(get_runtime)):
    with runtime.read(actor) as ctx:
        return queries.list_topics(ctx, meeting_id)


@router.get("/meetings/{meeting_id}/agenda", response_model=AgendaView)
def agenda(meeting_id: int, actor: Actor = Depends(members), runtime: Runtime = Depends(get_runtime)):
    """Topics, and the open decided matters of earlier meetings carried to this one."""
    with runtime.read(actor) as ctx:
        return queries.agenda_view(ctx, meeting_id)


@router.get("/meetings/{meeting_id}/invite.ics")
def invite(meeting_id: int, actor: Actor = Depends(members), runtime: Runtime = Depends(get_runtime)):
    with runtime.read(actor) as ctx:
        body = queries.invite_ics(ctx, meeting_id)
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="meeting-{meeting_id}.ics"'})


@router.get("/meetings/{meeting_id}/notice", response_class=HTMLResponse)
def notice(meeting_id: int, actor: Actor = Depends(members), runtime: Runtime = Depends(get_runtime)):
    """会议通知."""
    with runtime.read(actor) as ctx:
        return queries.render_notice(ctx, meeting_id)


@router.get("/meetings/{meeting_id}/minutes", response_class=HTMLResponse)
def minutes_document(meeting_id: int, actor: Actor = Depends(members), runtime: Runtime = Depends(get_runtime)):
    """会议纪要 (member units once it is issued)."""
    with runtime.read(actor) as ctx:
        return queries.render_minutes(ctx, meeting_id)


@router.post("/meetings/{meeting_id}/receipt", response_model=ReceiptPublic)
def confirm_read(meeting_id: int, actor: Actor = Depends(allow(Role.LIAISON)),
                 runtime: Runtime = Depends(get_runtime)):
    """The liaison confirms, for their unit, that the minutes were read."""
    with runtime.write(actor) as ctx:
        minutes.confirm_read(ctx, meeting_id)
        return queries.receipts(ctx, meeting_id)[0]


@router.get("/meetings/{meeting_id}/receipts", response_model=list[ReceiptPublic])
def receipts(meeting_id: int, actor: Actor = Depends(members), runtime: Runtime = Depends(get_runtime)):
    with runtime.read(actor) as ctx:
        return queries.receipts(ctx, meeting_id)


@router.get("/meetings/{meeting_id}/unconfirmed", response_model=list[ReceiptPublic])
def unconfirmed(meeting_id: int, actor: Actor = Depends(leaders), runtime: Runtime = Depends(get_runtime)):
    """Member units that have not confirmed reading the minutes, with the reminders they were sent."""
    with runtime.read(actor) as ctx:
        return queries.receipts(ctx, meeting_id, unconfirmed=True)


@router.get("/matters", response_model=list[MatterPublic])
def matters(open_only: bool = Query(default=False), actor: Actor = Depends(members),
            runtime: Runtime = Depends(get_runtime)):
    """Decided matters; a liaison sees only its own unit's."""
    with runtime.read(actor) as ctx:
        return queries.list_matters(ctx, open_only=open_only)


@router.get("/matters/{matter_id}", response_model=MatterPublic)
def matter(matter_id: int, actor: Actor = Depends(members), runtime: Runtime = Depends(get_runtime)):
    with runtime.read(actor) as ctx:
        return queries.matter_public(ctx, minutes.load_matter(ctx, matter_id))


@router.post("/matters/{matter_id}/transitions", response_model=MatterPublic)
def move_matter(matter_id: int, body: MatterEventIn, actor: Actor = Depends(members),
                runtime: Runtime = Depends(get_runtime)):
    """Owner's liaison: start, report_progress; office: verify, send_back."""
    with runtime.write(actor) as ctx:
        return queries.matter_public(ctx, minutes.transition_matter(ctx, matter_id, body))


@router.get("/matters/{matter_id}/sheet", response_class=HTMLResponse)
def sheet(matter_id: int, actor: Actor = Depends(members), runtime: Runtime = Depends(get_runtime)):
    """议定事项督办单."""
    with runtime.read(actor) as ctx:
        return queries.render_matter_sheet(ctx, matter_id)
