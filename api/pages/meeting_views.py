"""What the joint meeting, decided matter and information report pages show and read, prepared in Python: the
event forms and their fields, form input for the services' models (local times made aware, decided-matter rows),
errors keyed by the form's fields."""
import re

from pydantic import ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

from api.pages.common import templates
from api.pages.forms import field_message, field_name, form_failure
from api.pages.history import history_rows
from api.pages.referral_views import deadline_view
from api.routes.meetings import LEADERS
from domain.enums import Role
from services import meeting_queries as queries
from services.context import Context
from services.errors import InvalidInput
from services.meetings import MEETING, load_meeting, member_units
from states.meeting import EVENT_LABELS, MATTER_STATE_LABELS, MEETING_STATE_LABELS

MEMBERS = frozenset(LEADERS) | {Role.LIAISON}        # who may open the meeting pages (as the API admits)
INFO_ROLES = frozenset({Role.GRID_INSPECTOR, Role.TOWNSHIP_ADMIN, Role.MEETING_OFFICE, Role.CONVENER, Role.HEAD})
# The nav shows 联席会议 / 信息报送 to these roles (base.html reads them).
templates.env.globals.update(MEETING_ROLES=MEMBERS, INFO_REPORT_ROLES=INFO_ROLES)

# What each meeting event's form asks for (the services check it); events not listed take no input.
EVENT_FIELDS = {"open_topics": ("topic_cutoff",), "propose_agenda": ("agenda", "topic_ids"),
                "approve_agenda": ("scheduled_at", "location"), "return_agenda": ("text",), "hold": ("held_at",),
                "draft_minutes": ("minutes", "matters"), "return_minutes": ("text",),
                "report_progress": ("text",), "send_back": ("text",)}
PLAIN_FIELDS = ("event", "expected_version", "text", "topic_cutoff", "agenda", "scheduled_at", "location",
                "held_at", "minutes")
MATTER_ROWS = 5   # blank decided-matter rows on the minutes form
LOCAL_MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")
CHOSEN = ("category", "channel", "owner_department_id")  # picked from a list: a missing one means "choose one"
TIME_MESSAGES = {"date_from_datetime_parsing": "请输入有效的日期，如 2026-10-15", "date_parsing": "请输入有效的日期",
                 "datetime_from_date_parsing": "请输入有效的日期和时间", "datetime_parsing": "请输入有效的日期和时间"}


def aware(text: str) -> str:
    """A browser's datetime-local value ('2026-10-15T09:00') read as Beijing time; anything else unchanged."""
    if LOCAL_MINUTE.match(text):
        return (text if text.count(":") == 2 else text + ":00") + "+08:00"  # Shanghai keeps no summer time
    return text


def event_forms(events: list[str]) -> list[dict]:
    """One form per event this user may take now (the minutes are issued by the distribution, not by hand)."""
    return [{"event": e, "label": EVENT_LABELS[e], "fields": EVENT_FIELDS.get(e, ())}
            for e in events if e != "issue_minutes"]


def matter_rows(form: FormData) -> list[dict]:
    """The decided-matter rows of the minutes form that have anything typed in them."""
    rows = []
    for i in range(MATTER_ROWS):
        row = {key: (form.get(f"matters_{i}_{key}") or "").strip()
               for key in ("title", "owner_department_id", "due_date")}
        if any(row.values()):
            rows.append({key: value for key, value in row.items() if value})
    return rows


def event_input(form: FormData) -> dict:
    """MeetingEventIn's (or MatterEventIn's) input from one event form: blank fields left out."""
    data = {key: value for key in PLAIN_FIELDS if (value := (form.get(key) or "").strip())}
    for key in ("scheduled_at", "held_at"):
        if key in data:
            data[key] = aware(data[key])
    if data.get("event") == "propose_agenda":
        data["topic_ids"] = form.getlist("topic_ids")
    if data.get("event") == "draft_minutes":
        data["matters"] = matter_rows(form)
    return data


