"""API schemas for the joint meeting (联席会议), its decided matters and information reports (信息报告)."""
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from domain.schemas import DeadlinePublic

CHANNEL = r"^(paper|network|phone)$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MeetingCreate(_In):
    """An ad hoc meeting (临时会议) the office opens when none is open."""

    due_by: date
    title: str | None = Field(default=None, min_length=4, max_length=120)


class MatterIn(_In):
    title: str = Field(min_length=4, max_length=300)
    owner_department_id: int = Field(gt=0)
    due_date: date


class MeetingEventIn(_In):
    """A meeting transition; the fields an event needs are checked by the use case (422 naming the field)."""

    event: str = Field(min_length=1, max_length=40)
    expected_version: int = Field(ge=1)
    text: str | None = Field(default=None, max_length=2000)          # a reason when returning
    topic_cutoff: date | None = None                                  # open_topics
    topic_ids: list[int] | None = Field(default=None, max_length=100)  # propose_agenda: topics included
    agenda: str | None = Field(default=None, min_length=2, max_length=4000)
    scheduled_at: datetime | None = None                              # approve_agenda
    location: str | None = Field(default=None, min_length=2, max_length=120)
    held_at: datetime | None = None                                   # hold
    minutes: str | None = Field(default=None, min_length=10, max_length=20000)  # draft_minutes
    matters: list[MatterIn] | None = Field(default=None, max_length=50)


class TopicIn(_In):
    title: str = Field(min_length=4, max_length=200)
    detail: str | None = Field(default=None, max_length=2000)


class MatterEventIn(_In):
    event: str = Field(min_length=1, max_length=40)
    expected_version: int = Field(ge=1)
    text: str | None = Field(default=None, max_length=4000)


class MeetingPublic(BaseModel):
    id: int
    seq: int
    title: str
    status: str
    status_label: str
    version: int
    due_by: date
    topic_cutoff: date | None
    scheduled_at: datetime | None
    location: str | None
    agenda: str | None
    minutes: str | None
    held_at: datetime | None
    issued_at: datetime | None
    deadlines: list[DeadlinePublic] = []
    allowed_events: list[str] = []


class TopicPublic(BaseModel):
    id: int
    meeting_id: int
    department_id: int
    department_name: str
    title: str
    detail: str | None
    submitted_at: datetime
    included: bool


class MatterPublic(BaseModel):
    id: int
    meeting_id: int
    meeting_seq: int
    number: str
    title: str
    owner_department_id: int
    owner_name: str
    due_date: date
    status: str
    status_label: str
    version: int
    progress: str | None
    verified_at: datetime | None
    escalation_level: int = 0
    escalation_label: str = ""
    deadlines: list[DeadlinePublic] = []
    allowed_events: list[str] = []


class AgendaView(BaseModel):
    """What the meeting will discuss: its topics, and the open decided matters of earlier meetings."""

    meeting: MeetingPublic
    topics: list[TopicPublic]
    carried_matters: list[MatterPublic]


class ReceiptPublic(BaseModel):
    department_id: int
    department_name: str
    sent_at: datetime
    read_at: datetime | None
    read_by: str | None
    read_due: date | None
    reminders_sent: int
    overdue: bool


class InfoSubmitIn(_In):
    expected_version: int = Field(ge=1)
    channel: str = Field(pattern=CHANNEL)
    classified: bool = False
    content: str = Field(min_length=5, max_length=8000)


class MajorReportIn(_In):
    found_at: datetime
    category: str = Field(pattern=r"^(case|opinion)$")
    channel: str = Field(pattern=CHANNEL)
    classified: bool = False
    content: str = Field(min_length=5, max_length=8000)


class InfoEventIn(_In):
    event: str = Field(pattern=r"^(accept|return_report)$")
    expected_version: int = Field(ge=1)
    text: str | None = Field(default=None, max_length=1000)


class InfoReportPublic(BaseModel):
    id: int
    kind: str
    kind_label: str
    reporter_id: int
    reporter_name: str
    area: str
    period_start: date
    status: str
    status_label: str
    version: int
    channel: str | None
    classified: bool
    content: str | None
    category: str | None
    found_at: datetime | None
    due_at: datetime | None
    submitted_at: datetime | None
    late: bool
    missing: bool
    review_note: str | None
    allowed_events: list[str] = []
