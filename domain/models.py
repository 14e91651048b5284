"""SQLModel tables. Reporter identity lives in its own table, never on the tip."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from domain.enums import Channel, DeadlineStatus, InstitutionKind, OutboxStatus, Role
from domain.sealing import seal, unseal
from domain.types import UTCDateTime, utcnow
from states.tip import TipMachine

TIP_STATUSES = tuple(state.value for state in TipMachine.states)


def _in(column: str, values) -> str:
    """SQL CHECK text constraining a column to enum values."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


def _ts(**kwargs):
    return Field(sa_type=UTCDateTime, **kwargs)


class Department(SQLModel, table=True):
    """A unit: the office itself or a receiving/member department (公安局, 纪委监委 ...)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=100)
    kind: str = Field(max_length=40)
    member: bool = False  # a member unit of the joint meeting (联席会议成员单位)
    # An outside department's own leader, told (by e-mail) at the ladder steps that name "department_leader".
    leader_name: str | None = Field(default=None, max_length=60)
    leader_email: str | None = Field(default=None, max_length=120)


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    __table_args__ = (CheckConstraint(_in("role", Role), name="ck_user_role"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=60, unique=True)
    display_name: str = Field(max_length=60)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=30)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    email: str | None = Field(default=None, max_length=120)
    totp_secret: str | None = Field(default=None, max_length=64)  # set: a second factor is required
    session_epoch: int = 0  # raised at log-out and password change: older tokens stop working
    active: bool = True
    created_at: datetime = _ts(default_factory=utcnow)


class Institution(SQLModel, table=True):
    """Registry of designated institutions (定点医药机构) that tips report on."""

    __table_args__ = (CheckConstraint(_in("kind", InstitutionKind), name="ck_institution_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=120, index=True)
    kind: str = Field(max_length=20)
    district: str = Field(max_length=60)


class Tip(SQLModel, table=True):
    """举报线索. `status` is driven only by states.tip.TipMachine through services.tips."""

    __table_args__ = (
        CheckConstraint(_in("status", TIP_STATUSES), name="ck_tip_status"),
        CheckConstraint(_in("channel", Channel), name="ck_tip_channel"),
        Index("ix_tip_status_registered", "status", "registered_at"),
        Index("ix_tip_registered", "registered_at", "id"),  # the list's order: newest first
        UniqueConstraint("receipt_locator", name="uq_tip_receipt_locator"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=30, unique=True)
    status: str = Field(default="registered", max_length=30)
    version: int = 1
    channel: str = Field(max_length=30, index=True)
    institution_id: int = Field(foreign_key="institution.id", index=True)
    facts: str = Field(max_length=5000)
    amount_involved: Decimal | None = Field(default=None, max_digits=14, decimal_places=2)
    evidence: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    anonymous: bool
    receipt_locator: str | None = Field(default=None, max_length=8)  # see services/receipts.py
    receipt_hash: str | None = Field(default=None, max_length=128)
    registered_at: datetime = _ts(default_factory=utcnow)
    registered_by: int = Field(foreign_key="app_user.id")
    handler_id: int | None = Field(default=None, foreign_key="app_user.id")
    duplicate_of_id: int | None = Field(default=None, foreign_key="tip.id")
    decision_notified_at: datetime | None = _ts(default=None)
    rejection_ground: str | None = Field(default=None, max_length=40)
    transferred_to: str | None = Field(default=None, max_length=100)
    extension_count: int = 0
    finding: str | None = Field(default=None, max_length=20)
    amount_confirmed: Decimal | None = Field(default=None, max_digits=14, decimal_places=2)
    amount_recovered: Decimal | None = Field(default=None, max_digits=14, decimal_places=2)
    closed_at: datetime | None = _ts(default=None)
    # The registration form's one-time key: a refreshed or double-clicked form registers nothing twice.
    intake_key: str | None = Field(default=None, max_length=64, unique=True, index=True)


class ReporterIdentity(SQLModel, table=True):
    """举报人身份: sealed at rest (domain.sealing), kept apart from the tip. Read only through
    services.identity, which logs every read; the fields below open the seal on access."""

    __tablename__ = "reporter_identity"

    tip_id: int = Field(foreign_key="tip.id", primary_key=True)
    sealed: str = Field(sa_column=Column(Text, nullable=False))

    @classmethod
    def sealing(cls, tip_id: int, data: dict) -> "ReporterIdentity":
        return cls(tip_id=tip_id, sealed=seal(data))

    def opened(self) -> dict:
        return unseal(self.sealed)

    @property
    def name(self) -> str:
        return self.opened()["name"]

    @property
    def phone(self) -> str | None:
        return self.opened().get("phone")

    @property
    def id_number(self) -> str | None:
        return self.opened().get("id_number")

    @property
    def address(self) -> str | None:
        return self.opened().get("address")


class IdentityRelease(SQLModel, table=True):
    """保管人放行: a custodian lets one named user read one tip's sealed identity."""

    __tablename__ = "identity_release"
    __table_args__ = (UniqueConstraint("tip_id", "user_id", name="uq_identity_release"),)

    id: int | None = Field(default=None, primary_key=True)
    tip_id: int = Field(foreign_key="tip.id", index=True)
    user_id: int = Field(foreign_key="app_user.id")
    released_by: int = Field(foreign_key="app_user.id")
    released_at: datetime = _ts()
    reason: str = Field(max_length=1000)