def _error_key(loc) -> str:
    """matters[0].title / ('matters', 0, 'title') -> matters_0_title; other fields as the tip forms name them."""
    if isinstance(loc, str):
        return re.sub(r"\[(\d+)\]\.?", r"_\1_", loc)
    return "_".join(str(p) for p in loc) if loc and loc[0] == "matters" else field_name(loc)


def failure(exc: Exception, title: str) -> tuple[int, str, dict[str, str]]:
    """form_failure, with each decided-matter row's errors beside that row's fields."""
    status, message, errors = form_failure(exc, title)
    if isinstance(exc, InvalidInput):
        errors = {_error_key(exc.field): exc.message}
    elif isinstance(exc, ValidationError):
        errors = {}
        for error in exc.errors():
            key = _error_key(error["loc"])
            chosen = key.endswith(CHOSEN) and error["type"] in ("missing", "int_parsing", "string_pattern_mismatch")
            text = "请选择" if chosen else \
                TIME_MESSAGES.get(error["type"]) or field_message(error["type"], error.get("ctx") or {}, key)
            errors.setdefault(key, text)
    if isinstance(exc, (InvalidInput, ValidationError)):
        message = f"“{title}”未能提交：" + "；".join(_row(key) + text for key, text in errors.items())
    return status, message, errors


def _row(key: str) -> str:
    """'第 2 项议定事项：' for an error in the decided-matter rows (the field itself says which column)."""
    row = re.match(r"matters_(\d+)_", key)
    return f"第 {int(row.group(1)) + 1} 项议定事项：" if row else ""


def typed(form: FormData) -> dict:
    """What was typed, to fill the form again (checked topics as a list)."""
    return {**{key: value for key, value in form.items() if isinstance(value, str)},
            "topic_ids": form.getlist("topic_ids")}


def detail_view(ctx: Context, meeting_id: int) -> dict:
    """Everything the meeting page shows to this user."""
    row = load_meeting(ctx, meeting_id)
    meeting = queries.meeting_public(ctx, row)
    role = ctx.actor.role
    leader = role in LEADERS
    receipts = queries.receipts(ctx, meeting_id)
    minutes_ready = meeting.status in (("minutes_issued",) if role == Role.LIAISON else
                                       ("minutes_drafted", "minutes_approved", "minutes_issued"))
    return {
        "m": meeting, "notice_number": row.notice_number, "forms": event_forms(meeting.allowed_events),
        "deadlines": [deadline_view(d, ctx.now) for d in meeting.deadlines],
        "topics": queries.list_topics(ctx, meeting_id),
        "carried": queries.list_matters(ctx, open_only=True, before_seq=meeting.seq),
        "can_submit_topic": meeting.status == "collecting_topics" and role in (Role.LIAISON, Role.MEETING_OFFICE),
        "matters": queries.meeting_matters(ctx, row) if minutes_ready else [],
        "units": member_units(ctx), "matter_rows": MATTER_ROWS,
        "receipts": receipts, "leader": leader,
        "unconfirmed": [r for r in receipts if r.read_at is None],
        "can_confirm": role == Role.LIAISON and any(r.read_at is None for r in receipts),
        "can_distribute": role == Role.MEETING_OFFICE and meeting.status == "minutes_approved",
        "notice_ready": meeting.status in queries.SCHEDULED, "minutes_ready": minutes_ready,
        "history": history_rows(ctx.session, MEETING, meeting_id, actions=MEETING_ACTIONS,
                                states=MEETING_STATE_LABELS) if leader else [],
    }


HISTORY_LABELS = {**EVENT_LABELS, "assign": "交办", "named": "超期通报"}
MEETING_ACTIONS = {**EVENT_LABELS, "open": "启动会议筹备", "topic_submitted": "提交议题", "minutes_sent": "印发纪要",
                   "distribution_requested": "申请立即分发纪要"}


def matter_history(session: Session, matter_id: int) -> list[dict]:
    """The decided matter's audit trail, oldest first, in Chinese."""
    return history_rows(session, "decided_matter", matter_id, actions=HISTORY_LABELS, states=MATTER_STATE_LABELS)
