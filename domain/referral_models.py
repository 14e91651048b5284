"""Referral tables (移送): one row per receiving department, each with its own lifecycle and clocks."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, LargeBinary, Column
from sqlmodel import Field, SQLModel

from domain.types import UTCDateTime, utcnow
from states.referral import REFERRAL_STATUSES, Track


def _ts(**kwargs):
    return Field(sa_type=UTCDateTime, **kwargs)


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Referral(SQLModel, table=True):
    """移送: a tip's matter sent to police (copy to the procuratorate), a discipline body or a department."""

    __table_args__ = (
        CheckConstraint(_in("status", REFERRAL_STATUSES), name="ck_referral_status"),
        CheckConstraint(_in("track", Track), name="ck_referral_track"),
        Index("ix_referral_department_status", "department_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tip_id: int = Field(foreign_key="tip.id", index=True)
    department_id: int = Field(foreign_key="department.id")
    copy_to_id: int | None = Field(default=None, foreign_key="department.id")  # 抄告 the procuratorate
    track: str = Field(max_length=20)
    status: str = Field(default="proposed", max_length=30)
    version: int = 1
    number: str | None = Field(default=None, max_length=40, unique=True)  # 界医保移〔2026〕12号, at sending
    summary: str = Field(max_length=4000)
    suspected_offence: str | None = Field(default=None, max_length=200)
    amount: Decimal | None = Field(default=None, max_digits=14, decimal_places=2)
    handler_id: int = Field(foreign_key="app_user.id")
    proposed_at: datetime = _ts(default_factory=utcnow)
    sent_at: datetime | None = _ts(default=None)
    signed_at: datetime | None = _ts(default=None)
    signed_by: int | None = Field(default=None, foreign_key="app_user.id")
    decision_doc_no: str | None = Field(default=None, max_length=60)  # the police's notice number
    forwarded_to: str | None = Field(default=None, max_length=100)
    reply: str | None = Field(default=None, max_length=4000)          # reply / outcome text
    closed_at: datetime | None = _ts(default=None)


class ReferralAttachment(SQLModel, table=True):
    """A file attached to a referral by either side, kept with its SHA-256."""

    __tablename__ = "referral_attachment"

    id: int | None = Field(default=None, primary_key=True)
    referral_id: int = Field(foreign_key="referral.id", index=True)
    uploaded_by: int = Field(foreign_key="app_user.id")
    uploaded_at: datetime = _ts(default_factory=utcnow)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
