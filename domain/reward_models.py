"""Reward tables (举报奖励) and their API schemas. A claimant's identity lives in its own sealed table."""
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field as Input, model_validator
from sqlalchemy import JSON, CheckConstraint, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from domain.reward_policy import REPORTER_KINDS
from domain.schemas import DeadlinePublic, Money
from domain.sealing import seal, unseal
from domain.types import UTCDateTime, utcnow
from states.reward import REWARD_STATUSES


def _ts(**kwargs):
    return Field(sa_type=UTCDateTime, **kwargs)


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


def _money(**kwargs):
    return Field(max_digits=14, decimal_places=2, **kwargs)


class Reward(SQLModel, table=True):
    """One reward decision per tip: the inputs, the formula's result, approvals, notice, claim, payment."""

    __table_args__ = (
        CheckConstraint(_in("status", REWARD_STATUSES), name="ck_reward_status"),
        CheckConstraint(_in("reporter_kind", REPORTER_KINDS), name="ck_reward_reporter_kind"),
        CheckConstraint("amount >= 0", name="ck_reward_amount"),
        Index("ix_reward_budget", "department_id", "budget_year", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tip_id: int = Field(foreign_key="tip.id", unique=True)      # one reward decision per tip
    department_id: int = Field(foreign_key="department.id")     # the office that pays (its budget)
    number: str = Field(max_length=40, unique=True)             # 界医保奖〔2026〕3号
    status: str = Field(default="eligibility_review", max_length=30, index=True)
    version: int = 1
    # Eligibility inputs recorded with the proposal, and the outcome.
    reporter_kind: str = Field(max_length=20)
    reporter_is_staff: bool = False
    offender_confessing: bool = False
    facts_already_known: bool = False
    wants_reward: bool = True
    first_reporter: bool = True
    discretionary: bool = False            # a later reporter rewarded under FIRST_PLUS_DISCRETIONARY
    refusal_ground: str | None = Field(default=None, max_length=40)
    # The formula: scheme, its inputs and result (all Decimal, whole yuan).
    scheme_name: str = Field(max_length=40)
    scheme_label: str = Field(max_length=100)
    option_key: str | None = Field(default=None, max_length=40)
    option_label: str | None = Field(default=None, max_length=100)
    insider: bool = False
    basis: Decimal = _money()              # 案值: the fund loss to recover
    raw_amount: Decimal = Field(max_digits=20, decimal_places=6)
    floor: Decimal = _money()
    cap: Decimal = _money()
    amount: Decimal = _money()
    breakdown: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Approvals: the chain (role values) copied from the policy, and each approval given.
    approval_chain: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    approvals: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    budget_year: int | None = None
    proposed_by: int = Field(foreign_key="app_user.id")
    proposed_at: datetime = _ts(default_factory=utcnow)
    approved_at: datetime | None = _ts(default=None)
    # Claim notice and claim window.
    notice_number: str | None = Field(default=None, max_length=40, unique=True)
    notice_issued_at: datetime | None = _ts(default=None)
    notice_received_on: date | None = None
    claim_last_day: date | None = None
    claim_due_at: datetime | None = _ts(default=None)
    claimed_at: datetime | None = _ts(default=None)
    claim_verified_by: int | None = Field(default=None, foreign_key="app_user.id")
    by_proxy: bool = False
    # Payment, waiver, lapse, recovery.
    bank_transfer_ref: str | None = Field(default=None, max_length=60)
    paid_at: datetime | None = _ts(default=None)
    paid_by: int | None = Field(default=None, foreign_key="app_user.id")
    waived_at: datetime | None = _ts(default=None)
    lapsed_at: datetime | None = _ts(default=None)
    recovery_ordered_at: datetime | None = _ts(default=None)
    recovery_ref: str | None = Field(default=None, max_length=60)
    recovered_at: datetime | None = _ts(default=None)


class RewardBudget(SQLModel, table=True):
    """年度举报奖励预算: one line per office and year (the policy's default until one is set)."""

    __tablename__ = "reward_budget"
    __table_args__ = (UniqueConstraint("department_id", "year"), CheckConstraint("budgeted >= 0", name="ck_budget"))

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="department.id")
    year: int
    budgeted: Decimal = _money()
    set_by_policy: bool = True
    updated_at: datetime = _ts(default_factory=utcnow)
    updated_by: int | None = Field(default=None, foreign_key="app_user.id")


CLAIMANT_FIELDS = ("name", "id_number", "phone", "bank_name", "bank_account", "proxy_name", "proxy_id_number")


class ClaimantIdentity(SQLModel, table=True):
    """领奖人身份与收款账户: sealed at rest like a reporter's identity; read through services.rewards only."""

    __tablename__ = "claimant_identity"

    reward_id: int = Field(foreign_key="reward.id", primary_key=True)
    sealed: str = Field(sa_column=Column(Text, nullable=False))
    verified_by: int = Field(foreign_key="app_user.id")
    verified_at: datetime = _ts()

    @classmethod
    def sealing(cls, *, reward_id: int, verified_by: int, verified_at: datetime, **data) -> "ClaimantIdentity":
        return cls(reward_id=reward_id, verified_by=verified_by, verified_at=verified_at, sealed=seal(data))


for _field in CLAIMANT_FIELDS:  # the sealed fields (name, id_number, bank_account ...) open on access
    setattr(ClaimantIdentity, _field, property(lambda self, f=_field: unseal(self.sealed).get(f)))


# ---- API schemas (no public schema carries a claimant's or reporter's identity) ----

class RewardProposalIn(BaseModel):
    """拟定奖励: eligibility facts the handler records, and the formula's inputs."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reporter_kind: Literal["natural_person", "organisation"] = "natural_person"
    reporter_is_staff: bool = False
    offender_confessing: bool = False
    facts_already_known: bool = False
    wants_reward: bool = True
    option: str | None = Input(default=None, max_length=40, description="level / target type / category")
    insider: bool = False
    basis: Money | None = Input(default=None, description="案值; default: the tip's confirmed amount")
    reason: str | None = Input(default=None, max_length=1000)


class ClaimantIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    identity_verified: bool = Input(description="the desk checked the ID document in person")
    name: str = Input(min_length=1, max_length=60)
    id_number: str = Input(pattern=r"^\d{17}[\dXx]$")
    phone: str | None = Input(default=None, pattern=r"^[0-9+\- ]{5,20}$")
    bank_name: str = Input(min_length=2, max_length=100)
    bank_account: str = Input(pattern=r"^\d{8,30}$")
    receipt_code: str | None = Input(default=None, min_length=16, max_length=40)
    proxy_name: str | None = Input(default=None, min_length=1, max_length=60)
    proxy_id_number: str | None = Input(default=None, pattern=r"^\d{17}[\dXx]$")
    power_of_attorney: bool = False

    @model_validator(mode="after")
    def _proxy_complete(self) -> "ClaimantIn":
        if (self.proxy_name is None) != (self.proxy_id_number is None):
            raise ValueError("proxy: give both the proxy's name and ID number, or neither")
        if self.proxy_name is not None and not self.power_of_attorney:
            raise ValueError("proxy: a proxy claim needs the power of attorney")
        return self


class RewardTransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event: str = Input(min_length=1, max_length=40)
    expected_version: int = Input(ge=1)
    reason: str | None = Input(default=None, max_length=1000)
    notice_received_on: date | None = None
    claimant: ClaimantIn | None = None
    bank_transfer_ref: str | None = Input(default=None, min_length=4, max_length=60)
    recovery_ref: str | None = Input(default=None, min_length=2, max_length=60)


class BudgetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    budgeted: Money
    reason: str | None = Input(default=None, max_length=1000)


class BudgetPublic(BaseModel):
    year: int
    department_id: int
    budgeted: Decimal
    committed: Decimal       # approved, not yet paid (nor waived, lapsed)
    paid: Decimal
    available: Decimal
    set_by_policy: bool


class RewardPublic(BaseModel):
    id: int
    tip_id: int
    tip_number: str
    number: str
    status: str
    status_label: str
    version: int
    refusal_ground: str | None
    refusal_label: str | None
    reporter_kind: str
    first_reporter: bool
    discretionary: bool
    scheme_name: str
    scheme_label: str
    option_key: str | None
    option_label: str | None
    insider: bool
    basis: Decimal
    floor: Decimal
    cap: Decimal
    amount: Decimal
    breakdown: list[str]
    approval_chain: list[str]
    approvals: list[dict]
    next_approver: str | None
    budget_year: int | None
    notice_number: str | None
    notice_received_on: date | None
    claim_last_day: date | None
    by_proxy: bool
    claimed_at: datetime | None
    bank_transfer_ref: str | None
    paid_at: datetime | None
    waived_at: datetime | None
    lapsed_at: datetime | None
    recovered_at: datetime | None
    deadlines: list[DeadlinePublic] = []
    allowed_events: list[str] = []


class RewardPage(BaseModel):
    items: list[RewardPublic]
    total: int
    offset: int
    limit: int


class ClaimantPublic(BaseModel):
    """Only for the policy's claimant-identity readers; every read is logged."""

    name: str
    id_number: str
    phone: str | None
    bank_name: str
    bank_account: str
    proxy_name: str | None
    proxy_id_number: str | None


class RewardStatusPublic(BaseModel):
    """What the holder of a receipt code sees once a claim notice is issued: the notice, no case details."""

    tip_number: str
    notice_number: str
    status_label: str
    amount: Decimal
    claim_last_day: date
    claim_place: str
    payment_method: str
    documents_needed: list[str]
