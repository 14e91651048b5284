"""Tables of the coordination work: supervision rounds and rectification (督导整改), the joint meeting
(联席会议) and its decided matters, and information reports (信息报告)."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from domain.types import UTCDateTime, utcnow
from states.meeting import MATTER_STATE_LABELS, MEETING_STATE_LABELS
from states.supervision import FINDING_STATE_LABELS, ROUND_STATE_LABELS


def _ts(**kwargs):
    return Field(sa_type=UTCDateTime, **kwargs)


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class SupervisionRound(SQLModel, table=True):
    __tablename__ = "supervision_round"
    __table_args__ = (CheckConstraint(_in("status", ROUND_STATE_LABELS), name="ck_round_status"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int
    quarter: int = Field(ge=1, le=4)
    title: str = Field(max_length=120)
    status: str = Field(default="planned", max_length=30)
    version: int = 1
    planned_start: date
    lead_id: int = Field(foreign_key="app_user.id")
    government_review: bool = False          # 政府督查: targets may ask for review (30 + 30 days)
    opinion_assessment: str | None = Field(default=None, max_length=2000)  # 舆情评估
    assessed_by: int | None = Field(default=None, foreign_key="app_user.id")
    publish_approved_by: int | None = Field(default=None, foreign_key="app_user.id")
    published_at: datetime | None = _ts(default=None)
    report_number: str | None = Field(default=None, max_length=40, unique=True, index=True)  # 督导情况报告 文号
    created_at: datetime = _ts(default_factory=utcnow)


class SupervisionTarget(SQLModel, table=True):
    """A unit a round looks at: a department or township (with a login) or an institution."""

    __tablename__ = "supervision_target"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="supervision_round.id", index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    institution_id: int | None = Field(default=None, foreign_key="institution.id")
    name: str = Field(max_length=120)


class Finding(SQLModel, table=True):
    """督导发现问题 and its rectification order (整改通知书)."""

    __tablename__ = "supervision_finding"
    __table_args__ = (CheckConstraint(_in("status", FINDING_STATE_LABELS), name="ck_finding_status"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="supervision_round.id", index=True)
    target_id: int = Field(foreign_key="supervision_target.id")
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    number: str = Field(max_length=40, unique=True)
    description: str = Field(max_length=2000)
    requirement: str = Field(max_length=2000)
    deadline_option: str = Field(max_length=20)    # immediate | 30d | 2m | 6m | date
    status: str = Field(default="open", max_length=30)
    version: int = 1
    objection_allowed: bool = False
    objection: str | None = Field(default=None, max_length=2000)
    review_note: str | None = Field(default=None, max_length=2000)
    report: str | None = Field(default=None, max_length=4000)
    verification_note: str | None = Field(default=None, max_length=2000)
    issued_at: datetime = _ts(default_factory=utcnow)
    closed_at: datetime | None = _ts(default=None)


class Meeting(SQLModel, table=True):
    __table_args__ = (CheckConstraint(_in("status", MEETING_STATE_LABELS), name="ck_meeting_status"),
                      UniqueConstraint("notice_number", name="uq_meeting_notice_number"))

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)                 # 第 N 次联席会议
    title: str = Field(max_length=120)
    status: str = Field(default="due", max_length=30)
    version: int = 1
    due_by: date
    topic_cutoff: date | None = None
    scheduled_at: datetime | None = _ts(default=None)
    location: str | None = Field(default=None, max_length=120)
    notice_number: str | None = Field(default=None, max_length=40)  # 会议通知文号, given when the notice is sent
    agenda: str | None = Field(default=None, max_length=4000)
    minutes: str | None = Field(default=None, max_length=20000)
    held_at: datetime | None = _ts(default=None)
    issued_at: datetime | None = _ts(default=None)
    created_at: datetime = _ts(default_factory=utcnow)


class MeetingTopic(SQLModel, table=True):
    __tablename__ = "meeting_topic"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    department_id: int = Field(foreign_key="department.id")
    title: str = Field(max_length=200)
    detail: str | None = Field(default=None, max_length=2000)
    submitted_by: int = Field(foreign_key="app_user.id")
    submitted_at: datetime = _ts(default_factory=utcnow)
    included: bool = False


class MinutesReceipt(SQLModel, table=True):
    """Minutes sent to one member unit, and when (and by whom) it confirmed reading them."""

    __tablename__ = "minutes_receipt"
    __table_args__ = (UniqueConstraint("meeting_id", "department_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    department_id: int = Field(foreign_key="department.id")
    sent_at: datetime = _ts(default_factory=utcnow)
    read_at: datetime | None = _ts(default=None)
    read_by: int | None = Field(default=None, foreign_key="app_user.id")


class DecidedMatter(SQLModel, table=True):
    """议定事项: a task from the minutes, owned by a member unit, with a deadline."""

    __tablename__ = "decided_matter"
    __table_args__ = (CheckConstraint(_in("status", MATTER_STATE_LABELS), name="ck_matter_status"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    title: str = Field(max_length=300)
    owner_department_id: int = Field(foreign_key="department.id", index=True)
    due_date: date
    status: str = Field(default="assigned", max_length=30)
    version: int = 1
    progress: str | None = Field(default=None, max_length=4000)
    verified_at: datetime | None = _ts(default=None)


class InfoReport(SQLModel, table=True):
    """信息报告: weekly (village -> township), monthly (township -> city), major (immediately)."""

    __tablename__ = "info_report"
    __table_args__ = (
        CheckConstraint(_in("kind", ("weekly", "monthly", "major")), name="ck_info_kind"),
        CheckConstraint(_in("status", ("due", "submitted", "accepted", "returned")), name="ck_info_status"),
        # one weekly/monthly row per reporter and period; major reports are as many as there are matters
        Index("uq_info_report_period", "reporter_id", "kind", "period_start", unique=True,
              sqlite_where=text("kind <> 'major'"), postgresql_where=text("kind <> 'major'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)
    reporter_id: int = Field(foreign_key="app_user.id", index=True)
    area: str = Field(max_length=60)
    period_start: date
    status: str = Field(default="due", max_length=20)
    channel: str | None = Field(default=None, max_length=10)   # paper | network | phone
    classified: bool = False
    content: str | None = Field(default=None, max_length=8000)
    submitted_at: datetime | None = _ts(default=None)
    late: bool = False
    version: int = 1
    due_at: datetime | None = _ts(default=None)             # weekly/monthly: the deadline; major: found + hours
    found_at: datetime | None = _ts(default=None)           # major: when the matter was found
    category: str | None = Field(default=None, max_length=10)  # major: case (重大案情) | opinion (重大舆情)
    review_note: str | None = Field(default=None, max_length=1000)  # why it was returned (补正)