class TipEvidence(SQLModel, table=True):
    """An evidence file of a tip (举报证据), checked by type and size, kept with its SHA-256."""

    __tablename__ = "tip_evidence"

    id: int | None = Field(default=None, primary_key=True)
    tip_id: int = Field(foreign_key="tip.id", index=True)
    uploaded_by: int = Field(foreign_key="app_user.id")
    uploaded_at: datetime = _ts()
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Deadline(SQLModel, table=True):
    """A legal clock on a subject, counted in its rule's unit. Sweeps read (status, due_at)."""

    __table_args__ = (
        CheckConstraint(_in("status", DeadlineStatus), name="ck_deadline_status"),
        Index("ix_deadline_status_due", "status", "due_at"),
        Index("ix_deadline_status_next_action", "status", "next_action_at"),
        Index("ix_deadline_subject", "subject_type", "subject_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subject_type: str = Field(max_length=30)
    subject_id: int
    kind: str = Field(max_length=40)
    unit: str = Field(max_length=20)
    amount: int
    start_at: datetime = _ts()
    due_at: datetime = _ts()
    last_day: date | None = None
    provisional: bool = False
    status: str = Field(default=DeadlineStatus.OPEN, max_length=20)
    closed_at: datetime | None = _ts(default=None)
    escalation_level: int = 0
    # When the sweep must next look at this row (a reminder or an escalation step); None: nothing left.
    next_action_at: datetime | None = _ts(default=None)
    # 中止: while paused the clock stands; `remaining` (in `unit`) is what is left when it resumes.
    paused_at: datetime | None = _ts(default=None)
    remaining: int | None = None


class AuditEntry(SQLModel, table=True):
    """Who did what to which subject, when, from which state to which (执法全过程记录)."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_subject", "subject_type", "subject_id", "id"),
                      UniqueConstraint("seq", name="uq_audit_entry_seq"))

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(default_factory=utcnow)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_name: str = Field(max_length=60)
    subject_type: str = Field(max_length=30)
    subject_id: int
    action: str = Field(max_length=40)
    from_state: str | None = Field(default=None, max_length=30)
    to_state: str | None = Field(default=None, max_length=30)
    reason: str | None = Field(default=None, max_length=1000)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Tamper evidence: each row's hash covers its content and the previous row's hash (seq order).
    seq: int | None = None
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)


class AuditHead(SQLModel, table=True):
    """The chain's last link, one row, locked by every audit insert so the chain never forks."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(default="0" * 64, max_length=64)


class HolidayYear(SQLModel, table=True):
    """A year's State Council schedule loaded by an admin (years chinese-calendar does not know)."""

    __tablename__ = "holiday_year"

    year: int = Field(primary_key=True)
    schedule: dict = Field(sa_column=Column(JSON, nullable=False))
    loaded_at: datetime = _ts(default_factory=utcnow)


class Sequence(SQLModel, table=True):
    """Per-year number sequences (tip numbers, document numbers)."""

    __tablename__ = "number_sequence"
    __table_args__ = (UniqueConstraint("key", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40)
    year: int
    last: int = 0


class DeadlineStep(SQLModel, table=True):
    """One reminder or escalation step taken on a deadline; unique per step, so never taken twice."""

    __tablename__ = "deadline_step"
    __table_args__ = (UniqueConstraint("deadline_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    deadline_id: int = Field(foreign_key="deadline.id", index=True)
    code: str = Field(max_length=30)          # "remind-1", "level-2" ...
    level: int = 0                            # 0 for reminders, 1.. for escalation levels
    at: datetime = _ts()
    skipped: bool = False                     # a reminder overtaken by the deadline passing
    notified: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Outbox(SQLModel, table=True):
    """A message to deliver, written in the same transaction as its cause; `key` makes it unique."""

    __table_args__ = (
        CheckConstraint(_in("status", OutboxStatus), name="ck_outbox_status"),
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=40)
    channel: str = Field(max_length=20)
    recipient_id: int | None = Field(default=None, foreign_key="app_user.id")
    address: str | None = Field(default=None, max_length=200)
    subject_type: str = Field(max_length=30)
    subject_id: int
    deadline_id: int | None = Field(default=None, foreign_key="deadline.id", index=True)
    title: str = Field(max_length=200)
    body: str = Field(max_length=4000)
    status: str = Field(default=OutboxStatus.PENDING, max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = _ts()
    claimed_at: datetime | None = _ts(default=None)
    sent_at: datetime | None = _ts(default=None)
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = _ts(default_factory=utcnow)


class InboxMessage(SQLModel, table=True):
    """In-app notification (站内消息)."""

    __tablename__ = "inbox_message"
    __table_args__ = (Index("ix_inbox_user_read", "user_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int = Field(foreign_key="outbox.id", unique=True)
    user_id: int = Field(foreign_key="app_user.id")
    title: str = Field(max_length=200)
    body: str = Field(max_length=4000)
    subject_type: str = Field(max_length=30)
    subject_id: int
    created_at: datetime = _ts()
    read_at: datetime | None = _ts(default=None)
