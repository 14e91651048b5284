"""API schemas for supervision, the joint meeting and information reports."""
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.schemas import DeadlinePublic

DEADLINE_OPTIONS = ("immediate", "30d", "2m", "6m", "date")


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department_id: int | None = Field(default=None, gt=0)
    institution_id: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_of(self) -> "TargetIn":
        if (self.department_id is None) == (self.institution_id is None):
            raise ValueError("a target is either a department_id or an institution_id")
        return self


class RoundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    year: int = Field(ge=2020, le=2100)
    quarter: int = Field(ge=1, le=4)
    title: str = Field(min_length=2, max_length=120)
    planned_start: date
    government_review: bool = False
    targets: list[TargetIn] = Field(min_length=1, max_length=50)


class FindingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    target_id: int = Field(gt=0)
    description: str = Field(min_length=5, max_length=2000)
    requirement: str = Field(min_length=2, max_length=2000)
    deadline_option: str = Field(pattern=r"^(immediate|30d|2m|6m|date)$")
    due_date: date | None = None

    @model_validator(mode="after")
    def _date_when_needed(self) -> "FindingCreate":
        if (self.deadline_option == "date") != (self.due_date is not None):
            raise ValueError("due_date is required exactly when deadline_option is 'date'")
        return self


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event: str = Field(min_length=1, max_length=40)
    expected_version: int = Field(ge=1)
    text: str | None = Field(default=None, max_length=4000)


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(min_length=2, max_length=2000)


class RoundPublic(BaseModel):
    id: int
    year: int
    quarter: int
    title: str
    status: str
    status_label: str
    version: int
    planned_start: date
    government_review: bool
    opinion_assessment: str | None
    publish_approved: bool
    published_at: datetime | None
    targets: list[dict] = []
    allowed_events: list[str] = []


class FindingPublic(BaseModel):
    id: int
    round_id: int
    number: str
    target_name: str
    description: str
    requirement: str
    deadline_option: str
    status: str
    status_label: str
    version: int
    objection_allowed: bool
    objection: str | None
    review_note: str | None
    report: str | None
    verification_note: str | None
    issued_at: datetime
    closed_at: datetime | None
    deadlines: list[DeadlinePublic] = []
    allowed_events: list[str] = []
