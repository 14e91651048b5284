"""API schemas (XCreate / XPublic). No public schema carries a reporter's identity field."""
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from domain.enums import Channel, Finding, RejectionGround

Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


class ReporterIn(BaseModel):
    """Identity of a real-name reporter; stored apart from the tip."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=60)
    phone: str | None = Field(default=None, pattern=r"^[0-9+\- ]{5,20}$")
    id_number: str | None = Field(default=None, pattern=r"^\d{17}[\dXx]$")
    address: str | None = Field(default=None, max_length=200)


class TipCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    channel: Channel
    institution_id: int = Field(gt=0)
    facts: str = Field(min_length=5, max_length=5000)
    amount_involved: Money | None = None
    evidence: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(default_factory=list, max_length=50)
    anonymous: bool
    reporter: ReporterIn | None = None
    intake_key: str | None = Field(default=None, min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                                   description="optional one-time key: a second submission with it registers nothing")

    @model_validator(mode="after")
    def _identity_matches_anonymity(self) -> "TipCreate":
        if not self.anonymous and self.reporter is None:
            raise PydanticCustomError("reporter_required", "reporter: a real-name tip needs the reporter's identity")
        if self.anonymous and self.reporter is not None:
            raise PydanticCustomError("reporter_forbidden", "reporter: an anonymous tip must not carry an identity")
        return self


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event: str = Field(min_length=1, max_length=40)
    expected_version: int = Field(ge=1)
    reason: str | None = Field(default=None, max_length=1000)
    ground: RejectionGround | None = None
    transferred_to: str | None = Field(default=None, max_length=100)
    handler_id: int | None = Field(default=None, gt=0)
    finding: Finding | None = None
    amount_confirmed: Money | None = None
    amount_recovered: Money | None = None


class DuplicateLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    earlier_tip_id: int = Field(gt=0)
    expected_version: int = Field(ge=1)
    reason: str | None = Field(default=None, max_length=1000)


class DeadlinePublic(BaseModel):
    id: int
    kind: str
    label: str
    unit: str
    amount: int
    due_at: datetime
    last_day: date | None
    provisional: bool
    status: str
    days_left: int | None = None     # working days, for day and month units
    hours_left: int | None = None    # clock hours, for hour units (negative: overdue)
    overdue: bool = False


class AuditPublic(BaseModel):
    at: datetime
    actor_name: str
    action: str
    from_state: str | None
    to_state: str | None
    reason: str | None


class TipPublic(BaseModel):
    id: int
    number: str
    status: str
    status_label: str
    version: int
    channel: Channel
    institution_id: int
    institution_name: str
    facts: str
    amount_involved: Decimal | None
    evidence: list[str]
    anonymous: bool
    registered_at: datetime
    handler_id: int | None
    duplicate_of_id: int | None
    rejection_ground: str | None
    transferred_to: str | None
    finding: str | None
    amount_confirmed: Decimal | None
    amount_recovered: Decimal | None
    extension_count: int
    deadlines: list[DeadlinePublic] = []
    allowed_events: list[str] = []


class TipRegistered(BaseModel):
    tip: TipPublic
    receipt_code: str | None = Field(default=None, description="Shown once, to an anonymous reporter")


class TipPage(BaseModel):
    items: list[TipPublic]
    total: int
    offset: int
    limit: int


class TipStatusPublic(BaseModel):
    """What an anonymous reporter sees with the receipt code: stage only, no case details."""

    number: str
    status_label: str
    registered_at: datetime
    finding_label: str | None


class ReporterPublic(BaseModel):
    """Only for roles allowed to read identities; every read is logged."""

    name: str
    phone: str | None
    id_number: str | None
    address: str | None
