"""Referral API schemas. None carries a reporter's identity (a referral never does)."""
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.schemas import DeadlinePublic, Money


class ReferralCreate(BaseModel):
    """Refer one matter to one or more departments at once (joint handling: each gets its own clock)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    department_ids: list[Annotated[int, Field(gt=0)]] = Field(min_length=1, max_length=10)
    summary: str = Field(min_length=5, max_length=4000)
    suspected_offence: str | None = Field(default=None, max_length=200)
    amount: Money | None = None

    @field_validator("department_ids")
    @classmethod
    def _unique(cls, ids: list[int]) -> list[int]:
        if len(set(ids)) != len(ids):
            raise ValueError("department_ids must not repeat a department")
        return ids


class ReferralTransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event: str = Field(min_length=1, max_length=40)
    expected_version: int = Field(ge=1)
    reason: str | None = Field(default=None, max_length=1000)
    decision_doc_no: str | None = Field(default=None, max_length=60)
    forwarded_to: str | None = Field(default=None, max_length=100)
    reply: str | None = Field(default=None, max_length=4000)


class AttachmentPublic(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


class ReferralPublic(BaseModel):
    id: int
    tip_id: int
    tip_number: str
    department_id: int
    department_name: str
    copy_to_name: str | None
    track: str
    track_label: str
    status: str
    status_label: str
    version: int
    number: str | None
    summary: str
    suspected_offence: str | None
    amount: Decimal | None
    proposed_at: datetime
    sent_at: datetime | None
    signed_at: datetime | None
    decision_doc_no: str | None
    forwarded_to: str | None
    reply: str | None
    closed_at: datetime | None
    deadlines: list[DeadlinePublic] = []
    allowed_events: list[str] = []
    attachments: list[AttachmentPublic] = []
